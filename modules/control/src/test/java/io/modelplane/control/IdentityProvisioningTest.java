package io.modelplane.control;

import io.modelplane.control.readside.ReadSide;
import static io.modelplane.control.ControlFixtures.await;
import static io.modelplane.control.ControlFixtures.createTenant;
import static io.modelplane.control.ControlFixtures.failure;
import static io.modelplane.control.ControlFixtures.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import io.modelplane.identity.keycloak.KeycloakProvisioner;
import io.modelplane.identity.keycloak.KeycloakTestServer;
import io.modelplane.tenancy.TenantEntity;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link IdentityProvisioning} against a real Keycloak: tenants provisioned and recorded, and the
 * admin API's failures turned into refusals (outage, conflict, bad input).
 */
class IdentityProvisioningTest {
  static KeycloakTestServer keycloak;
  static ControlTestNode node;
  static ControlPlane controlPlane;
  static KeycloakProvisioner provisioner;
  static ExecutorService calls;
  static IdentityProvisioning provisioning;
  static ReadSide readSide;

  @BeforeAll
  static void start() {
    keycloak = KeycloakTestServer.builder().build().start();
    node = ControlTestNode.start("identity-provisioning-test", true);
    controlPlane = node.controlPlane(Duration.ofSeconds(5), 3);
    provisioner = new KeycloakProvisioner(new KeycloakProvisioner.Settings(keycloak.baseUrl(), "modelplane",
        keycloak.adminUser(), keycloak.adminPassword(), "http://127.0.0.1:8080"));
    calls = Executors.newFixedThreadPool(2);
    readSide = ReadSide.start(node.kit.system(), node.jdbcUrl(), "", "", null, true);
    provisioning = new IdentityProvisioning(provisioner, controlPlane, readSide.tenants(), calls);
  }

  @AfterAll
  static void stop() {
    if (provisioner != null) {
      provisioner.close();
    }
    if (calls != null) {
      calls.shutdownNow();
    }
    if (readSide != null) {
      readSide.close();
    }
    if (node != null) {
      node.close();
    }
    if (keycloak != null) {
      keycloak.close();
    }
  }

  @Test
  void provisionsATenantAndRecordsItsIdentity_thenRefusesConflictsAndBadInput() {
    TenantId tenant = TenantId.of("kc-acme");
    createTenant(controlPlane, tenant.value(), null);

    TenantEntity.Summary provisioned = await(provisioning.provision(tenant));
    assertThat(provisioned.identity()).isNotNull();
    assertThat(provisioned.identity().organizationId()).isNotBlank();
    assertThat(await(controlPlane.tenantSummary(tenant)).identity()).isEqualTo(provisioned.identity());
    // every step is idempotent: a second provisioning records nothing new
    assertThat(await(provisioning.provision(tenant)).identity()).isEqualTo(provisioned.identity());

    await(provisioning.call(() -> provisioner.createServiceAccount(tenant, "ci", Role.DEVELOPER)));
    Rejection conflict = refusal(provisioning.call(() -> provisioner.createServiceAccount(tenant, "ci", Role.DEVELOPER)),
        Rejection.Reason.CONFLICT);
    assertThat(conflict.code()).isEqualTo("conflict");
    assertThat(conflict.message()).contains("ci");

    Rejection invalid = refusal(provisioning.call(() -> provisioner.createServiceAccount(tenant, "Not A Name!",
        Role.DEVELOPER)), Rejection.Reason.INVALID);
    assertThat(invalid.code()).isEqualTo("invalid_request");

    // offboarding: the organization, its groups and service accounts go; a second removal finds nothing to do
    await(provisioning.call(() -> {
      provisioner.removeTenant(tenant);
      return null;
    }));
    assertThat(provisioner.serviceAccounts(tenant)).isEmpty();
    await(provisioning.call(() -> {
      provisioner.removeTenant(tenant);
      return null;
    }));
    KeycloakProvisioner.TenantResources fresh = await(provisioning.call(() -> provisioner.ensureTenant(tenant)));
    assertThat(fresh.organizationId()).as("the old organization was deleted, so a new one is made")
        .isNotEqualTo(provisioned.identity().organizationId());
  }

  @Test
  void anOutageIsUnavailableWithARetryHintAndTheResyncFinishesTheTenantLater() {
    TenantId tenant = TenantId.of("kc-outage");
    createTenant(controlPlane, tenant.value(), null);
    await(provisioning.call(() -> {
      provisioner.ensureRealm();
      return null;
    }));
    keycloak.stop();
    try {
      Throwable down = failure(provisioning.provision(tenant));
      assertThat(down).isInstanceOf(Rejected.class);
      Rejected refused = (Rejected) down;
      assertThat(refused.rejection().reason()).isEqualTo(Rejection.Reason.UNAVAILABLE);
      assertThat(refused.rejection().code()).isEqualTo("identity_unavailable");
      assertThat(refused.retryAfterSeconds()).isEqualTo(5);
      assertThat(await(controlPlane.tenantSummary(tenant)).identity()).as("nothing recorded").isNull();

      // within the wait the tenant is answered as created, still provisioning
      TenantEntity.Summary created = await(controlPlane.tenantSummary(tenant));
      assertThat(await(provisioning.provisionWithin(tenant, created, Duration.ofSeconds(2))).identity()).isNull();
      await(provisioning.resync()); // a pass during the outage fails quietly
    } finally {
      keycloak.start();
    }

    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (await(controlPlane.tenantSummary(tenant)).identity() == null) {
      assertThat(Instant.now()).as("the resync provisions the pending tenant").isBefore(deadline);
      await(provisioning.resync());
      LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
    }
  }
}
