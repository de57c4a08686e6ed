package io.modelplane.identity;

import static io.modelplane.identity.AccessPolicy.Decision.ALLOW;
import static io.modelplane.identity.AccessPolicy.Decision.FORBIDDEN;
import static io.modelplane.identity.AccessPolicy.Decision.NOT_FOUND;
import static io.modelplane.identity.AccessPolicy.Decision.SUSPENDED;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {
  private static final TenantId ACME = TenantId.of("acme");
  private static final TenantId OTHER = TenantId.of("globex");

  // role, action, expected on own tenant
  static Stream<Arguments> matrix() {
    return Stream.of(
        Arguments.of(Role.TENANT_ADMIN, Action.READ_TENANT, ALLOW),
        Arguments.of(Role.TENANT_ADMIN, Action.ADMINISTER_TENANT, FORBIDDEN),
        Arguments.of(Role.TENANT_ADMIN, Action.EXPORT_TENANT, ALLOW),
        Arguments.of(Role.TENANT_ADMIN, Action.MANAGE_ACCESS, ALLOW),
        Arguments.of(Role.TENANT_ADMIN, Action.READ_USAGE, ALLOW),
        Arguments.of(Role.TENANT_ADMIN, Action.READ_MODELS, ALLOW),
        Arguments.of(Role.TENANT_ADMIN, Action.WRITE_MODELS, ALLOW),
        Arguments.of(Role.TENANT_ADMIN, Action.PREDICT, ALLOW),
        Arguments.of(Role.DEVELOPER, Action.READ_TENANT, ALLOW),
        Arguments.of(Role.DEVELOPER, Action.ADMINISTER_TENANT, FORBIDDEN),
        Arguments.of(Role.DEVELOPER, Action.EXPORT_TENANT, FORBIDDEN),
        Arguments.of(Role.DEVELOPER, Action.MANAGE_ACCESS, FORBIDDEN),
        Arguments.of(Role.DEVELOPER, Action.READ_USAGE, FORBIDDEN),
        Arguments.of(Role.DEVELOPER, Action.READ_MODELS, ALLOW),
        Arguments.of(Role.DEVELOPER, Action.WRITE_MODELS, ALLOW),
        Arguments.of(Role.DEVELOPER, Action.PREDICT, ALLOW),
        Arguments.of(Role.VIEWER, Action.READ_TENANT, ALLOW),
        Arguments.of(Role.VIEWER, Action.ADMINISTER_TENANT, FORBIDDEN),
        Arguments.of(Role.VIEWER, Action.EXPORT_TENANT, FORBIDDEN),
        Arguments.of(Role.VIEWER, Action.MANAGE_ACCESS, FORBIDDEN),
        Arguments.of(Role.VIEWER, Action.READ_USAGE, FORBIDDEN),
        Arguments.of(Role.VIEWER, Action.READ_MODELS, ALLOW),
        Arguments.of(Role.VIEWER, Action.WRITE_MODELS, FORBIDDEN),
        Arguments.of(Role.VIEWER, Action.PREDICT, FORBIDDEN),
        Arguments.of(Role.PREDICTOR, Action.READ_TENANT, FORBIDDEN),
        Arguments.of(Role.PREDICTOR, Action.ADMINISTER_TENANT, FORBIDDEN),
        Arguments.of(Role.PREDICTOR, Action.EXPORT_TENANT, FORBIDDEN),
        Arguments.of(Role.PREDICTOR, Action.MANAGE_ACCESS, FORBIDDEN),
        Arguments.of(Role.PREDICTOR, Action.READ_USAGE, FORBIDDEN),
        Arguments.of(Role.PREDICTOR, Action.READ_MODELS, FORBIDDEN),
        Arguments.of(Role.PREDICTOR, Action.WRITE_MODELS, FORBIDDEN),
        Arguments.of(Role.PREDICTOR, Action.PREDICT, ALLOW));
  }

  @ParameterizedTest(name = "{0} {1} own tenant -> {2}")
  @MethodSource("matrix")
  void tenantRolesOnTheirOwnTenant(Role role, Action action, AccessPolicy.Decision expected) {
    Principal p = Principal.apiKey("x", role, ACME, true);
    assertThat(AccessPolicy.decide(p, action, ACME)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} {1} other tenant -> NOT_FOUND")
  @MethodSource("matrix")
  void anotherTenantsResourcesLookMissing(Role role, Action action, AccessPolicy.Decision ignored) {
    Principal p = Principal.apiKey("x", role, ACME, true);
    assertThat(AccessPolicy.decide(p, action, OTHER)).isEqualTo(NOT_FOUND);
  }

  @ParameterizedTest(name = "{0} {1} suspended -> SUSPENDED")
  @MethodSource("matrix")
  void aSuspendedTenantMayDoNothing(Role role, Action action, AccessPolicy.Decision ignored) {
    Principal p = Principal.apiKey("x", role, ACME, false);
    assertThat(AccessPolicy.decide(p, action, ACME)).isEqualTo(SUSPENDED);
  }

  @Test
  void platformWideActionsAreForOperatorsOnly() {
    for (Role role : Role.values()) {
      Principal p = role == Role.OPERATOR
          ? Principal.operatorKey()
          : Principal.apiKey("x", role, ACME, true);
      assertThat(AccessPolicy.decide(p, Action.MANAGE_TENANTS, null))
          .as(role.wireName())
          .isEqualTo(role == Role.OPERATOR ? ALLOW : FORBIDDEN);
    }
  }

  @Test
  void theOperatorMayDoEverythingEverywhere() {
    for (Action action : Action.values()) {
      assertThat(AccessPolicy.decide(Principal.operatorKey(), action, OTHER)).isEqualTo(ALLOW);
    }
  }
}
