package io.modelplane.registry;

import io.modelplane.common.testing.ManualClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import akka.persistence.testkit.SnapshotMeta;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import akka.japi.Pair;
import io.modelplane.common.Rejection;
import io.modelplane.common.TensorSpec;
import io.modelplane.registry.ModelEntity.ArchiveVersion;
import io.modelplane.registry.ModelEntity.Command;
import io.modelplane.registry.ModelEntity.Deploy;
import io.modelplane.registry.ModelEntity.Deployed;
import io.modelplane.registry.ModelEntity.DeploymentRevised;
import io.modelplane.registry.ModelEntity.DeploymentRevision;
import io.modelplane.registry.ModelEntity.DeploymentRolledBack;
import io.modelplane.registry.ModelEntity.DeploymentSpec;
import io.modelplane.registry.ModelEntity.Event;
import io.modelplane.registry.ModelEntity.Get;
import io.modelplane.registry.ModelEntity.Model;
import io.modelplane.registry.ModelEntity.RegisterVersion;
import io.modelplane.registry.ModelEntity.Rejected;
import io.modelplane.registry.ModelEntity.Reply;
import io.modelplane.registry.ModelEntity.Rollback;
import io.modelplane.registry.ModelEntity.State;
import io.modelplane.registry.ModelEntity.Summary;
import io.modelplane.registry.ModelEntity.VersionAdded;
import io.modelplane.registry.ModelEntity.VersionArchived;
import io.modelplane.registry.ModelEntity.VersionInfo;
import io.modelplane.registry.ModelEntity.VersionRegistered;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModelEntityTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(PersistenceTestKitSnapshotPlugin.config()));

  private static final Instant START = Instant.parse("2025-03-01T12:00:00Z");
  private static final String ENTITY_ID = "acme/digits";
  private static final String SHA_A = "a".repeat(64);
  private static final String SHA_B = "0123456789abcdef".repeat(4);
  private static final List<TensorSpec> INPUTS = List.of(new TensorSpec("pixels", "FP32", List.of(-1L, 64L)));
  private static final List<TensorSpec> OUTPUTS = List.of(new TensorSpec("logits", "FP32", List.of(-1L, 10L)));

  private ManualClock clock;
  private EventSourcedBehaviorTestKit<Command, Event, State> kit;

  @BeforeEach
  void setUp() {
    clock = new ManualClock(START);
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), ModelEntity.create(ENTITY_ID, clock));
    kit.clear();
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  // ---- helpers ----

  private CommandResultWithReply<Command, Event, State, Reply> run(Function<ActorRef<Reply>, Command> command) {
    return kit.runCommand(command);
  }

  private static RegisterVersion registration(String sha256, Integer maxVersions, ActorRef<Reply> replyTo) {
    return new RegisterVersion(sha256, 1234L, "torchscript", INPUTS, OUTPUTS, "digits MLP", maxVersions, "alice",
        replyTo);
  }

  private VersionInfo registerVersion() {
    return run(r -> registration(SHA_A, null, r)).replyOfType(VersionAdded.class).version();
  }

  private static DeploymentSpec spec(Map<Integer, Integer> traffic) {
    return new DeploymentSpec(traffic, 2, 32, 5);
  }

  private Deployed deploy(Map<Integer, Integer> traffic) {
    return run(r -> new Deploy(spec(traffic), null, "bob", r)).replyOfType(Deployed.class);
  }

  private Summary summary() {
    return run(Get::new).replyOfType(Summary.class);
  }

  private static void assertRejected(CommandResultWithReply<Command, Event, State, Reply> result,
      Rejection.Reason reason, String code) {
    Rejection rejection = result.replyOfType(Rejected.class).rejection();
    assertThat(rejection.reason()).isEqualTo(reason);
    assertThat(rejection.code()).isEqualTo(code);
    assertThat(rejection.message()).isNotBlank();
    assertThat(result.hasNoEvents()).isTrue();
  }

  private static List<Long> stack(State state) {
    return ((Model) state).applied();
  }

  // ---- a model that does not exist yet ----

  @Nested
  class BeforeTheFirstVersion {
    @Test
    void everyCommandButRegisterVersionSaysTheModelDoesNotExist() {
      List<Function<ActorRef<Reply>, Command>> commands = List.of(
          Get::new,
          r -> new Deploy(spec(Map.of(1, 100)), null, "bob", r),
          r -> new Rollback("bob", r),
          r -> new ArchiveVersion(1, "bob", r));
      for (Function<ActorRef<Reply>, Command> command : commands) {
        var result = run(command);
        assertRejected(result, Rejection.Reason.NOT_FOUND, "model_not_found");
        assertThat(result.replyOfType(Rejected.class).rejection().message()).isEqualTo("model digits does not exist");
        assertThat(result.state()).isEqualTo(new ModelEntity.Empty());
      }
    }

    @Test
    void theFirstVersionCreatesTheModel() {
      var result = run(r -> registration(SHA_A, null, r));

      assertThat(result.event()).isEqualTo(new VersionRegistered(1, SHA_A, 1234L, "torchscript", INPUTS, OUTPUTS,
          "digits MLP", START, "alice"));
      VersionInfo expected = new VersionInfo(1, SHA_A, 1234L, "torchscript", INPUTS, OUTPUTS, "digits MLP", START,
          "alice", false);
      assertThat(result.reply()).isEqualTo(new VersionAdded(expected));
      assertThat(summary()).isEqualTo(new Summary("acme", "digits", START, List.of(expected), null));
    }

    @Test
    void aReleasedReservationCanNoLongerCreateTheModelButANewerOneCan() {
      var released = run(r -> new ModelEntity.ReleaseReservation(3, "bob", r));
      assertThat(released.event()).isEqualTo(new ModelEntity.ReservationReleased(3, START, "bob"));
      assertThat(released.reply()).isEqualTo(new ModelEntity.Vacant(3));
      // an upload still under way with reservation 3 (or an older one) raced with the release
      var late = run(r -> new RegisterVersion(SHA_A, 10L, "torchscript", INPUTS, OUTPUTS, null, null, 3, "alice", r));
      assertRejected(late, Rejection.Reason.CONFLICT, "model_reservation_released");
      assertThat(late.hasNoEvents()).isTrue();
      assertRejected(run(Get::new), Rejection.Reason.NOT_FOUND, "model_not_found");
      // releasing an older one again changes nothing
      assertThat(run(r -> new ModelEntity.ReleaseReservation(2, "bob", r)).hasNoEvents()).isTrue();

      State before = kit.getState();
      assertThat(kit.restart().state()).isEqualTo(before).isEqualTo(new ModelEntity.Released(3));
      var fresh = run(r -> new RegisterVersion(SHA_A, 10L, "torchscript", INPUTS, OUTPUTS, null, null, 4, "alice", r));
      assertThat(fresh.replyOfType(VersionAdded.class).version().version()).isEqualTo(1);
    }

    @Test
    void aPurgedModelIsGoneAndOnlyANewerReservationCreatesItAgain() {
      registerVersion();
      deploy(Map.of(1, 100));
      var purged = run(r -> new ModelEntity.Purge(2, "op", r));
      assertThat(purged.event()).isEqualTo(new ModelEntity.ModelPurged(2, 1, START, "op"));
      assertThat(purged.reply()).isEqualTo(new ModelEntity.Vacant(2));
      assertRejected(run(Get::new), Rejection.Reason.NOT_FOUND, "model_not_found");
      assertRejected(run(r -> new Deploy(spec(Map.of(1, 100)), null, "bob", r)), Rejection.Reason.NOT_FOUND,
          "model_not_found");
      // an upload under the deleted tenant's reservation is refused
      assertRejected(run(r -> new RegisterVersion(SHA_A, 10L, "torchscript", INPUTS, OUTPUTS, null, null, 2, "alice", r)),
          Rejection.Reason.CONFLICT, "model_reservation_released");
      // purging again (a resumed deletion) changes nothing
      assertThat(run(r -> new ModelEntity.Purge(2, "op", r)).hasNoEvents()).isTrue();
      assertThat(kit.restart().state()).isEqualTo(new ModelEntity.Released(2));
      // a fresh tenant under the released id numbers its reservations on: its first version starts at 1 again
      var fresh = run(r -> new RegisterVersion(SHA_B, 10L, "torchscript", INPUTS, OUTPUTS, null, null, 3, "alice", r));
      assertThat(fresh.replyOfType(VersionAdded.class).version().version()).isEqualTo(1);
      assertThat(summary().deployment()).isNull();
    }

    @Test
    void aModelWithVersionsReleasesNothing() {
      registerVersion();
      var result = run(r -> new ModelEntity.ReleaseReservation(Long.MAX_VALUE, "bob", r));
      assertThat(result.hasNoEvents()).isTrue();
      assertThat(result.reply()).isInstanceOf(Summary.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"digits", "Acme/digits", "acme/Digits", "acme/", "ac/digits"})
    void anEntityIdThatIsNotATenantAndModelCannotRegister(String entityId) {
      var invalid = EventSourcedBehaviorTestKit.<Command, Event, State>create(testKit.system(),
          ModelEntity.create(entityId, clock));
      var result = invalid.<Reply>runCommand(r -> registration(SHA_A, null, r));
      assertRejected(result, Rejection.Reason.INVALID, "invalid_model_name");
    }
  }

  // ---- versions ----

  @Nested
  class RegisteringVersions {
    @Test
    void versionsAreNumberedInOrderAndTheModelKeepsItsCreationTime() {
      registerVersion();
      Instant later = clock.advance(Duration.ofMinutes(5));

      var result = run(r -> new RegisterVersion(SHA_B, 99L, "torchscript", INPUTS, OUTPUTS, null, 10, "carol", r));

      VersionInfo second = result.replyOfType(VersionAdded.class).version();
      assertThat(second).isEqualTo(
          new VersionInfo(2, SHA_B, 99L, "torchscript", INPUTS, OUTPUTS, null, later, "carol", false));
      assertThat(result.eventOfType(VersionRegistered.class).version()).isEqualTo(2);
      Summary summary = summary();
      assertThat(summary.createdAt()).isEqualTo(START);
      assertThat(summary.versions()).extracting(VersionInfo::version).containsExactly(1, 2);
    }

    @ParameterizedTest
    @MethodSource("io.modelplane.registry.ModelEntityTest#invalidArtifacts")
    void refusesAnArtifactWithoutAValidChecksumOrSize(String sha256, long sizeBytes) {
      var result = run(r -> new RegisterVersion(sha256, sizeBytes, "torchscript", INPUTS, OUTPUTS, null, null,
          "alice", r));
      assertRejected(result, Rejection.Reason.INVALID, "invalid_artifact");
      assertThat(result.state()).isEqualTo(new ModelEntity.Empty());
    }

    @Test
    void refusesFormatsOtherThanTorchScript() {
      for (String format : new String[] {"onnx", "TorchScript", null}) {
        var result = run(r -> new RegisterVersion(SHA_A, 10L, format, INPUTS, OUTPUTS, null, null, "alice", r));
        assertRejected(result, Rejection.Reason.INVALID, "unsupported_format");
      }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.modelplane.registry.ModelEntityTest#invalidSignatures")
    void refusesAnInvalidSignatureAndSaysWhy(String why, List<TensorSpec> inputs, List<TensorSpec> outputs,
        String messagePart) {
      var result = run(r -> new RegisterVersion(SHA_A, 10L, "torchscript", inputs, outputs, null, null, "alice", r));
      assertRejected(result, Rejection.Reason.INVALID, "invalid_signature");
      assertThat(result.replyOfType(Rejected.class).rejection().message()).contains(messagePart);
    }

    @Test
    void anInputAndAnOutputMayShareAName() {
      List<TensorSpec> same = List.of(new TensorSpec("x", "FP32", List.of(-1L, 4L)));
      var result = run(r -> new RegisterVersion(SHA_A, 10L, "torchscript", same, same, null, null, "alice", r));
      assertThat(result.reply()).isInstanceOf(VersionAdded.class);
    }

    @Test
    void descriptionsAreLimitedTo1000Characters() {
      var tooLong = run(r -> new RegisterVersion(SHA_A, 10L, "torchscript", INPUTS, OUTPUTS, "d".repeat(1001), null,
          "alice", r));
      assertRejected(tooLong, Rejection.Reason.INVALID, "invalid_description");

      var longest = run(r -> new RegisterVersion(SHA_A, 10L, "torchscript", INPUTS, OUTPUTS, "d".repeat(1000), null,
          "alice", r));
      assertThat(longest.replyOfType(VersionAdded.class).version().description()).hasSize(1000);
    }

    @Test
    void theTenantsVersionQuotaCountsArchivedVersionsToo() {
      registerVersion();
      assertThat(run(r -> new ArchiveVersion(1, "alice", r)).reply()).isInstanceOf(Summary.class);

      var refused = run(r -> registration(SHA_B, 1, r));
      assertRejected(refused, Rejection.Reason.QUOTA_EXCEEDED, "version_quota_exceeded");
      assertThat(refused.replyOfType(Rejected.class).rejection().message())
          .isEqualTo("model digits may hold at most 1 versions");

      assertThat(run(r -> registration(SHA_B, 2, r)).replyOfType(VersionAdded.class).version().version())
          .isEqualTo(2);
    }
  }

  static Stream<Arguments> invalidArtifacts() {
    return Stream.of(
        Arguments.of(null, 10L),
        Arguments.of("A".repeat(64), 10L),
        Arguments.of("a".repeat(63), 10L),
        Arguments.of("g".repeat(64), 10L),
        Arguments.of(SHA_A, 0L),
        Arguments.of(SHA_A, -1L));
  }

  static Stream<Arguments> invalidSignatures() {
    TensorSpec x = new TensorSpec("x", "FP32", List.of(-1L, 4L));
    List<TensorSpec> withNull = new ArrayList<>();
    withNull.add(null);
    return Stream.of(
        Arguments.of("no inputs", null, OUTPUTS, "input"),
        Arguments.of("empty inputs", List.of(), OUTPUTS, "input"),
        Arguments.of("no outputs", INPUTS, null, "output"),
        Arguments.of("empty outputs", INPUTS, List.of(), "output"),
        Arguments.of("a null tensor", withNull, OUTPUTS, "input"),
        Arguments.of("unknown datatype", List.of(new TensorSpec("x", "FLOAT", List.of(4L))), OUTPUTS, "FLOAT"),
        Arguments.of("zero dimension", INPUTS, List.of(new TensorSpec("y", "FP32", List.of(0L))), "y"),
        Arguments.of("duplicate input", List.of(x, x), OUTPUTS, "duplicate input name x"),
        Arguments.of("duplicate output", INPUTS, List.of(x, x), "duplicate output name x"));
  }

  // ---- deployments ----

  @Nested
  class Deploying {
    @BeforeEach
    void twoVersions() {
      registerVersion();
      registerVersion();
    }

    @Test
    void aDeploymentBecomesTheCurrentRevision() {
      Instant at = clock.advance(Duration.ofMinutes(1));
      var result = run(r -> new Deploy(spec(Map.of(2, 10, 1, 90)), 0L, "bob", r));

      DeploymentSpec expectedSpec = spec(Map.of(1, 90, 2, 10));
      assertThat(result.event()).isEqualTo(new DeploymentRevised(1, expectedSpec, at, "bob"));
      DeploymentRevision revision = new DeploymentRevision(1, expectedSpec, at, "bob");
      assertThat(result.reply()).isEqualTo(new Deployed(revision, null));
      assertThat(summary().deployment()).isEqualTo(revision);
    }

    @Test
    void theNextDeploymentNamesThePreviousRevision() {
      deploy(Map.of(1, 100));
      Deployed second = deploy(Map.of(2, 100));
      assertThat(second.revision().revision()).isEqualTo(2);
      assertThat(second.previousRevision()).isEqualTo(1L);
      assertThat(summary().deployment().spec().traffic()).containsExactly(Map.entry(2, 100));
    }

    @Test
    void anExpectedRevisionThatIsNotCurrentIsAConflict() {
      assertRejected(run(r -> new Deploy(spec(Map.of(1, 100)), 1L, "bob", r)),
          Rejection.Reason.CONFLICT, "stale_revision");

      assertThat(run(r -> new Deploy(spec(Map.of(1, 100)), 0L, "bob", r)).reply()).isInstanceOf(Deployed.class);
      assertRejected(run(r -> new Deploy(spec(Map.of(2, 100)), 0L, "bob", r)),
          Rejection.Reason.CONFLICT, "stale_revision");
      assertThat(run(r -> new Deploy(spec(Map.of(2, 100)), 1L, "bob", r)).replyOfType(Deployed.class)
          .revision().revision()).isEqualTo(2);
    }

    @Test
    void afterARollbackTheExpectedRevisionIsTheOneCurrentAgain() {
      deploy(Map.of(1, 100));
      deploy(Map.of(2, 100));
      run(r -> new Rollback("bob", r));
      assertRejected(run(r -> new Deploy(spec(Map.of(2, 100)), 2L, "bob", r)),
          Rejection.Reason.CONFLICT, "stale_revision");
      assertThat(run(r -> new Deploy(spec(Map.of(2, 100)), 1L, "bob", r)).replyOfType(Deployed.class)
          .revision().revision()).isEqualTo(3);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.modelplane.registry.ModelEntityTest#invalidTrafficSplits")
    void refusesATrafficSplitThatIsNotWholePercentsAddingUpTo100(String why, Map<Integer, Integer> traffic) {
      assertRejected(run(r -> new Deploy(spec(traffic), null, "bob", r)),
          Rejection.Reason.INVALID, "invalid_traffic_split");
    }

    @Test
    void refusesADeployWithoutASpec() {
      assertRejected(run(r -> new Deploy(null, null, "bob", r)), Rejection.Reason.INVALID, "invalid_traffic_split");
    }

    @Test
    void refusesVersionsThatDoNotExist() {
      var result = run(r -> new Deploy(spec(Map.of(1, 50, 7, 50)), null, "bob", r));
      assertRejected(result, Rejection.Reason.INVALID, "unknown_version");
      assertThat(result.replyOfType(Rejected.class).rejection().message())
          .isEqualTo("version 7 of model digits does not exist");
      assertRejected(run(r -> new Deploy(spec(Map.of(0, 100)), null, "bob", r)),
          Rejection.Reason.INVALID, "unknown_version");
    }

    @Test
    void refusesArchivedVersions() {
      run(r -> new ArchiveVersion(2, "alice", r));
      assertRejected(run(r -> new Deploy(spec(Map.of(1, 50, 2, 50)), null, "bob", r)),
          Rejection.Reason.INVALID, "version_archived");
    }

    @Test
    void replicasMustBeBetween1And64() {
      for (int replicas : new int[] {0, -1, 65}) {
        assertRejected(run(r -> new Deploy(new DeploymentSpec(Map.of(1, 100), replicas, 32, 5), null, "bob", r)),
            Rejection.Reason.INVALID, "invalid_replicas");
      }
      assertThat(run(r -> new Deploy(new DeploymentSpec(Map.of(1, 100), 64, 32, 5), null, "bob", r)).reply())
          .isInstanceOf(Deployed.class);
    }

    @Test
    void batchingMustStayWithinItsLimits() {
      int[][] invalid = {{0, 5}, {1025, 5}, {32, -1}, {32, 10_001}};
      for (int[] batching : invalid) {
        assertRejected(run(r -> new Deploy(new DeploymentSpec(Map.of(1, 100), 1, batching[0], batching[1]), null,
            "bob", r)), Rejection.Reason.INVALID, "invalid_batching");
      }
      int[][] limits = {{1, 0}, {1024, 10_000}};
      for (int[] batching : limits) {
        assertThat(run(r -> new Deploy(new DeploymentSpec(Map.of(1, 100), 1, batching[0], batching[1]), null,
            "bob", r)).reply()).isInstanceOf(Deployed.class);
      }
    }

    @Test
    void engineThreadsAreTheNodesDefaultOneOrMorePerCoreWithinTheirLimit() {
      for (int threads : new int[] {-1, 257}) {
        assertRejected(run(r -> new Deploy(new DeploymentSpec(Map.of(1, 100), 1, 32, 0, threads), null, "bob", r)),
            Rejection.Reason.INVALID, "invalid_engine_threads");
      }
      for (Integer threads : new Integer[] {null, 0, 1, 256}) {
        Deployed deployed = (Deployed) run(r -> new Deploy(new DeploymentSpec(Map.of(1, 100), 1, 32, 0, threads), null,
            "bob", r)).reply();
        assertThat(deployed.revision().spec().engineThreads()).isEqualTo(threads);
      }
      // journaled with the deployment: a restarted entity has it
      kit.restart();
      assertThat(summary().deployment().spec().engineThreads()).isEqualTo(256);
    }
  }

  @Nested
  class Autoscaling {
    @BeforeEach
    void oneVersion() {
      registerVersion();
    }

    private CommandResultWithReply<Command, Event, State, Reply> deployScaled(int replicas, int min, int max, int target,
        int idle) {
      return run(r -> new Deploy(new DeploymentSpec(Map.of(1, 100), replicas, 32, 0, null,
          new ModelEntity.Autoscaling(min, max, target, idle)), null, "bob", r));
    }

    @Test
    void boundsTargetAndIdlePeriodAreJournaledWithTheRevision() {
      Deployed deployed = deployScaled(1, 0, 4, 8, 600).replyOfType(Deployed.class);
      assertThat(deployed.revision().spec().autoscaling()).isEqualTo(new ModelEntity.Autoscaling(0, 4, 8, 600));
      kit.restart();
      assertThat(summary().deployment().spec().autoscaling()).isEqualTo(new ModelEntity.Autoscaling(0, 4, 8, 600));
    }

    @Test
    void refusesBoundsThatDoNotNestAndAStartOutsideThem() {
      assertRejected(deployScaled(1, 3, 2, 4, 600), Rejection.Reason.INVALID, "invalid_replicas");
      assertRejected(deployScaled(1, -1, 2, 4, 600), Rejection.Reason.INVALID, "invalid_replicas");
      assertRejected(deployScaled(1, 0, 0, 4, 600), Rejection.Reason.INVALID, "invalid_replicas");
      assertRejected(deployScaled(1, 0, 65, 4, 600), Rejection.Reason.INVALID, "invalid_replicas");
      assertRejected(deployScaled(5, 1, 4, 4, 600), Rejection.Reason.INVALID, "invalid_replicas");
      assertRejected(deployScaled(1, 2, 4, 4, 600), Rejection.Reason.INVALID, "invalid_replicas");
      assertRejected(deployScaled(1, 0, 4, 0, 600), Rejection.Reason.INVALID, "invalid_autoscaling");
      assertRejected(deployScaled(1, 0, 4, 10_001, 600), Rejection.Reason.INVALID, "invalid_autoscaling");
      assertRejected(deployScaled(1, 0, 4, 4, 0), Rejection.Reason.INVALID, "invalid_autoscaling");
      assertRejected(deployScaled(1, 0, 4, 4, 7 * 24 * 3600 + 1), Rejection.Reason.INVALID, "invalid_autoscaling");
      assertThat(deployScaled(64, 0, 64, 1, 1).reply()).isInstanceOf(Deployed.class);
    }

    @Test
    void aScalingDecisionOfTheCurrentRevisionIsRecordedAndChangesNoDeployment() {
      deployScaled(1, 0, 4, 8, 600);
      Summary before = summary();
      clock.advance(Duration.ofMinutes(1));
      var result = run(r -> new ModelEntity.RecordScaling(1, 1, 1, 3, "sustained load", "autoscaler", r));
      assertThat(result.reply()).isEqualTo(new ModelEntity.Scaled(1, 1, 3));
      assertThat(result.event()).isEqualTo(new ModelEntity.ReplicasScaled(1, 1, 1, 3, "sustained load",
          START.plus(Duration.ofMinutes(1)), "autoscaler"));
      assertThat(summary()).isEqualTo(before);
      kit.restart();
      assertThat(summary()).isEqualTo(before);
    }

    @Test
    void aDecisionForAnotherRevisionOrOutsideTheBoundsIsRefused() {
      deployScaled(1, 0, 4, 8, 600);
      assertRejected(run(r -> new ModelEntity.RecordScaling(2, 1, 1, 2, "load", "autoscaler", r)),
          Rejection.Reason.CONFLICT, "stale_revision");
      assertRejected(run(r -> new ModelEntity.RecordScaling(1, 1, 1, 5, "load", "autoscaler", r)),
          Rejection.Reason.INVALID, "invalid_scaling");
      assertRejected(run(r -> new ModelEntity.RecordScaling(1, 2, 1, 2, "load", "autoscaler", r)),
          Rejection.Reason.INVALID, "invalid_scaling");
      deploy(Map.of(1, 100)); // fixed replicas: nothing to scale
      assertRejected(run(r -> new ModelEntity.RecordScaling(2, 1, 2, 3, "load", "autoscaler", r)),
          Rejection.Reason.INVALID, "invalid_scaling");
    }
  }

  static Stream<Arguments> invalidTrafficSplits() {
    Map<Integer, Integer> nullPercent = new HashMap<>();
    nullPercent.put(1, null);
    return Stream.of(
        Arguments.of("null", null),
        Arguments.of("empty", Map.of()),
        Arguments.of("zero percent", Map.of(1, 100, 2, 0)),
        Arguments.of("negative percent", Map.of(1, 110, 2, -10)),
        Arguments.of("over 100 percent", Map.of(1, 101)),
        Arguments.of("sum below 100", Map.of(1, 50, 2, 40)),
        Arguments.of("sum above 100", Map.of(1, 60, 2, 50)),
        Arguments.of("null percent", nullPercent));
  }

  @Test
  void aDeploymentSpecKeepsItsTrafficSortedAndUnmodifiable() {
    Map<Integer, Integer> traffic = new LinkedHashMap<>();
    traffic.put(3, 10);
    traffic.put(1, 90);
    DeploymentSpec spec = new DeploymentSpec(traffic, 1, 1, 0);
    traffic.put(2, 5);

    assertThat(spec.traffic()).containsExactly(Map.entry(1, 90), Map.entry(3, 10));
    assertThatThrownBy(() -> spec.traffic().put(4, 1)).isInstanceOf(UnsupportedOperationException.class);
  }

  // ---- rollback ----

  @Test
  void rollbackWalksDownTheStackOfAppliedRevisions() {
    registerVersion();
    registerVersion();
    deploy(Map.of(1, 100));
    deploy(Map.of(1, 50, 2, 50));
    deploy(Map.of(2, 100));

    Instant at = clock.advance(Duration.ofSeconds(30));
    var first = run(r -> new Rollback("dave", r));
    assertThat(first.event()).isEqualTo(new DeploymentRolledBack(3, 2, at, "dave"));
    Deployed toTwo = first.replyOfType(Deployed.class);
    assertThat(toTwo.revision().revision()).isEqualTo(2);
    assertThat(toTwo.revision().spec().traffic()).isEqualTo(Map.of(1, 50, 2, 50));
    assertThat(toTwo.previousRevision()).isEqualTo(3L);
    assertThat(summary().deployment().revision()).isEqualTo(2);

    var second = run(r -> new Rollback("dave", r));
    assertThat(second.event()).isEqualTo(new DeploymentRolledBack(2, 1, at, "dave"));
    assertThat(second.replyOfType(Deployed.class)).isEqualTo(
        new Deployed(summary().deployment(), 2L));
    assertThat(summary().deployment().revision()).isEqualTo(1);

    var third = run(r -> new Rollback("dave", r));
    assertRejected(third, Rejection.Reason.CONFLICT, "no_previous_revision");
    assertThat(summary().deployment().revision()).isEqualTo(1);

    Deployed fourth = deploy(Map.of(2, 100));
    assertThat(fourth.revision().revision()).isEqualTo(4);
    assertThat(fourth.previousRevision()).isEqualTo(1L);
    assertThat(stack(kit.getState())).containsExactly(1L, 4L);
  }

  @Test
  void everyAnswerSaysWhetherAnotherRollbackIsPossibleAndToWhichRevision() {
    registerVersion();
    registerVersion();
    Deployed first = deploy(Map.of(1, 100));
    assertThat(first.rollbackAvailable()).isFalse();
    assertThat(first.rollbackRevision()).isNull();
    assertThat(summary().rollbackRevision()).isNull();
    Deployed second = deploy(Map.of(2, 100));
    assertThat(second.rollbackAvailable()).isTrue();
    assertThat(second.rollbackRevision()).isEqualTo(1L);
    assertThat(summary().rollbackRevision()).isEqualTo(1L);

    // the answer a user read as "revision 2 is where a next rollback goes": it says where the model is now
    Deployed back = run(r -> new Rollback("dave", r)).replyOfType(Deployed.class);
    assertThat(back.revision().revision()).isEqualTo(1);
    assertThat(back.previousRevision()).isEqualTo(2L);
    assertThat(back.rollbackAvailable()).isFalse();
    assertThat(back.rollbackRevision()).isNull();
    assertThat(summary().rollbackRevision()).isNull();
    assertRejected(run(r -> new Rollback("dave", r)), Rejection.Reason.CONFLICT, "no_previous_revision");

    Deployed third = deploy(Map.of(2, 100));
    assertThat(third.rollbackRevision()).isEqualTo(1L);
    kit.restart();
    assertThat(summary().rollbackRevision()).isEqualTo(1L);
    assertThat(summary().deployment().revision()).isEqualTo(3);
  }

  @Test
  void rollbackNeedsARevisionBelowTheCurrentOne() {
    registerVersion();
    assertRejected(run(r -> new Rollback("dave", r)), Rejection.Reason.CONFLICT, "no_previous_revision");
    deploy(Map.of(1, 100));
    assertRejected(run(r -> new Rollback("dave", r)), Rejection.Reason.CONFLICT, "no_previous_revision");
  }

  // ---- archiving ----

  @Nested
  class Archiving {
    @BeforeEach
    void twoVersions() {
      registerVersion();
      registerVersion();
    }

    @Test
    void archivingMarksTheVersionAndAnswersWithTheSummary() {
      Instant at = clock.advance(Duration.ofHours(1));
      var result = run(r -> new ArchiveVersion(1, "erin", r));

      assertThat(result.event()).isEqualTo(new VersionArchived(1, at, "erin"));
      Summary summary = result.replyOfType(Summary.class);
      assertThat(summary.versions()).extracting(VersionInfo::archived).containsExactly(true, false);
      assertThat(summary()).isEqualTo(summary);
    }

    @Test
    void archivingTwiceChangesNothing() {
      run(r -> new ArchiveVersion(1, "erin", r));
      var again = run(r -> new ArchiveVersion(1, "erin", r));
      assertThat(again.hasNoEvents()).isTrue();
      assertThat(again.replyOfType(Summary.class).versions().get(0).archived()).isTrue();
    }

    @Test
    void anUnknownVersionIsNotFound() {
      for (int version : new int[] {0, 3, -1}) {
        var result = run(r -> new ArchiveVersion(version, "erin", r));
        assertRejected(result, Rejection.Reason.NOT_FOUND, "version_not_found");
      }
    }

    @Test
    void aVersionTheCurrentRevisionServesIsInUse() {
      deploy(Map.of(1, 99, 2, 1));
      assertRejected(run(r -> new ArchiveVersion(2, "erin", r)), Rejection.Reason.CONFLICT, "version_in_use");
      assertRejected(run(r -> new ArchiveVersion(1, "erin", r)), Rejection.Reason.CONFLICT, "version_in_use");
    }

    @Test
    void aVersionReachableByRollbackIsInUseUntilItsRevisionIsPopped() {
      deploy(Map.of(1, 100));
      deploy(Map.of(2, 100));
      assertRejected(run(r -> new ArchiveVersion(1, "erin", r)), Rejection.Reason.CONFLICT, "version_in_use");

      run(r -> new Rollback("erin", r));
      // revision 2 is off the stack: version 2 can no longer be rolled back to
      assertThat(run(r -> new ArchiveVersion(2, "erin", r)).replyOfType(Summary.class).versions().get(1).archived())
          .isTrue();
    }
  }

  // ---- recovery and serialization ----

  @Test
  void aRestartRecoversVersionsRevisionsAndTheStack() {
    registerVersion();
    registerVersion();
    deploy(Map.of(1, 100));
    deploy(Map.of(1, 50, 2, 50));
    deploy(Map.of(2, 100));
    run(r -> new Rollback("dave", r));
    run(r -> new ArchiveVersion(2, "erin", r)); // refused: in use by revision 2
    Summary before = summary();
    State stateBefore = kit.getState();

    State recovered = kit.restart().state();

    assertThat(recovered).isEqualTo(stateBefore);
    assertThat(stack(recovered)).containsExactly(1L, 2L);
    assertThat(summary()).isEqualTo(before);
    assertThat(run(r -> new Rollback("dave", r)).replyOfType(Deployed.class).revision().revision()).isEqualTo(1);
    assertThat(deploy(Map.of(2, 100)).revision().revision()).isEqualTo(4);
  }

  @Test
  void recoveryFromASnapshotAndLaterEventsKeepsEverything() {
    registerVersion();
    registerVersion();
    for (int i = 0; i < 220; i++) {
      deploy(i % 2 == 0 ? Map.of(1, 100) : Map.of(2, 100));
    }
    run(r -> new Rollback("dave", r));
    run(r -> new Rollback("dave", r));
    // 2 versions + 220 deploys + 2 rollbacks = 224 events: snapshots at 100 and 200, then 24 events
    State stateBefore = kit.getState();
    List<Pair<SnapshotMeta, Object>> snapshots =
        kit.snapshotTestKit().orElseThrow().persistedInStorage("Model|acme/digits");
    assertThat(snapshots).extracting(s -> s.first().sequenceNr()).contains(200L);

    State recovered = kit.restart().state();

    assertThat(recovered).isEqualTo(stateBefore);
    assertThat(((Model) recovered).revisions()).hasSize(220);
    assertThat(stack(recovered)).hasSize(218).endsWith(217L, 218L);
    assertThat(summary().deployment().revision()).isEqualTo(218);
    Deployed rolledBack = run(r -> new Rollback("dave", r)).replyOfType(Deployed.class);
    assertThat(rolledBack.revision().revision()).isEqualTo(217);
    assertThat(deploy(Map.of(1, 100)).revision().revision()).isEqualTo(221);
  }

  @Test
  void repliesSurviveSerializationBetweenNodes() {
    registerVersion();
    deploy(Map.of(1, 100));
    var serialization = testKit.serializationTestKit();
    serialization.verifySerialization(summary(), true);
    serialization.verifySerialization(deploy(Map.of(1, 100)), true);
    serialization.verifySerialization(run(r -> new Rollback("dave", r)).reply(), true);
    serialization.verifySerialization(run(r -> new ArchiveVersion(9, "erin", r)).reply(), true);
    serialization.verifySerialization(new ModelEntity.Empty(), true);
    serialization.verifySerialization(
        new DeploymentSpec(Collections.unmodifiableMap(new HashMap<>(Map.of(2, 30, 1, 70))), 1, 1, 0), true);
    serialization.verifySerialization(new DeploymentSpec(Map.of(1, 100), 1, 1, 0, null,
        new ModelEntity.Autoscaling(0, 3, 4, 600)), true);
    serialization.verifySerialization(new ModelEntity.Scaled(1, 1, 2), true);
    serialization.verifySerialization(new ModelEntity.ReplicasScaled(1, 1, 0, 1, "a request", START, "autoscaler"), true);
  }

  @Test
  void aRevisionJournaledBeforeAutoscalingExistedReadsAsFixedReplicas() throws Exception {
    var serialization = akka.serialization.SerializationExtension.get(testKit.system());
    DeploymentRevised now = new DeploymentRevised(1, new DeploymentSpec(Map.of(1, 100), 2, 32, 5, 1), START, "bob");
    var serializer = serialization.findSerializerFor(now);
    String manifest = akka.serialization.Serializers.manifestFor(serializer, now);
    // the same event as an earlier release wrote it: a spec without the autoscaling field
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.cbor.CBORFactory());
    var tree = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(serialization.serialize(now).get());
    ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("spec")).remove("autoscaling");
    assertThat(tree.get("spec").has("autoscaling")).isFalse();

    Object old = serialization.deserialize(mapper.writeValueAsBytes(tree), serializer.identifier(), manifest).get();

    assertThat(old).isEqualTo(now);
    assertThat(((DeploymentRevised) old).spec().autoscaling()).isNull();
  }

  @Test
  void thePersistenceIdIsTheEntityTypeAndTheModelKey() {
    registerVersion();
    assertThat(kit.persistenceTestKit().persistedInStorage("Model|acme/digits"))
        .singleElement().isInstanceOf(VersionRegistered.class);
  }
}
