package io.modelplane.api.view;

import java.util.List;

/** A page of {@code GET /api/v1/tenants}; {@code next} is the cursor of the following page, null on the last. */
public record TenantList(List<?> tenants, String next) {}
