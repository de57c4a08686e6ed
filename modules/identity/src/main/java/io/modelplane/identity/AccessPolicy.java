package io.modelplane.identity;

import static io.modelplane.common.Role.DEVELOPER;
import static io.modelplane.common.Role.PREDICTOR;
import static io.modelplane.common.Role.TENANT_ADMIN;
import static io.modelplane.common.Role.VIEWER;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** The one place that decides whether a principal may do an action on a tenant's resources. */
public final class AccessPolicy {

  /** The outcome; NOT_FOUND hides another tenant's resources exactly as if they did not exist. */
  public enum Decision { ALLOW, FORBIDDEN, SUSPENDED, NOT_FOUND }

  private static final Map<Action, Set<Role>> TENANT_ROLES = Map.of(
      Action.READ_USAGE, EnumSet.of(TENANT_ADMIN),
      Action.MANAGE_TENANTS, EnumSet.noneOf(Role.class),
      Action.ADMINISTER_TENANT, EnumSet.noneOf(Role.class),
      Action.EXPORT_TENANT, EnumSet.of(TENANT_ADMIN),
      Action.READ_TENANT, EnumSet.of(TENANT_ADMIN, DEVELOPER, VIEWER),
      Action.MANAGE_ACCESS, EnumSet.of(TENANT_ADMIN),
      Action.READ_MODELS, EnumSet.of(TENANT_ADMIN, DEVELOPER, VIEWER),
      Action.WRITE_MODELS, EnumSet.of(TENANT_ADMIN, DEVELOPER),
      Action.PREDICT, EnumSet.of(TENANT_ADMIN, DEVELOPER, PREDICTOR));

  private AccessPolicy() {}

  /**
   * Decides {@code action} on {@code tenant}'s resources ({@code tenant} null for platform-wide
   * actions). The operator may do everything; anyone else only what its role allows, only in its
   * own tenant, and nothing while that tenant is suspended.
   */
  public static Decision decide(Principal principal, Action action, TenantId tenant) {
    if (principal.isOperator()) {
      return Decision.ALLOW;
    }
    if (tenant != null && !tenant.equals(principal.tenant())) {
      return Decision.NOT_FOUND;
    }
    if (!principal.tenantActive()) {
      return Decision.SUSPENDED;
    }
    return TENANT_ROLES.get(action).contains(principal.role()) ? Decision.ALLOW : Decision.FORBIDDEN;
  }
}
