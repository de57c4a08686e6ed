package io.modelplane.api.view;

/** The body of {@code POST /tenants/{tenant}/api-keys}: a name and a tenant role's wire name. */
public record CreateApiKeyRequest(String name, String role) {}
