package io.modelplane.api.view;

import io.modelplane.tenancy.TenantEntity;
import java.time.Instant;

/** An API key as listed: never its secret or hash; {@code lastUsedAt} to the minute, null when never used. */
public record ApiKeyView(String id, String name, String role, Instant createdAt, String createdBy, Instant lastUsedAt) {

  public static ApiKeyView from(TenantEntity.ApiKeyInfo k) {
    return new ApiKeyView(k.id(), k.name(), k.role().wireName(), k.createdAt(), k.createdBy(), k.lastUsedAt());
  }

  /** A key just created: the only answer that carries the key itself. */
  public record Created(String id, String name, String role, Instant createdAt, String createdBy, String key) {
    public static Created from(TenantEntity.ApiKeyInfo k, String token) {
      return new Created(k.id(), k.name(), k.role().wireName(), k.createdAt(), k.createdBy(), token);
    }
  }
}
