package io.modelplane.api.view;

import java.util.List;

/** A page of {@code GET /api/v1/tenants/{tenant}/models}; {@code next} as in {@link TenantList}. */
public record ModelList(List<?> models, String next) {}
