package io.modelplane.identity;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;

/**
 * Who is calling: a subject (for audit: "operator", "apikey:acme.k3f9"), its role and, for every
 * role but operator, the one tenant it belongs to.
 *
 * @param tenantActive false when the tenant is suspended; the access policy then refuses everything
 */
public record Principal(String subject, Role role, TenantId tenant, boolean tenantActive) {

  public static Principal operator(String subject) {
    return new Principal(subject, Role.OPERATOR, null, true);
  }

  public boolean isOperator() {
    return role == Role.OPERATOR;
  }
}
