package io.modelplane.common;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** The roles of API.md: one platform role and four per-tenant roles. */
public enum Role {
  OPERATOR("operator"),
  TENANT_ADMIN("tenant-admin"),
  DEVELOPER("developer"),
  VIEWER("viewer"),
  PREDICTOR("predictor");

  private final String wireName;

  Role(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  /** The role named {@code name} on the wire, if any. */
  public static Optional<Role> fromWire(String name) {
    return Arrays.stream(values()).filter(r -> r.wireName.equals(name)).findFirst();
  }

  @JsonCreator
  static Role parse(String name) {
    return fromWire(name).orElseThrow(() -> new IllegalArgumentException("unknown role " + name));
  }

  /** Whether this role can be held within a tenant (an API key or a member). */
  public boolean isTenantRole() {
    return this != OPERATOR;
  }
}
