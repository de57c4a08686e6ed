package io.modelplane.api.view;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.api.Json;
import io.modelplane.common.Quota;
import io.modelplane.common.Role;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.placement.PlacementCoordinator.ReplicaState;
import io.modelplane.registry.ModelEntity;
import io.modelplane.common.QuotaOverrides;
import io.modelplane.tenancy.TenantEntity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The views write exactly the JSON openapi.yaml describes: field names, order, nulls and wire values. */
class ViewsTest {
  static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

  static String json(Object view) throws Exception {
    return Json.MAPPER.writeValueAsString(view);
  }

  static TenantEntity.Summary tenant(TenantEntity.Status status, TenantEntity.Identity identity, String pool) {
    return new TenantEntity.Summary("acme", "Acme", Quota.defaults(), status, AT, AT,
        List.of(new TenantEntity.ApiKeyInfo("acme.k1", "ci", Role.TENANT_ADMIN, AT, "operator")), List.of("digits"),
        identity, Map.of(), Map.of("digits", 1L), pool, null, null);
  }

  @Test
  void quotaKeepsEveryLimitInOrderWithNullsForUnlimited() throws Exception {
    assertThat(json(QuotaView.from(Quota.defaults()))).isEqualTo("{\"requestsPerSecond\":100.0,\"burst\":200,"
        + "\"maxConcurrentRequests\":32,\"maxModels\":20,\"maxVersionsPerModel\":50,\"maxResidentBytes\":4294967296,"
        + "\"monthlyComputeSeconds\":null}");
    assertThat(QuotaView.from(Quota.unlimited()).toQuota()).isEqualTo(Quota.unlimited());
  }

  @Test
  void tenantShowsWireStatusAndLeavesOutIdentityAndPoolWhenAbsent() throws Exception {
    String plain = json(TenantView.from(tenant(TenantEntity.Status.SUSPENDED, null, null), false));
    assertThat(plain).startsWith("{\"id\":\"acme\",\"displayName\":\"Acme\",\"status\":\"suspended\",\"quota\":{")
        .endsWith("\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\",\"models\":[\"digits\"],"
            + "\"plan\":\"default\",\"quotaOverrides\":{}}")
        .doesNotContain("identity").doesNotContain("workerPool").doesNotContain("modelReservations");
    // Keycloak mode shows whether provisioning is done
    assertThat(json(TenantView.from(tenant(TenantEntity.Status.ACTIVE, null, "gpu"), true)))
        .contains("\"status\":\"active\"")
        .endsWith("\"identity\":{\"state\":\"provisioning\",\"organizationId\":null},\"workerPool\":\"gpu\","
            + "\"plan\":\"default\",\"quotaOverrides\":{}}");
    assertThat(json(TenantView.from(tenant(TenantEntity.Status.ACTIVE,
        new TenantEntity.Identity("org-1", Map.of("developer", "g")), null), true)))
        .contains("\"identity\":{\"state\":\"provisioned\",\"organizationId\":\"org-1\"}");
  }

  @Test
  void tenantShowsItsPlanAndOnlyTheLimitsItOverridesWithNullForUnlimited() throws Exception {
    QuotaOverrides overrides = QuotaOverrides.of(new Quota(5.0, null, null, null, null, null, null),
        java.util.Set.of("monthlyComputeSeconds", "requestsPerSecond"));
    TenantEntity.Summary onGold = new TenantEntity.Summary("acme", "Acme", Quota.defaults(), TenantEntity.Status.ACTIVE,
        AT, AT, List.of(), List.of(), null, Map.of(), Map.of(), null, "gold", overrides);

    assertThat(json(TenantView.from(onGold, false)))
        .endsWith("\"plan\":\"gold\",\"quotaOverrides\":{\"requestsPerSecond\":5.0,\"monthlyComputeSeconds\":null}}");
  }

  @Test
  void apiKeysShowTheRoleByItsWireName() throws Exception {
    TenantEntity.ApiKeyInfo key = new TenantEntity.ApiKeyInfo("acme.k1", "ci", Role.TENANT_ADMIN, AT, "operator");
    assertThat(json(ApiKeyView.from(key))).isEqualTo("{\"id\":\"acme.k1\",\"name\":\"ci\",\"role\":\"tenant-admin\","
        + "\"createdAt\":\"2026-01-01T00:00:00Z\",\"createdBy\":\"operator\",\"lastUsedAt\":null}");
    assertThat(json(ApiKeyView.Created.from(key, "mp_secret"))).endsWith("\"createdBy\":\"operator\",\"key\":\"mp_secret\"}");
  }

  @Test
  void deploymentTrafficIsKeyedByVersionInNumericOrder() throws Exception {
    ModelEntity.DeploymentRevision revision = new ModelEntity.DeploymentRevision(3,
        new ModelEntity.DeploymentSpec(Map.of(10, 80, 2, 20), 2, 16, 3), AT, "me");
    String expected = "{\"revision\":3,\"traffic\":{\"2\":20,\"10\":80},\"replicas\":2,\"maxBatchSize\":16,"
        + "\"maxBatchDelayMs\":3,\"engineThreads\":null,\"autoscaling\":null,\"createdAt\":\"2026-01-01T00:00:00Z\","
        + "\"createdBy\":\"me\"";
    assertThat(json(DeploymentView.from(revision)))
        .isEqualTo(expected + ",\"rollbackAvailable\":null,\"rollbackRevision\":null}");
    assertThat(json(DeploymentView.Deployed.from(new ModelEntity.Deployed(revision, null))))
        .isEqualTo(expected + ",\"previousRevision\":null,\"rollbackAvailable\":false,\"rollbackRevision\":null}");
    assertThat(DeploymentView.from((ModelEntity.DeploymentRevision) null)).isNull();
  }

