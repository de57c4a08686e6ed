package io.modelplane.identity;

import com.fasterxml.jackson.annotation.JsonValue;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;

/**
 * Who is calling: a subject (for audit: "operator", "apikey:acme.k3f9"), its role and, for every
 * role but operator, the one tenant it belongs to.
 *
 * @param tenantActive false when the tenant is suspended; the access policy then refuses everything
 * @param credential   what the caller authenticated with
 * @param name         the caller's name within that credential kind: key id, token user or client, "operator"
 */
public record Principal(String subject, Role role, TenantId tenant, boolean tenantActive, Credential credential,
    String name) {

  /** The kinds of credential, as {@code GET /api/v1/me} names them. */
  public enum Credential {
    API_KEY("api_key"), TOKEN("token"), OPERATOR_KEY("operator_key");

    private final String wireName;

    Credential(String wireName) {
      this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
      return wireName;
    }
  }

  /** The holder of the bootstrap operator key. */
  public static Principal operatorKey() {
    return new Principal("operator", Role.OPERATOR, null, true, Credential.OPERATOR_KEY, "operator");
  }

  public static Principal apiKey(String keyId, Role role, TenantId tenant, boolean tenantActive) {
    return new Principal("apikey:" + keyId, role, tenant, tenantActive, Credential.API_KEY, keyId);
  }

  /** The bearer of an access token; {@code tenant} null for an operator token. */
  public static Principal token(String name, Role role, TenantId tenant, boolean tenantActive) {
    return new Principal("token:" + name, role, tenant, tenantActive, Credential.TOKEN, name);
  }

  public boolean isOperator() {
    return role == Role.OPERATOR;
  }
}
