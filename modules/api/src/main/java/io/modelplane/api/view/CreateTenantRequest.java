package io.modelplane.api.view;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The body of {@code POST /tenants}. {@code plan}: absent or null: the default plan. {@code quota}: the limits it
 * overrides of its plan's (kept as JSON: a limit named null means unlimited, one not named the plan's).
 * {@code workerPool}: absent or null: shared workers.
 */
public record CreateTenantRequest(String id, String displayName, JsonNode quota, String workerPool, String plan) {}