  @Test
  void anAutoscaledDeploymentShowsItsBounds() throws Exception {
    ModelEntity.DeploymentRevision revision = new ModelEntity.DeploymentRevision(1, new ModelEntity.DeploymentSpec(
        Map.of(1, 100), 1, 32, 0, null, new ModelEntity.Autoscaling(0, 4, 8, 600)), AT, "me");
    assertThat(json(DeploymentView.from(revision))).contains("\"replicas\":1,", "\"engineThreads\":null,"
        + "\"autoscaling\":{\"minReplicas\":0,\"maxReplicas\":4,\"targetInFlight\":8,\"idleUnloadSeconds\":600},");
  }

  @Test
  void aDeploymentSaysWhetherARollbackIsPossibleAndToWhichRevision() throws Exception {
    ModelEntity.DeploymentRevision one = new ModelEntity.DeploymentRevision(1,
        new ModelEntity.DeploymentSpec(Map.of(1, 100), 1, 8, 0), AT, "me");
    // rolled back from 2 to 1: 1 is current, nothing left to roll back to
    assertThat(json(DeploymentView.Deployed.from(new ModelEntity.Deployed(one, 2L, null))))
        .startsWith("{\"revision\":1,")
        .endsWith(",\"previousRevision\":2,\"rollbackAvailable\":false,\"rollbackRevision\":null}");
    ModelEntity.DeploymentRevision three = new ModelEntity.DeploymentRevision(3,
        new ModelEntity.DeploymentSpec(Map.of(1, 100), 1, 8, 0), AT, "me");
    assertThat(json(DeploymentView.Deployed.from(new ModelEntity.Deployed(three, 1L, 1L))))
        .endsWith(",\"previousRevision\":1,\"rollbackAvailable\":true,\"rollbackRevision\":1}");
    ModelEntity.Summary model = new ModelEntity.Summary("acme", "digits", AT, List.of(), three, 1L);
    assertThat(json(DeploymentView.current(model))).endsWith(",\"rollbackAvailable\":true,\"rollbackRevision\":1}");
    assertThat(json(ModelView.from(model, List.of()).deployment())).contains("\"rollbackAvailable\":true");
    assertThat(ModelView.listed(model).deployment().rollbackAvailable()).as("lists do not know").isNull();
    assertThat(DeploymentView.current(new ModelEntity.Summary("acme", "digits", AT, List.of(), null))).isNull();
  }

  @Test
  void versionsCarryTheirSignature() throws Exception {
    TensorSpec input = new TensorSpec("input", "FP32", List.of(-1L, 64L));
    ModelEntity.VersionInfo v = new ModelEntity.VersionInfo(2, "ab", 10, "torchscript", List.of(input),
        List.of(input), "d", AT, "me", true);
    assertThat(json(VersionView.from(v))).isEqualTo("{\"version\":2,\"sha256\":\"ab\",\"sizeBytes\":10,"
        + "\"format\":\"torchscript\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,64]}],"
        + "\"outputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,64]}],\"description\":\"d\","
        + "\"createdAt\":\"2026-01-01T00:00:00Z\",\"createdBy\":\"me\",\"archived\":true}");
    assertThat(new TensorView("x", "FP32", List.of(1L)).toSpec()).isEqualTo(new TensorSpec("x", "FP32", List.of(1L)));
  }

  @Test
  void modelStatusNamesWhatHoldsAVersionWithTrafficBack() throws Exception {
    ModelEntity.DeploymentRevision revision = new ModelEntity.DeploymentRevision(1,
        new ModelEntity.DeploymentSpec(Map.of(1, 90, 2, 10, 3, 0), 1, 8, 0), AT, "me");
    ModelEntity.Summary model = new ModelEntity.Summary("acme", "digits", AT, List.of(), revision);
    List<PlacementCoordinator.ReplicaView> replicas = List.of(
        new PlacementCoordinator.ReplicaView(1, "w", ReplicaState.READY, null),
        new PlacementCoordinator.ReplicaView(2, null, ReplicaState.PENDING, "no room"),
        new PlacementCoordinator.ReplicaView(2, null, ReplicaState.QUOTA_EXCEEDED, "over quota"));
    ModelView view = ModelView.from(model, replicas);
    assertThat(view.status()).isEqualTo("quota_exceeded"); // version 3 has no traffic: not waited for
    assertThat(json(view)).endsWith("\"status\":\"quota_exceeded\",\"replicas\":[{\"version\":1,\"worker\":\"w\","
        + "\"state\":\"READY\",\"reason\":null},{\"version\":2,\"worker\":null,\"state\":\"PENDING\",\"reason\":\"no room\"},"
        + "{\"version\":2,\"worker\":null,\"state\":\"QUOTA_EXCEEDED\",\"reason\":\"over quota\"}]}");
    assertThat(ModelView.from(model, List.of(replicas.get(0))).status()).isEqualTo("loading");
    assertThat(ModelView.from(model, List.of(replicas.get(0),
        new PlacementCoordinator.ReplicaView(2, null, ReplicaState.SCALED_TO_ZERO, "idle"))).status())
        .isEqualTo("scaled_to_zero");
    assertThat(ModelView.from(model, List.of(replicas.get(0),
        new PlacementCoordinator.ReplicaView(2, "w", ReplicaState.READY, null))).status()).isEqualTo("ready");
    assertThat(ModelView.from(new ModelEntity.Summary("acme", "digits", AT, List.of(), null), List.of()).status())
        .isEqualTo("not_deployed");
    ModelView listed = ModelView.from(model, null);
    assertThat(json(listed)).endsWith("\"status\":null,\"replicas\":null}");
  }
}
