package io.modelplane.control;

import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.PersistenceQuery;
import akka.stream.javadsl.Sink;
import static io.modelplane.control.ControlFixtures.await;
import static io.modelplane.control.ControlFixtures.createTenant;
import static io.modelplane.control.ControlFixtures.failure;
import static io.modelplane.control.ControlFixtures.refusal;
import static io.modelplane.control.ControlFixtures.registerVersion;
import static org.assertj.core.api.Assertions.assertThat;

import akka.pattern.AskTimeoutException;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.Quota;
import io.modelplane.common.Rejection;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import io.modelplane.identity.ApiKeyAuthenticator;
import io.modelplane.identity.ApiKeyCredential;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link ControlPlane} over real sharded entities with the JDBC journal on H2, no HTTP server. */
class ControlPlaneTest {
  private static final String SHA_A = "a".repeat(64);

  static ControlTestNode node;
  static ControlPlane controlPlane;

  @BeforeAll
  static void start() {
    node = ControlTestNode.start("control-plane-test", true);
    controlPlane = node.controlPlane(Duration.ofSeconds(5), 3);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void aCommandIsAppliedAndARepeatIsRefusedAsAConflict() {
    TenantEntity.Summary created = createTenant(controlPlane, "acme", null);
    assertThat(created.quota()).isEqualTo(Quota.defaults());

    Rejection again = refusal(controlPlane.tenant(TenantId.of("acme"),
        r -> new TenantEntity.Create("acme", null, "operator", r), TenantEntity.Summary.class), Rejection.Reason.CONFLICT);
    assertThat(again.code()).isEqualTo("tenant_exists");
  }

  @Test
  void refusalsCarryTheirReasonAndCode() {
    Rejection unknown = refusal(controlPlane.tenantSummary(TenantId.of("nobody")), Rejection.Reason.NOT_FOUND);
    assertThat(unknown.code()).isEqualTo("tenant_not_found");

    Quota negative = new Quota(-1.0, null, null, null, null, null, null);
    Rejection invalid = refusal(controlPlane.tenant(TenantId.of("badquota"),
        r -> new TenantEntity.Create("bad", negative, "operator", r), TenantEntity.Summary.class), Rejection.Reason.INVALID);
    assertThat(invalid.code()).isEqualTo("invalid_quota");

    ModelKey missing = new ModelKey(TenantId.of("acme2"), ModelId.of("missing"));
    Rejection noModel = refusal(controlPlane.readModel(missing, ModelEntity.Get::new, ModelEntity.Summary.class),
        Rejection.Reason.NOT_FOUND);
    assertThat(noModel.code()).isEqualTo("model_not_found");
  }

  @Test
  void anUnexpectedReplyIsAFaultNotARefusal() {
    createTenant(controlPlane, "oddreply", null);
    // Get answers a Summary: asking for an ApiKeyCreated is a programming error, not a domain refusal
    Throwable thrown = failure(controlPlane.readTenant(TenantId.of("oddreply"), TenantEntity.Get::new,
        TenantEntity.ApiKeyCreated.class));
    assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("Summary");
  }

  @Test
  void tenantAccessIsEmptyForAnUnknownTenantAndFollowsSuspension() {
    assertThat(await(controlPlane.tenantAccess(TenantId.of("ghost")))).isEmpty();
    createTenant(controlPlane, "suspendable", null);
    assertThat(await(controlPlane.tenantAccess(TenantId.of("suspendable")))).hasValueSatisfying(a ->
        assertThat(a.active()).isTrue());
    await(controlPlane.tenant(TenantId.of("suspendable"), r -> new TenantEntity.Suspend("operator", r),
        TenantEntity.Summary.class));
    assertThat(await(controlPlane.tenantAccess(TenantId.of("suspendable")))).hasValueSatisfying(a ->
        assertThat(a.active()).isFalse());
  }

  @Test
  void findApiKeyAnswersActiveKeysOnly() {
    createTenant(controlPlane, "keyed", null);
    ApiKeyCredential key = ApiKeyCredential.generate(TenantId.of("keyed"));
    await(controlPlane.tenant(TenantId.of("keyed"), r -> new TenantEntity.CreateApiKey(key.keyId(), "ci",
        Role.DEVELOPER, key.secretHash(), "operator", r), TenantEntity.ApiKeyCreated.class));

    Optional<ApiKeyAuthenticator.StoredKey> found = await(controlPlane.findApiKey(key));
    assertThat(found).hasValueSatisfying(k -> {
      assertThat(k.role()).isEqualTo(Role.DEVELOPER);
      assertThat(k.secretHash()).isEqualTo(key.secretHash());
      assertThat(k.tenantActive()).isTrue();
    });
    assertThat(await(controlPlane.findApiKey(ApiKeyCredential.generate(TenantId.of("keyed"))))).isEmpty();
    assertThat(await(controlPlane.findApiKey(ApiKeyCredential.generate(TenantId.of("unknownkeys"))))).isEmpty();

    await(controlPlane.tenant(TenantId.of("keyed"), r -> new TenantEntity.RevokeApiKey(key.keyId(), "operator", r),
        TenantEntity.Summary.class));
    assertThat(await(controlPlane.findApiKey(key))).isEmpty();
  }

  @Test
  void aVacantModelNameIsReleasedAndOneWithAVersionIsKept() {
    TenantId tenant = TenantId.of("names");
    createTenant(controlPlane, "names", null);
    long vacantReservation = reserve(tenant, "vacant");
    reserve(tenant, "kept");
    ModelKey kept = new ModelKey(tenant, ModelId.of("kept"));
    registerVersion(controlPlane, kept, SHA_A);

    assertThat(await(controlPlane.releaseIfVacant(kept, Long.MAX_VALUE, "sweeper"))).isFalse();
    assertThat(await(controlPlane.releaseIfVacant(new ModelKey(tenant, ModelId.of("vacant")), vacantReservation,
        "sweeper"))).isTrue();
    assertThat(await(controlPlane.tenantSummary(tenant)).models()).containsExactly("kept");
    // the released reservation can no longer create the model: the upload must start again
    Rejection late = refusal(controlPlane.model(new ModelKey(tenant, ModelId.of("vacant")),
        r -> new ModelEntity.RegisterVersion(SHA_A, 10L, "torchscript", ControlFixtures.INPUTS, ControlFixtures.OUTPUTS,
            null, null, vacantReservation, "alice", r), ModelEntity.VersionAdded.class), Rejection.Reason.CONFLICT);
    assertThat(late.code()).isEqualTo("model_reservation_released");
  }

  @Test
  void releaseVacantModelsAnswersTheTenantWithoutTheVacantNames() {
    TenantId tenant = TenantId.of("tidy");
    createTenant(controlPlane, "tidy", null);
    reserve(tenant, "one");
    reserve(tenant, "two");
    registerVersion(controlPlane, new ModelKey(tenant, ModelId.of("two")), SHA_A);

    TenantEntity.Summary tidied = await(controlPlane.releaseVacantModels(await(controlPlane.tenantSummary(tenant)),
        "operator"));
    assertThat(tidied.models()).containsExactly("two");
    assertThat(await(controlPlane.tenantSummary(tenant)).models()).containsExactly("two");
    // nothing vacant left: the tenant is answered as given
    TenantEntity.Summary unchanged = await(controlPlane.tenantSummary(tenant));
    assertThat(await(controlPlane.releaseVacantModels(unchanged, "operator"))).isSameAs(unchanged);
  }

  /**
   * A node outside any cluster cannot reach its entities: a read is retried until the node joins, a
   * write gets one attempt (its timeout is the caller's answer) and is applied once, when delivered.
   */
  @Test
  void readsAreRetriedOnTimeoutAndWritesAreNot() throws Exception {
    try (ControlTestNode detached = ControlTestNode.start("control-plane-detached", false)) {
      Duration shortAsk = Duration.ofMillis(300);
      ControlPlane once = detached.controlPlane(shortAsk, 1);
      assertThat(failure(once.tenantSummary(TenantId.of("late")))).isInstanceOfAny(AskTimeoutException.class,
          java.util.concurrent.TimeoutException.class);

      // a retried write would be refused as tenant_exists by its second delivery; one attempt times out instead
      ControlPlane patient = detached.controlPlane(shortAsk, 100);
      CompletionStage<TenantEntity.Summary> create = patient.tenant(TenantId.of("late"),
          r -> new TenantEntity.Create("late", null, "operator", r), TenantEntity.Summary.class);
      assertThat(failure(create)).isInstanceOfAny(AskTimeoutException.class, java.util.concurrent.TimeoutException.class);

      CompletionStage<TenantEntity.Summary> read = patient.tenantSummary(TenantId.of("late"));
      Thread.sleep(3 * shortAsk.toMillis()); // let the first attempts time out before the cluster forms
      assertThat(read.toCompletableFuture()).isNotDone();
      detached.join();
      assertThat(await(read).id()).isEqualTo("late");
      assertThat(await(PersistenceQuery.get(detached.kit.system())
          .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier())
          .currentEventsByPersistenceId("Tenant|late", 0L, Long.MAX_VALUE)
          .runWith(Sink.seq(), detached.kit.system()))).as("the create applied once").hasSize(1);
    }
  }

  private long reserve(TenantId tenant, String model) {
    return await(controlPlane.tenant(tenant, r -> new TenantEntity.AddModel(model, "alice", r),
        TenantEntity.Summary.class)).modelReservations().get(model);
  }
}
