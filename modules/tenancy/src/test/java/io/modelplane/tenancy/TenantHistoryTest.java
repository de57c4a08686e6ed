package io.modelplane.tenancy;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.HistoryEntry;
import io.modelplane.common.Quota;
import io.modelplane.common.Role;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TenantHistoryTest {
  static final Instant AT = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void everyChangeIsDescribedWithItsActorAndNoKeyHash() {
    HistoryEntry created = TenantHistory.describe(1, new TenantEntity.TenantCreated("acme", "Acme", Quota.defaults(), AT, "operator")).orElseThrow();
    assertThat(created.type()).isEqualTo("tenant_created");
    assertThat(created.actor()).isEqualTo("operator");
    assertThat(created.details()).containsEntry("displayName", "Acme");
    @SuppressWarnings("unchecked")
    Map<String, Object> quota = (Map<String, Object>) created.details().get("quota");
    assertThat(quota).containsEntry("requestsPerSecond", 100.0).containsKey("monthlyComputeSeconds");

    HistoryEntry key = TenantHistory.describe(2, new TenantEntity.ApiKeyAdded("acme.k1", "ci", Role.PREDICTOR,
        "secret-hash-value", AT, "alice")).orElseThrow();
    assertThat(key.type()).isEqualTo("api_key_created");
    assertThat(key.details()).containsEntry("keyId", "acme.k1").containsEntry("role", "predictor");
    assertThat(key.details().toString()).doesNotContain("secret-hash-value");

    assertThat(TenantHistory.describe(3, new TenantEntity.AccessChanged("member_added", "u-1", "alice as viewer", AT, "bob", null))
        .orElseThrow()).isEqualTo(new HistoryEntry(3, "member_added", AT, "bob",
            Map.of("keycloakId", "u-1", "detail", "alice as viewer")));
    assertThat(TenantHistory.describe(4, new TenantEntity.TenantSuspended(AT, "operator")).orElseThrow().type())
        .isEqualTo("tenant_suspended");
    assertThat(TenantHistory.describe(5, new TenantEntity.IdentityProvisioned(
        new TenantEntity.Identity("org-1", Map.of("viewer", "g-1")), AT, "keycloak-provisioning")).orElseThrow().details())
        .containsEntry("organizationId", "org-1");
  }

  @Test
  void deletionAndExportAreRecorded() {
    assertThat(TenantHistory.describe(7, new TenantEntity.DeletionStarted(true, AT, "op")).orElseThrow().type())
        .isEqualTo("tenant_deletion_started");
    HistoryEntry deleted = TenantHistory.describe(8, new TenantEntity.TenantDeleted(false, 4, AT, "op")).orElseThrow();
    assertThat(deleted.type()).isEqualTo("tenant_deleted");
    assertThat(deleted.details()).containsEntry("artifactsDeleted", 4).containsEntry("idReleased", false);
    assertThat(TenantHistory.describe(9, new TenantEntity.TenantExported("e1", AT, "alice")).orElseThrow().actor())
        .isEqualTo("alice");
  }

  @Test
  void keyUseIsNotAChange() {
    assertThat(TenantHistory.describe(6, new TenantEntity.ApiKeysUsed(Map.of("acme.k1", AT)))).isEmpty();
  }
}
