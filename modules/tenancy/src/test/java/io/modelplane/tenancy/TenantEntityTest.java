package io.modelplane.tenancy;

import io.modelplane.common.testing.ManualClock;
import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelplane.common.Quota;
import io.modelplane.common.QuotaOverrides;
import io.modelplane.common.Rejection;
import io.modelplane.common.Role;
import io.modelplane.tenancy.TenantEntity.AddModel;
import io.modelplane.tenancy.TenantEntity.ApiKeyAdded;
import io.modelplane.tenancy.TenantEntity.ApiKeyCreated;
import io.modelplane.tenancy.TenantEntity.ApiKeyInfo;
import io.modelplane.tenancy.TenantEntity.ApiKeyMatch;
import io.modelplane.tenancy.TenantEntity.ApiKeyRevoked;
import io.modelplane.tenancy.TenantEntity.Command;
import io.modelplane.tenancy.TenantEntity.Create;
import io.modelplane.tenancy.TenantEntity.Identity;
import io.modelplane.tenancy.TenantEntity.IdentityProvisioned;
import io.modelplane.tenancy.TenantEntity.RecordIdentity;
import io.modelplane.tenancy.TenantEntity.RecordKeyUse;
import io.modelplane.tenancy.TenantEntity.RecordAccessChange;
import io.modelplane.tenancy.TenantEntity.AccessChanged;
import io.modelplane.tenancy.TenantEntity.ApiKeysUsed;
import io.modelplane.tenancy.TenantEntity.Tenant;
import io.modelplane.tenancy.TenantEntity.CreateApiKey;
import io.modelplane.tenancy.TenantEntity.DisplayNameChanged;
import io.modelplane.tenancy.TenantEntity.Event;
import io.modelplane.tenancy.TenantEntity.Get;
import io.modelplane.tenancy.TenantEntity.LookupApiKey;
import io.modelplane.tenancy.TenantEntity.ModelAdded;
import io.modelplane.tenancy.TenantEntity.QuotaChanged;
import io.modelplane.tenancy.TenantEntity.Rejected;
import io.modelplane.tenancy.TenantEntity.Reply;
import io.modelplane.tenancy.TenantEntity.Resume;
import io.modelplane.tenancy.TenantEntity.RevokeApiKey;
import io.modelplane.tenancy.TenantEntity.State;
import io.modelplane.tenancy.TenantEntity.Status;
import io.modelplane.tenancy.TenantEntity.Summary;
import io.modelplane.tenancy.TenantEntity.Suspend;
import io.modelplane.tenancy.TenantEntity.TenantCreated;
import io.modelplane.tenancy.TenantEntity.TenantResumed;
import io.modelplane.tenancy.TenantEntity.TenantSuspended;
import io.modelplane.tenancy.TenantEntity.Unknown;
import io.modelplane.tenancy.TenantEntity.Update;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class TenantEntityTest {

  private static final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final String ADMIN = "operator@example.com";
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  private ManualClock clock;
  private EventSourcedBehaviorTestKit<Command, Event, State> tenant;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    clock = new ManualClock(T0);
    tenant = entity("acme");
    tenant.clear();
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> entity(String id) {
    // Every command, event and state goes through Akka serialization and must come back equal.
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        TenantEntity.create(id, clock),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
  }

  // ---------------------------------------------------------------------------------------------
  // Create

  @Test
  void createWithoutQuotaGetsDefaultQuotaAndIsActive() {
    var result = run(r -> new Create("Acme Corp", null, ADMIN, r));

    assertThat(result.events())
        .containsExactly(new TenantCreated("acme", "Acme Corp", Quota.defaults(), T0, ADMIN, "default", QuotaOverrides.none()));
    assertThat(result.reply())
        .isEqualTo(new Summary("acme", "Acme Corp", Quota.defaults(), Status.ACTIVE, T0, T0, List.of(), List.of(), null, Map.of()));
  }

  @Test
  void createKeepsTheGivenQuota() {
    Quota quota = new Quota(5.0, 10, 2, 3, 4, 1024L, 3600L);

    Summary summary = summary(run(r -> new Create("Acme", quota, ADMIN, r)));

    assertThat(summary.quota()).isEqualTo(quota);
    assertThat(getSummary().quota()).isEqualTo(quota);
  }

  @Test
  void createIsPersistedUnderTenantPersistenceId() {
    createAcme();

    assertThat(tenant.persistenceTestKit().persistedInStorage("Tenant|acme"))
        .containsExactly(new TenantCreated("acme", "Acme", Quota.defaults(), T0, ADMIN, "default", QuotaOverrides.none()));
  }

  @Test
  void createRejectsAnInvalidTenantId() {
    var invalid = entity("Not_Valid");

    var result = invalid.<Reply>runCommand(r -> new Create("Acme", null, ADMIN, r));

    assertRejected(result, Rejection.Reason.INVALID, "invalid_tenant_id");
    assertThat(result.state()).isEqualTo(new Unknown());
  }

  @Test
  void createTwiceIsAConflict() {
    createAcme();

    var result = run(r -> new Create("Other", null, ADMIN, r));

    assertRejected(result, Rejection.Reason.CONFLICT, "tenant_exists");
    assertThat(getSummary().displayName()).isEqualTo("Acme");
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"   "})
  void createRejectsAMissingDisplayName(String displayName) {
    var result = run(r -> new Create(displayName, null, ADMIN, r));

    assertRejected(result, Rejection.Reason.INVALID, "invalid_display_name");
    assertThat(result.state()).isEqualTo(new Unknown());
  }

  @Test
  void createAcceptsTwoHundredCharactersOfDisplayNameButNotMore() {
    assertRejected(run(r -> new Create("x".repeat(201), null, ADMIN, r)), Rejection.Reason.INVALID, "invalid_display_name");

    assertThat(summary(run(r -> new Create("x".repeat(200), null, ADMIN, r))).displayName()).hasSize(200);
  }

  @Test
  void createRejectsAnInvalidQuotaWithTheViolationAsMessage() {
    Quota broken = new Quota(0.0, null, null, null, null, null, null);

    var result = run(r -> new Create("Acme", broken, ADMIN, r));

    assertRejected(result, Rejection.Reason.INVALID, "invalid_quota");
    assertThat(rejection(result).message()).isEqualTo(broken.violation());
    assertThat(result.state()).isEqualTo(new Unknown());
  }

  // ---------------------------------------------------------------------------------------------
  // Commands on a tenant that does not exist

  @Test
  void everyCommandButCreateOnAnUnknownTenantIsTenantNotFound() {
    List<Function<ActorRef<Reply>, Command>> commands = List.of(
        r -> new Update("Acme", null, ADMIN, r),
        r -> new Suspend(ADMIN, r),
        r -> new Resume(ADMIN, r),
        Get::new,
        r -> new CreateApiKey("k1", "ci", Role.DEVELOPER, "hash", ADMIN, r),
        r -> new RevokeApiKey("k1", ADMIN, r),
        r -> new AddModel("mnist", ADMIN, r));

    for (Function<ActorRef<Reply>, Command> command : commands) {
      var result = tenant.<Reply>runCommand(command);
      assertRejected(result, Rejection.Reason.NOT_FOUND, "tenant_not_found");
      assertThat(rejection(result).message()).isEqualTo("tenant acme does not exist");
      assertThat(result.state()).isEqualTo(new Unknown());
    }
  }

  @Test
  void lookupOnAnUnknownTenantIsApiKeyNotFound() {
    var result = run(r -> new LookupApiKey("k1", r));

    assertRejected(result, Rejection.Reason.NOT_FOUND, "api_key_not_found");
  }

  // ---------------------------------------------------------------------------------------------
  // Update

  @Test
  void updateChangesOnlyTheDisplayNameWhenQuotaIsNull() {
    createAcme();
    clock.advance(Duration.ofMinutes(1));

    var result = run(r -> new Update("Acme Corp", null, "alice", r));

    assertThat(result.events()).containsExactly(new DisplayNameChanged("Acme Corp", T0.plusSeconds(60), "alice"));
    Summary summary = summary(result);
    assertThat(summary.displayName()).isEqualTo("Acme Corp");
    assertThat(summary.quota()).isEqualTo(Quota.defaults());
    assertThat(summary.createdAt()).isEqualTo(T0);
    assertThat(summary.updatedAt()).isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void updateChangesOnlyTheQuotaWhenDisplayNameIsNull() {
    createAcme();
    Quota quota = Quota.unlimited();

    var result = run(r -> new Update(null, quota, "alice", r));

    assertThat(result.events()).containsExactly(terms(quota, "alice"));
    assertThat(summary(result).quota()).isEqualTo(quota);
    assertThat(summary(result).displayName()).isEqualTo("Acme");
  }

  @Test
  void updateOfBothFieldsEmitsBothEvents() {
    createAcme();
    Quota quota = Quota.unlimited();

    var result = run(r -> new Update("Acme Corp", quota, "alice", r));

    assertThat(result.events())
        .containsExactly(new DisplayNameChanged("Acme Corp", T0, "alice"), terms(quota, "alice"));
    assertThat(summary(result).displayName()).isEqualTo("Acme Corp");
    assertThat(summary(result).quota()).isEqualTo(quota);
  }

  @Test
  void updateWithNothingNewEmitsNoEvent() {
    createAcme();
    clock.advance(Duration.ofMinutes(1));

    var same = run(r -> new Update("Acme", Quota.defaults(), "alice", r));
    var empty = run(r -> new Update(null, null, "alice", r));

    assertThat(same.hasNoEvents()).isTrue();
    assertThat(empty.hasNoEvents()).isTrue();
    assertThat(summary(same).updatedAt()).isEqualTo(T0);
    assertThat(summary(empty)).isEqualTo(getSummary());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  "})
  void updateRejectsABlankDisplayName(String displayName) {
    createAcme();

    var result = run(r -> new Update(displayName, Quota.unlimited(), "alice", r));

    assertRejected(result, Rejection.Reason.INVALID, "invalid_display_name");
    assertThat(getSummary().quota()).isEqualTo(Quota.defaults());
  }

  @Test
  void updateRejectsATooLongDisplayName() {
    createAcme();

    assertRejected(run(r -> new Update("x".repeat(201), null, "alice", r)), Rejection.Reason.INVALID, "invalid_display_name");
  }

  @Test
  void updateRejectsAnInvalidQuotaAndKeepsTheName() {
    createAcme();
    Quota broken = new Quota(null, -1, null, null, null, null, null);

    var result = run(r -> new Update("Acme Corp", broken, "alice", r));

    assertRejected(result, Rejection.Reason.INVALID, "invalid_quota");
    assertThat(rejection(result).message()).isEqualTo("quota.burst must not be negative");
    assertThat(getSummary().displayName()).isEqualTo("Acme");
  }

  // ---------------------------------------------------------------------------------------------
  // Suspend / Resume

  @Test
  void suspendAndResumeAreRecordedAndIdempotent() {
    createAcme();

    var suspended = run(r -> new Suspend("alice", r));
    assertThat(suspended.events()).containsExactly(new TenantSuspended(T0, "alice"));
    assertThat(summary(suspended).status()).isEqualTo(Status.SUSPENDED);

    var suspendedAgain = run(r -> new Suspend("alice", r));
    assertThat(suspendedAgain.hasNoEvents()).isTrue();
    assertThat(summary(suspendedAgain).status()).isEqualTo(Status.SUSPENDED);

    var resumed = run(r -> new Resume("bob", r));
    assertThat(resumed.events()).containsExactly(new TenantResumed(T0, "bob"));
    assertThat(summary(resumed).status()).isEqualTo(Status.ACTIVE);

    var resumedAgain = run(r -> new Resume("bob", r));
    assertThat(resumedAgain.hasNoEvents()).isTrue();
    assertThat(summary(resumedAgain).status()).isEqualTo(Status.ACTIVE);
  }

  @Test
  void resumeOfAnActiveTenantEmitsNothing() {
    createAcme();

    var result = run(r -> new Resume("bob", r));

    assertThat(result.hasNoEvents()).isTrue();
    assertThat(summary(result).status()).isEqualTo(Status.ACTIVE);
  }

  @Test
  void statusHasLowercaseJsonWireNames() throws Exception {
    ObjectMapper json = new ObjectMapper();

    assertThat(json.writeValueAsString(Status.ACTIVE)).isEqualTo("\"active\"");
    assertThat(json.writeValueAsString(Status.SUSPENDED)).isEqualTo("\"suspended\"");
    assertThat(json.readValue("\"suspended\"", Status.class)).isEqualTo(Status.SUSPENDED);
  }

  // ---------------------------------------------------------------------------------------------
  // API keys

  @Test
  void createApiKeyRecordsTheKeyAndRepliesWithItsInfo() {
    createAcme();
    clock.advance(Duration.ofSeconds(5));

    var result = run(r -> new CreateApiKey("k1", "ci", Role.DEVELOPER, "hash-1", "alice", r));

    Instant at = T0.plusSeconds(5);
    assertThat(result.events()).containsExactly(new ApiKeyAdded("k1", "ci", Role.DEVELOPER, "hash-1", at, "alice"));
    ApiKeyInfo info = new ApiKeyInfo("k1", "ci", Role.DEVELOPER, at, "alice");
    assertThat(result.reply()).isEqualTo(new ApiKeyCreated(info));
    assertThat(getSummary().apiKeys()).containsExactly(info);
  }

  @Test
  void apiKeysAreListedOldestFirst() {
    createAcme();
    addKey("zz", Role.VIEWER);
    clock.advance(Duration.ofSeconds(1));
    addKey("aa", Role.PREDICTOR);
    clock.advance(Duration.ofSeconds(1));
    addKey("mm", Role.TENANT_ADMIN);

    assertThat(getSummary().apiKeys()).extracting(ApiKeyInfo::id).containsExactly("zz", "aa", "mm");
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" "})
  void createApiKeyRejectsAMissingName(String name) {
    createAcme();

    assertRejected(run(r -> new CreateApiKey("k1", name, Role.DEVELOPER, "hash", "alice", r)),
        Rejection.Reason.INVALID, "invalid_api_key_name");
    assertThat(getSummary().apiKeys()).isEmpty();
  }

  @Test
  void createApiKeyAcceptsAHundredCharacterNameButNotMore() {
    createAcme();

    assertRejected(run(r -> new CreateApiKey("k1", "n".repeat(101), Role.DEVELOPER, "hash", "alice", r)),
        Rejection.Reason.INVALID, "invalid_api_key_name");
    assertThat(run(r -> new CreateApiKey("k1", "n".repeat(100), Role.DEVELOPER, "hash", "alice", r)).reply())
        .isInstanceOf(ApiKeyCreated.class);
  }

  @Test
  void createApiKeyRejectsAMissingRoleAndTheOperatorRole() {
    createAcme();

    assertRejected(run(r -> new CreateApiKey("k1", "ci", null, "hash", "alice", r)),
        Rejection.Reason.INVALID, "invalid_role");
    assertRejected(run(r -> new CreateApiKey("k1", "ci", Role.OPERATOR, "hash", "alice", r)),
        Rejection.Reason.INVALID, "invalid_role");
    assertThat(getSummary().apiKeys()).isEmpty();
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"  "})
  void createApiKeyRejectsAMissingSecretHash(String secretHash) {
    createAcme();

    assertRejected(run(r -> new CreateApiKey("k1", "ci", Role.DEVELOPER, secretHash, "alice", r)),
        Rejection.Reason.INVALID, "invalid_api_key");
    assertThat(getSummary().apiKeys()).isEmpty();
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"  "})
  void createApiKeyWithoutAKeyIdIsAConflict(String keyId) {
    createAcme();

    assertRejected(run(r -> new CreateApiKey(keyId, "ci", Role.DEVELOPER, "hash", "alice", r)),
        Rejection.Reason.CONFLICT, "api_key_exists");
    assertThat(getSummary().apiKeys()).isEmpty();
  }

  @Test
  void createApiKeyWithAnActiveKeysIdIsAConflict() {
    createAcme();
    addKey("k1", Role.DEVELOPER);

    var result = run(r -> new CreateApiKey("k1", "other", Role.VIEWER, "hash-2", "alice", r));

    assertRejected(result, Rejection.Reason.CONFLICT, "api_key_exists");
    assertThat(lookup("k1").role()).isEqualTo(Role.DEVELOPER);
  }

  @Test
  void aRevokedKeyIdCanNeverBeReused() {
    createAcme();
    addKey("k1", Role.DEVELOPER);
    run(r -> new RevokeApiKey("k1", "alice", r));

    var result = run(r -> new CreateApiKey("k1", "again", Role.DEVELOPER, "hash-2", "alice", r));

    assertRejected(result, Rejection.Reason.CONFLICT, "api_key_exists");
    assertRejected(run(r -> new LookupApiKey("k1", r)), Rejection.Reason.NOT_FOUND, "api_key_not_found");
  }

  @Test
  void aTenantHoldsAtMostAHundredActiveKeys() {
    createAcme();
    for (int i = 0; i < 100; i++) {
      addKey("k" + i, Role.PREDICTOR);
    }

    var full = run(r -> new CreateApiKey("k100", "one too many", Role.PREDICTOR, "hash", "alice", r));
    assertRejected(full, Rejection.Reason.QUOTA_EXCEEDED, "api_key_limit");
    assertThat(getSummary().apiKeys()).hasSize(100);

    // Revoked keys do not count against the limit.
    run(r -> new RevokeApiKey("k0", "alice", r));
    assertThat(run(r -> new CreateApiKey("k100", "replacement", Role.PREDICTOR, "hash", "alice", r)).reply())
        .isInstanceOf(ApiKeyCreated.class);
    assertThat(getSummary().apiKeys()).hasSize(100);
  }

  @Test
  void apiKeysCanBeCreatedWhileSuspendedAndLookupReportsTheStatus() {
    createAcme();
    run(r -> new Suspend("alice", r));

    var result = run(r -> new CreateApiKey("k1", "ci", Role.DEVELOPER, "hash-1", "alice", r));

    assertThat(result.reply()).isInstanceOf(ApiKeyCreated.class);
    assertThat(lookup("k1").tenantStatus()).isEqualTo(Status.SUSPENDED);
    run(r -> new Resume("alice", r));
    assertThat(lookup("k1").tenantStatus()).isEqualTo(Status.ACTIVE);
  }

  @Test
  void revokeApiKeyRemovesTheKeyFromTheSummary() {
    createAcme();
    addKey("k1", Role.DEVELOPER);
    addKey("k2", Role.VIEWER);
    clock.advance(Duration.ofSeconds(30));

    var result = run(r -> new RevokeApiKey("k1", "bob", r));

    assertThat(result.events()).containsExactly(new ApiKeyRevoked("k1", T0.plusSeconds(30), "bob"));
    assertThat(summary(result).apiKeys()).extracting(ApiKeyInfo::id).containsExactly("k2");
  }

  @Test
  void revokeOfAnUnknownOrAlreadyRevokedKeyIsApiKeyNotFound() {
    createAcme();
    addKey("k1", Role.DEVELOPER);
    run(r -> new RevokeApiKey("k1", "bob", r));

    var again = run(r -> new RevokeApiKey("k1", "bob", r));
    var unknown = run(r -> new RevokeApiKey("nope", "bob", r));

    assertRejected(again, Rejection.Reason.NOT_FOUND, "api_key_not_found");
    assertThat(again.hasNoEvents()).isTrue();
    assertRejected(unknown, Rejection.Reason.NOT_FOUND, "api_key_not_found");
  }

  @Test
  void lookupApiKeyReturnsWhatAuthenticationNeeds() {
    createAcme();
    run(r -> new CreateApiKey("k1", "ci", Role.TENANT_ADMIN, "hash-1", "alice", r));

    assertThat(run(r -> new LookupApiKey("k1", r)).reply())
        .isEqualTo(new ApiKeyMatch("acme", "k1", Role.TENANT_ADMIN, "hash-1", Status.ACTIVE));
  }

  @Test
  void lookupOfAnUnknownKeyIsApiKeyNotFound() {
    createAcme();
    addKey("k1", Role.DEVELOPER);

    assertRejected(run(r -> new LookupApiKey("k2", r)), Rejection.Reason.NOT_FOUND, "api_key_not_found");
    assertRejected(run(r -> new LookupApiKey(null, r)), Rejection.Reason.NOT_FOUND, "api_key_not_found");
  }

  // ---------------------------------------------------------------------------------------------
  // Models

  @Test
  void addModelKeepsModelNamesSorted() {
    createAcme();
    clock.advance(Duration.ofSeconds(2));

    var result = run(r -> new AddModel("resnet", "alice", r));
    run(r -> new AddModel("bert", "alice", r));
    run(r -> new AddModel("mnist", "alice", r));

    assertThat(result.events()).containsExactly(new ModelAdded("resnet", T0.plusSeconds(2), "alice"));
    assertThat(summary(result).models()).containsExactly("resnet");
    assertThat(getSummary().models()).containsExactly("bert", "mnist", "resnet");
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"MNIST", "-mnist", "has space", "a/b"})
  void addModelRejectsInvalidNames(String modelId) {
    createAcme();

    assertRejected(run(r -> new AddModel(modelId, "alice", r)), Rejection.Reason.INVALID, "invalid_model_name");
    assertThat(getSummary().models()).isEmpty();
  }

  @Test
  void addingAModelTwiceEmitsNothing() {
    createAcme();
    run(r -> new AddModel("mnist", "alice", r));

    var again = run(r -> new AddModel("mnist", "alice", r));

    assertThat(again.hasNoEvents()).isTrue();
    assertThat(summary(again).models()).containsExactly("mnist");
  }

  @Test
  void addModelStopsAtTheQuotasMaxModels() {
    run(r -> new Create("Acme", new Quota(null, null, null, 2, null, null, null), ADMIN, r));
    run(r -> new AddModel("a", "alice", r));
    run(r -> new AddModel("b", "alice", r));

    var full = run(r -> new AddModel("c", "alice", r));

    assertRejected(full, Rejection.Reason.QUOTA_EXCEEDED, "model_quota_exceeded");
    assertThat(rejection(full).message()).isEqualTo("tenant acme may hold at most 2 models");
    assertThat(full.hasNoEvents()).isTrue();
    // A model it already holds is still acknowledged when full.
    assertThat(summary(run(r -> new AddModel("a", "alice", r))).models()).containsExactly("a", "b");
  }

  @Test
  void eachReservationOfANameGetsANewNumberAndOnlyTheCurrentOneIsReleased() {
    run(r -> new Create("Acme", new Quota(null, null, null, 1, null, null, null), ADMIN, r));
    assertThat(summary(run(r -> new AddModel("ghost", "alice", r))).modelReservations()).containsEntry("ghost", 1L);
    // idempotent: the same reservation again
    assertThat(summary(run(r -> new AddModel("ghost", "alice", r))).modelReservations()).containsEntry("ghost", 1L);

    var stale = run(r -> new TenantEntity.ReleaseModel("ghost", 7, "alice", r));
    assertThat(stale.hasNoEvents()).isTrue();
    assertThat(summary(stale).models()).containsExactly("ghost");

    var released = run(r -> new TenantEntity.ReleaseModel("ghost", 1, "alice", r));
    assertThat(released.events()).containsExactly(new TenantEntity.ModelReleased("ghost", 1, T0, "alice"));
    assertThat(summary(released).models()).isEmpty();
    // the released name no longer counts against maxModels, and a new reservation never reuses a number
    assertThat(summary(run(r -> new AddModel("real", "alice", r))).modelReservations()).containsEntry("real", 2L);
    run(r -> new TenantEntity.ReleaseModel("real", 2, "alice", r));
    assertThat(summary(run(r -> new AddModel("ghost", "alice", r))).modelReservations()).containsEntry("ghost", 3L);

    State before = tenant.getState();
    assertThat(tenant.restart().state()).isEqualTo(before);
    assertThat(getSummary().modelReservations()).isEqualTo(Map.of("ghost", 3L));
  }

  @Test
  void addModelHonoursARaisedQuotaAndAnUnlimitedOne() {
    run(r -> new Create("Acme", new Quota(null, null, null, 0, null, null, null), ADMIN, r));
    assertRejected(run(r -> new AddModel("a", "alice", r)), Rejection.Reason.QUOTA_EXCEEDED, "model_quota_exceeded");

    run(r -> new Update(null, Quota.unlimited(), "alice", r));
    for (int i = 0; i < 25; i++) {
      String name = "m" + i;
      run(r -> new AddModel(name, "alice", r));
    }

    assertThat(getSummary().models()).hasSize(25);
  }

  // ---------------------------------------------------------------------------------------------
  // Get and recovery

  @Test
  void getReturnsTheSummaryWithoutChangingAnything() {
    createAcme();

    var result = run(Get::new);

    assertThat(result.hasNoEvents()).isTrue();
    assertThat(result.reply())
        .isEqualTo(new Summary("acme", "Acme", Quota.defaults(), Status.ACTIVE, T0, T0, List.of(), List.of(), null, Map.of()));
  }

  @Test
  void keyUseIsRecordedToTheMinuteOnlyWhenItMovesOn() {
    createAcme();
    addKey("k1", Role.DEVELOPER);
    addKey("k2", Role.VIEWER);
    run(r -> new RevokeApiKey("k2", "alice", r));
    Instant updated = getSummary().updatedAt();
    Instant used = T0.plusSeconds(3725); // 01:02:05

    var first = run(r -> new RecordKeyUse(Map.of("k1", used, "k2", used, "nope", used), r));
    assertThat(first.events()).containsExactly(new ApiKeysUsed(Map.of("k1", T0.plusSeconds(3720))));
    assertThat(summary(first).apiKeys().get(0).lastUsedAt()).isEqualTo(T0.plusSeconds(3720));
    assertThat(summary(first).updatedAt()).as("use is not a change of the tenant").isEqualTo(updated);
    // later in the same minute, or an older report: nothing to record
    assertThat(run(r -> new RecordKeyUse(Map.of("k1", used.plusSeconds(30)), r)).hasNoEvents()).isTrue();
    assertThat(run(r -> new RecordKeyUse(Map.of("k1", used.minusSeconds(600)), r)).hasNoEvents()).isTrue();
    assertThat(run(r -> new RecordKeyUse(Map.of("k1", used.plusSeconds(60)), r)).events()).hasSize(1);
    assertThat(((Tenant) tenant.restart().state()).apiKeys().get(0).lastUsedAt()).isEqualTo(T0.plusSeconds(3780));
  }

  @Test
  void accessChangesMadeInKeycloakAreJournaledWithTheirActor() {
    createAcme();
    Summary before = getSummary();
    var result = run(r -> new RecordAccessChange("service_account_created", "c-1", "acme--ci as predictor", null,
        "alice", r));
    assertThat(result.events()).containsExactly(
        new AccessChanged("service_account_created", "c-1", "acme--ci as predictor", T0, "alice", null));
    assertThat(summary(result)).isEqualTo(before);
    assertRejected(entity("ghost").<Reply>runCommand(r -> new RecordAccessChange("member_added", "u", "", null, "a", r)),
        Rejection.Reason.NOT_FOUND, "tenant_not_found");
  }

  @Test
  void removingAMemberRevokesTheTokensIssuedToThemBeforeAndOldRevocationsAreDropped() {
    createAcme();
    run(r -> new RecordAccessChange("member_removed", "u-1", "alice", "u-1", "bob", r));
    clock.advance(Duration.ofHours(1));
    var changed = run(r -> new RecordAccessChange("member_role_changed", "u-2", "carol to viewer", "u-2", "bob", r));
    assertThat(summary(changed).tokensRevokedBefore())
        .isEqualTo(Map.of("u-1", T0, "u-2", T0.plus(Duration.ofHours(1))));
    assertThat(((Tenant) tenant.restart().state()).tokensRevokedBefore()).containsEntry("u-1", T0);

    // a day later no token from before the first revocation can still be alive: it is dropped
    clock.advance(Duration.ofHours(24));
    var later = run(r -> new RecordAccessChange("service_account_deleted", "c-9", "", "sa-9", "bob", r));
    assertThat(summary(later).tokensRevokedBefore()).containsOnlyKeys("sa-9")
        .containsEntry("sa-9", T0.plus(Duration.ofHours(25)));
  }

  @Test
  void keycloakIdsAreRecordedOnceAndSurviveARestart() {
    createAcme();
    Identity identity = new Identity("org-1", Map.of("developer", "g-dev", "viewer", "g-view"));

    var first = run(r -> new RecordIdentity(identity, "provisioner", r));
    assertThat(first.events()).containsExactly(new IdentityProvisioned(identity, T0, "provisioner"));
    assertThat(summary(first).identity()).isEqualTo(identity);
    // provisioning is retried after outages: recording the same ids again changes nothing
    assertThat(run(r -> new RecordIdentity(identity, "provisioner", r)).hasNoEvents()).isTrue();
    assertThat(((Tenant) tenant.restart().state()).identity()).isEqualTo(identity);
    assertRejected(entity("other").<Reply>runCommand(r -> new RecordIdentity(identity, "p", r)),
        Rejection.Reason.NOT_FOUND, "tenant_not_found");
  }

  @Test
  void restartRecoversKeysRevokedKeysModelsStatusAndQuota() {
    Quota quota = new Quota(10.0, 20, 4, 5, 6, 1024L, null);
    run(r -> new Create("Acme", quota, ADMIN, r));
    clock.advance(Duration.ofSeconds(1));
    addKey("k1", Role.DEVELOPER);
    addKey("k2", Role.VIEWER);
    run(r -> new RevokeApiKey("k1", "alice", r));
    run(r -> new AddModel("mnist", "alice", r));
    run(r -> new AddModel("bert", "alice", r));
    run(r -> new Update("Acme Corp", null, "alice", r));
    run(r -> new Suspend("alice", r));
    Summary before = getSummary();
    State stateBefore = tenant.getState();

    State recovered = tenant.restart().state();

    assertThat(recovered).isEqualTo(stateBefore);
    Summary after = getSummary();
    assertThat(after).isEqualTo(before);
    assertThat(after.status()).isEqualTo(Status.SUSPENDED);
    assertThat(after.quota()).isEqualTo(quota);
    assertThat(after.displayName()).isEqualTo("Acme Corp");
    assertThat(after.models()).containsExactly("bert", "mnist");
    assertThat(after.apiKeys()).extracting(ApiKeyInfo::id).containsExactly("k2");
    assertThat(lookup("k2")).isEqualTo(new ApiKeyMatch("acme", "k2", Role.VIEWER, "hash-k2", Status.SUSPENDED));
    // The revoked key is still remembered: it neither authenticates nor can be recreated.
    assertRejected(run(r -> new LookupApiKey("k1", r)), Rejection.Reason.NOT_FOUND, "api_key_not_found");
    assertRejected(run(r -> new CreateApiKey("k1", "again", Role.DEVELOPER, "h", "alice", r)),
        Rejection.Reason.CONFLICT, "api_key_exists");
  }

  @Test
  void recoveryFromASnapshotPlusLaterEventsKeepsEverything() {
    run(r -> new Create("Acme", Quota.unlimited(), ADMIN, r));
    for (int i = 0; i < 60; i++) {
      String model = "model-" + i;
      run(r -> new AddModel(model, "alice", r));
    }
    for (int i = 0; i < 60; i++) {
      addKey("key-" + i, Role.PREDICTOR);
    }
    for (int i = 0; i < 10; i++) {
      String keyId = "key-" + i;
      run(r -> new RevokeApiKey(keyId, "alice", r));
    }
    run(r -> new Suspend("alice", r)); // 132 events: a snapshot at 100, then 32 more.
    Summary before = getSummary();

    assertThat(tenant.snapshotTestKit().orElseThrow().persistedInStorage("Tenant|acme"))
        .extracting(p -> p.first().sequenceNr())
        .containsExactly(100L);

    State recovered = tenant.restart().state();

    assertThat(getSummary()).isEqualTo(before);
    assertThat(recovered).isInstanceOf(TenantEntity.Tenant.class);
    assertThat(before.models()).hasSize(60);
    assertThat(before.apiKeys()).hasSize(50).first().extracting(ApiKeyInfo::id).isEqualTo("key-10");
    assertThat(before.status()).isEqualTo(Status.SUSPENDED);
    assertRejected(run(r -> new CreateApiKey("key-3", "again", Role.PREDICTOR, "h", "alice", r)),
        Rejection.Reason.CONFLICT, "api_key_exists");
    assertThat(lookup("key-59").tenantStatus()).isEqualTo(Status.SUSPENDED);
  }


  // ---------------------------------------------------------------------------------------------
  // Plans and quota overrides

  @Test
  void aTenantJournaledBeforePlansIsOnTheDefaultPlanWithTheSameEffectiveQuota() {
    Quota created = new Quota(50.0, 200, 32, 5, 10, 4L * 1024 * 1024 * 1024, null);
    Quota changed = new Quota(50.0, 200, 32, 5, 10, null, 3600L);
    tenant.initialize(new TenantCreated("acme", "Acme", created, T0, ADMIN),
        new QuotaChanged(changed, T0.plusSeconds(5), ADMIN));

    Summary summary = getSummary();

    assertThat(summary.plan()).isEqualTo("default");
    assertThat(summary.quotaOverrides().asMap()).containsOnlyKeys("requestsPerSecond", "maxModels",
        "maxVersionsPerModel", "maxResidentBytes", "monthlyComputeSeconds");
    assertThat(summary.quota()).isEqualTo(changed);
    // on the default plan as it first was, the effective quota is exactly the one it had
    assertThat(summary.onPlanQuota(Quota.defaults()).quota()).isEqualTo(changed);
    // a tenant that kept the defaults overrides nothing: it follows the default plan
    var plain = entity("plain");
    plain.initialize(new TenantCreated("plain", "Plain", Quota.defaults(), T0, ADMIN));
    Summary plainSummary = plain.<Reply>runCommand(Get::new).replyOfType(Summary.class);
    assertThat(plainSummary.quotaOverrides().isEmpty()).isTrue();
    Quota raised = new Quota(500.0, 1000, 64, 50, 50, null, null);
    assertThat(plainSummary.onPlanQuota(raised).quota()).isEqualTo(raised);
  }

  @Test
  void createOnAPlanRecordsThePlanTheOverridesAndTheEffectiveQuota() {
    Quota gold = new Quota(1000.0, 2000, 128, 100, 100, null, null);
    QuotaOverrides overrides = QuotaOverrides.of(new Quota(5.0, null, null, null, null, null, null),
        java.util.Set.of("requestsPerSecond", "monthlyComputeSeconds"));
    Quota effective = new Quota(5.0, 2000, 128, 100, 100, null, null);

    var result = run(r -> new Create("Acme", "gold", gold, overrides, ADMIN, r, null));

    assertThat(result.events()).containsExactly(
        new TenantCreated("acme", "Acme", effective, T0, ADMIN, "gold", overrides));
    assertThat(summary(result).plan()).isEqualTo("gold");
    assertThat(summary(result).quota()).isEqualTo(effective);
    assertThat(summary(result).quotaOverrides().asMap())
        .containsExactly(Map.entry("requestsPerSecond", 5.0), new java.util.AbstractMap.SimpleEntry<>("monthlyComputeSeconds", null));
    Tenant recovered = (Tenant) tenant.restart().state();
    assertThat(recovered.plan()).isEqualTo("gold");
    assertThat(recovered.quotaOverrides()).isEqualTo(overrides);
  }

  @Test
  void changingThePlanOrTheOverridesIsOneEventWithTheNewEffectiveQuota() {
    createAcme();
    Quota silver = new Quota(10.0, 20, 4, 3, 3, 1024L, null);
    QuotaOverrides maxModels = QuotaOverrides.of(new Quota(null, null, null, 7, null, null, null), java.util.Set.of("maxModels"));

    var moved = run(r -> new Update(null, "silver", silver, maxModels, "alice", r));

    Quota effective = new Quota(10.0, 20, 4, 7, 3, 1024L, null);
    assertThat(moved.events()).containsExactly(
        new TenantEntity.PlanTermsChanged("silver", maxModels, effective, T0, "alice"));
    assertThat(summary(moved).quota()).isEqualTo(effective);
    // the same terms again: nothing to record
    assertThat(run(r -> new Update(null, "silver", silver, maxModels, "alice", r)).hasNoEvents()).isTrue();
    assertThat(((Tenant) tenant.restart().state()).plan()).isEqualTo("silver");
    // the same plan named again after its quota changed: the quota is recorded anew (placement reads it)
    Quota bigger = new Quota(10.0, 20, 4, 3, 3, 4096L, null);
    var again = run(r -> new Update(null, "silver", bigger, null, "alice", r));
    assertThat(again.events()).containsExactly(new TenantEntity.PlanTermsChanged("silver", maxModels,
        new Quota(10.0, 20, 4, 7, 3, 4096L, null), T0, "alice"));
  }

  @Test
  void aTenantFollowsItsPlansNewQuotaButNotAnotherPlans() {
    createAcme();
    Quota silver = new Quota(10.0, 20, 4, 3, 3, 1024L, null);
    QuotaOverrides maxModels = QuotaOverrides.of(new Quota(null, null, null, 7, null, null, null), java.util.Set.of("maxModels"));
    run(r -> new Update(null, "silver", silver, maxModels, "alice", r));

    Quota silverNow = new Quota(10.0, 20, 4, 3, 3, 8192L, null);
    var followed = run(r -> new TenantEntity.FollowPlan("silver", silverNow, "ops", r));

    assertThat(followed.events()).containsExactly(new TenantEntity.PlanTermsChanged("silver", maxModels,
        new Quota(10.0, 20, 4, 7, 3, 8192L, null), T0, "ops"));
    // the same quota again, or another plan's change: nothing to record
    assertThat(run(r -> new TenantEntity.FollowPlan("silver", silverNow, "ops", r)).hasNoEvents()).isTrue();
    assertThat(run(r -> new TenantEntity.FollowPlan("gold", Quota.unlimited(), "ops", r)).hasNoEvents()).isTrue();
    assertThat(summary(run(r -> new TenantEntity.Get(r))).quota()).isEqualTo(new Quota(10.0, 20, 4, 7, 3, 8192L, null));
  }

  @Test
  void aPlanIdThatCannotExistIsRefused() {
    assertRejected(run(r -> new Create("Acme", "Not A Plan", Quota.defaults(), null, ADMIN, r, null)),
        Rejection.Reason.INVALID, "unknown_plan");
    createAcme();
    assertRejected(run(r -> new Update(null, "x", Quota.defaults(), null, "alice", r)),
        Rejection.Reason.INVALID, "unknown_plan");
  }

  @Test
  void overridesThatMakeTheQuotaInvalidAreRefused() {
    createAcme();
    QuotaOverrides negative = QuotaOverrides.of(new Quota(null, -1, null, null, null, null, null), java.util.Set.of("burst"));

    assertRejected(run(r -> new Update(null, "default", Quota.defaults(), negative, "alice", r)),
        Rejection.Reason.INVALID, "invalid_quota");
  }

  @Test
  void aNewModelCountsAgainstTheQuotaTheCallerGives() {
    createAcme();
    Quota oneModel = new Quota(null, null, null, 1, null, null, null);
    run(r -> new AddModel("a", "alice", r, oneModel));

    assertRejected(run(r -> new AddModel("b", "alice", r, oneModel)), Rejection.Reason.QUOTA_EXCEEDED,
        "model_quota_exceeded");
    // the plan allows more now: the same tenant may add it
    assertThat(run(r -> new AddModel("b", "alice", r, Quota.defaults())).reply()).isInstanceOf(Summary.class);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  // ---------------------------------------------------------------------------------------------
  // Dedicated worker pool (operator only: the routes that send these are)

  @Test
  void aTenantCreatedWithAWorkerPoolHasItFromItsFirstWriteAndAfterRecovery() {
    var result = run(r -> new Create("Acme", null, ADMIN, r, "acme-only"));
    assertThat(result.events()).containsExactly(
        new TenantCreated("acme", "Acme", Quota.defaults(), T0, ADMIN, "default", QuotaOverrides.none()),
        new TenantEntity.WorkerPoolChanged("acme-only", T0, ADMIN));
    assertThat(summary(result).workerPool()).isEqualTo("acme-only");
    assertThat(((Tenant) tenant.restart().state()).workerPool()).isEqualTo("acme-only");
  }

  @Test
  void theWorkerPoolIsJournaledWhenSetAndWhenCleared() {
    createAcme();
    assertThat(getSummary().workerPool()).isNull();
    clock.advance(Duration.ofMinutes(1));
    var set = run(r -> new TenantEntity.SetWorkerPool("acme-only", ADMIN, r));
    assertThat(set.events()).containsExactly(new TenantEntity.WorkerPoolChanged("acme-only", T0.plusSeconds(60), ADMIN));
    assertThat(run(r -> new TenantEntity.SetWorkerPool("acme-only", ADMIN, r)).hasNoEvents()).isTrue();
    assertThat(((Tenant) tenant.restart().state()).workerPool()).isEqualTo("acme-only");

    var cleared = run(r -> new TenantEntity.SetWorkerPool(null, ADMIN, r));
    assertThat(cleared.events()).containsExactly(new TenantEntity.WorkerPoolChanged(null, T0.plusSeconds(60), ADMIN));
    assertThat(((Tenant) tenant.restart().state()).workerPool()).isNull();
    assertThat(TenantHistory.describe(3, set.events().get(0)).orElseThrow().type()).isEqualTo("worker_pool_changed");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Acme", "acme only", "-acme", "acme/../x", "a-pool-name-that-is-far-too-long-to-be-accepted"})
  void anInvalidWorkerPoolNameIsRefusedAndChangesNothing(String pool) {
    var create = run(r -> new Create("Acme", null, ADMIN, r, pool));
    assertThat(create.hasNoEvents()).isTrue();
    assertThat(((Rejected) create.reply()).rejection().code()).isEqualTo("invalid_worker_pool");
    createAcme();
    var set = run(r -> new TenantEntity.SetWorkerPool(pool, ADMIN, r));
    assertThat(set.hasNoEvents()).isTrue();
    assertThat(((Rejected) set.reply()).rejection().code()).isEqualTo("invalid_worker_pool");
  }

  // ---------------------------------------------------------------------------------------------
  // Deletion and export

  @Test
  void startingADeletionRevokesEveryKeyAtOnceAndRefusesKeysAndChangesFromThen() {
    createAcme();
    addKey("acme.k1", Role.DEVELOPER);
    addKey("acme.k2", Role.PREDICTOR);
    run(r -> new RevokeApiKey("acme.k2", ADMIN, r));
    run(r -> new AddModel("digits", ADMIN, r));

    var started = run(r -> new TenantEntity.StartDeletion(false, "op", r));
    assertThat(started.events()).containsExactly(new TenantEntity.DeletionStarted(false, T0, "op"),
        new ApiKeyRevoked("acme.k1", T0, "op"));
    assertThat(summary(started).status()).isEqualTo(Status.DELETING);
    assertThat(summary(started).apiKeys()).isEmpty();
    // the model names stay until the models are purged (a resumed deletion purges them again)
    assertThat(summary(started).models()).containsExactly("digits");

    assertRejected(run(r -> new LookupApiKey("acme.k1", r)), Rejection.Reason.NOT_FOUND, "api_key_not_found");
    assertRejected(run(r -> new AddModel("other", ADMIN, r)), Rejection.Reason.CONFLICT, "tenant_deleting");
    assertRejected(run(r -> new CreateApiKey("acme.k3", "k", Role.DEVELOPER, "h", ADMIN, r)),
        Rejection.Reason.CONFLICT, "tenant_deleting");
    assertRejected(run(r -> new Resume(ADMIN, r)), Rejection.Reason.CONFLICT, "tenant_deleting");
    assertRejected(run(r -> new Update("New", null, ADMIN, r)), Rejection.Reason.CONFLICT, "tenant_deleting");
    assertRejected(run(r -> new TenantEntity.StartExport("e1", ADMIN, r)), Rejection.Reason.CONFLICT, "tenant_deleting");

    // a deletion started again carries on: nothing new is journaled
    assertThat(run(r -> new TenantEntity.StartDeletion(false, "op", r)).hasNoEvents()).isTrue();
    assertThat(((Tenant) tenant.restart().state()).status()).isEqualTo(Status.DELETING);
  }

  @Test
  void aFinishedDeletionKeepsTheRecordAndAnswersGetWithStatusDeleted() {
    createAcme();
    assertRejected(run(r -> new TenantEntity.FinishDeletion(false, 0, "op", r)), Rejection.Reason.CONFLICT,
        "deletion_not_started");
    run(r -> new TenantEntity.StartDeletion(false, "op", r));
    clock.advance(Duration.ofSeconds(5));
    var finished = run(r -> new TenantEntity.FinishDeletion(false, 3, "op", r));
    assertThat(finished.events()).containsExactly(new TenantEntity.TenantDeleted(false, 3, T0.plusSeconds(5), "op"));
    assertThat(finished.reply()).isEqualTo(new TenantEntity.Deletion("acme", T0.plusSeconds(5), "op", 3, false));

    tenant.restart();
    assertThat(getSummary().status()).isEqualTo(Status.DELETED);
    // deleting again answers the same record
    assertThat(run(r -> new TenantEntity.FinishDeletion(true, 0, "op", r)).reply())
        .isEqualTo(new TenantEntity.Deletion("acme", T0.plusSeconds(5), "op", 3, false));
    assertRejected(run(r -> new LookupApiKey("acme.k1", r)), Rejection.Reason.NOT_FOUND, "api_key_not_found");
    assertRejected(run(r -> new AddModel("m", ADMIN, r)), Rejection.Reason.NOT_FOUND, "tenant_not_found");
    // the id was not released: it cannot be created again
    assertRejected(run(r -> new Create("Acme again", null, ADMIN, r)), Rejection.Reason.CONFLICT, "tenant_exists");
  }

  @Test
  void aReleasedIdIsCreatedAgainAsAFreshTenantWhoseReservationsNumberOn() {
    createAcme();
    addKey("acme.k1", Role.DEVELOPER);
    run(r -> new AddModel("digits", ADMIN, r));
    run(r -> new TenantEntity.StartDeletion(true, "op", r));
    run(r -> new TenantEntity.FinishDeletion(true, 1, "op", r));

    var again = run(r -> new Create("Acme again", null, ADMIN, r));
    Summary fresh = summary(again);
    assertThat(fresh.status()).isEqualTo(Status.ACTIVE);
    assertThat(fresh.displayName()).isEqualTo("Acme again");
    assertThat(fresh.apiKeys()).isEmpty();
    assertThat(fresh.models()).isEmpty();
    var added = run(r -> new AddModel("digits", ADMIN, r));
    // the old tenant's reservation 1 was purged with its model: the new one is 2
    assertThat(summary(added).modelReservations()).isEqualTo(Map.of("digits", 2L));
    // the old key stays revoked: it belonged to the deleted tenant
    assertRejected(run(r -> new LookupApiKey("acme.k1", r)), Rejection.Reason.NOT_FOUND, "api_key_not_found");
    assertThat(((Tenant) tenant.restart().state()).reservationsMade()).isEqualTo(2);
  }

  @Test
  void oneExportAtATimeEachRecorded() {
    createAcme();
    var first = run(r -> new TenantEntity.StartExport("e1", "alice", r));
    assertThat(first.events()).containsExactly(new TenantEntity.TenantExported("e1", T0, "alice"));
    assertRejected(run(r -> new TenantEntity.StartExport("e2", "bob", r)), Rejection.Reason.CONFLICT,
        "export_in_progress");
    var finished = run(r -> new TenantEntity.FinishExport("e1", true, 2, "alice", r));
    assertThat(finished.events()).containsExactly(new TenantEntity.ExportFinished("e1", true, 2, T0, "alice"));
    assertThat(run(r -> new TenantEntity.StartExport("e2", "bob", r)).events()).hasSize(1);
    // an export whose end is never recorded stops blocking after the lease
    clock.advance(TenantEntity.EXPORT_LEASE.plusSeconds(1));
    assertThat(run(r -> new TenantEntity.StartExport("e3", "bob", r)).events()).hasSize(1);
  }

  private CommandResultWithReply<Command, Event, State, Reply> run(Function<ActorRef<Reply>, Command> command) {
    return tenant.runCommand(command);
  }

  /** What an update to {@code quota} on the default plan records. */
  private static TenantEntity.PlanTermsChanged terms(Quota quota, String actor) {
    return new TenantEntity.PlanTermsChanged("default", QuotaOverrides.differences(Quota.defaults(), quota), quota, T0,
        actor);
  }

  private void createAcme() {
    assertThat(run(r -> new Create("Acme", null, ADMIN, r)).reply()).isInstanceOf(Summary.class);
  }

  private void addKey(String keyId, Role role) {
    assertThat(run(r -> new CreateApiKey(keyId, "key " + keyId, role, "hash-" + keyId, "alice", r)).reply())
        .isInstanceOf(ApiKeyCreated.class);
  }

  private Summary getSummary() {
    return summary(run(Get::new));
  }

  private ApiKeyMatch lookup(String keyId) {
    return run(r -> new LookupApiKey(keyId, r)).replyOfType(ApiKeyMatch.class);
  }

  private static Summary summary(CommandResultWithReply<Command, Event, State, Reply> result) {
    return result.replyOfType(Summary.class);
  }

  private static Rejection rejection(CommandResultWithReply<Command, Event, State, Reply> result) {
    return result.replyOfType(Rejected.class).rejection();
  }

  private static void assertRejected(
      CommandResultWithReply<Command, Event, State, Reply> result, Rejection.Reason reason, String code) {
    Rejection rejection = rejection(result);
    assertThat(rejection.reason()).isEqualTo(reason);
    assertThat(rejection.code()).isEqualTo(code);
    assertThat(rejection.message()).isNotBlank();
    assertThat(result.hasNoEvents()).as("a rejected command persists nothing").isTrue();
  }
}
