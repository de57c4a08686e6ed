package io.modelplane.inference.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.SerializationTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.Tensor;
import io.modelplane.inference.worker.VersionToLoad;
import io.modelplane.inference.worker.WorkerActor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The messages workers, placement and routers exchange across nodes survive Akka's serialization (CBOR). */
class CrossNodeMessagesSerializationTest {
  static final VersionKey VERSION = new VersionKey(ModelKey.of("acme", "digits"), 3);
  static final List<TensorSpec> SIG = List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L)));

  static ActorTestKit testKit;
  static SerializationTestKit serialization;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
    serialization = testKit.serializationTestKit();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Serialized and read back: equal to what was sent. */
  static <T> T roundTrip(T message) {
    @SuppressWarnings("unchecked")
    T back = (T) serialization.verifySerialization(message, true);
    return back;
  }

  @Test
  void workerMessagesCarryTypedKeys() {
    TestProbe<WorkerActor.LoadResult> loads = testKit.createTestProbe();
    TestProbe<WorkerActor.ReplicaHealth> health = testKit.createTestProbe();
    TestProbe<WorkerActor.InferResult> results = testKit.createTestProbe();
    TestProbe<WorkerActor.Command> worker = testKit.createTestProbe();
    byte[] keyBytes = new byte[32];
    java.util.Arrays.fill(keyBytes, (byte) 0x5a);
    io.modelplane.common.crypto.ArtifactKey dataKey = new io.modelplane.common.crypto.ArtifactKey("acme/1", keyBytes);
    VersionToLoad version = new VersionToLoad(VERSION, "torchscript", SIG, SIG, 4096, "ab12", dataKey, null);

    WorkerActor.Load load = roundTrip(new WorkerActor.Load(version, new BatchSettings(8, 2, 100), loads.getRef(),
        health.getRef()));
    assertThat(load.version().key()).isEqualTo(VERSION);
    // the data key crosses to the worker, and no log line of the message shows its bytes
    assertThat(load.version().dataKey()).isEqualTo(dataKey);
    assertThat(load.toString()).contains("acme/1").doesNotContain("5a5a", "WlpaWl", "90, 90");
    assertThat(roundTrip(new WorkerActor.Unload(VERSION)).version()).isEqualTo(VERSION);
    roundTrip(new WorkerActor.Infer(VERSION, List.of(new Tensor("input", "FP32", new long[] {1, 64}, new byte[256])),
        250, results.getRef()));
    // the gateway's trace context travels with the request to a worker on another node
    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    assertThat(roundTrip(new WorkerActor.Infer(VERSION, List.of(), 250, results.getRef(),
        java.util.Map.of("traceparent", traceparent))).trace()).containsExactly(java.util.Map.entry("traceparent",
        traceparent));
    roundTrip(new WorkerActor.LoadResult("w1", VERSION, false, "corrupt"));
    roundTrip(new WorkerActor.ReplicaHealth(worker.getRef(), VERSION, "slow"));
    roundTrip(new WorkerActor.ReplicaHealth(worker.getRef(), VERSION, null));
    roundTrip(new WorkerActor.Inferred(List.of(new Tensor("logits", "FP32", new long[] {1, 2}, new byte[8])), 12));
    WorkerActor.InferFailed failed = roundTrip(new WorkerActor.InferFailed(WorkerActor.Reason.INVALID_INPUT, "no",
        new WorkerActor.InvalidInput(InvalidInputException.Kind.UNPROCESSABLE, "shape_mismatch")));
    assertThat(failed.reason()).isEqualTo(WorkerActor.Reason.INVALID_INPUT);
    roundTrip(new WorkerActor.InferFailed(WorkerActor.Reason.MODEL_NOT_RESIDENT, "gone"));
    roundTrip(new WorkerActor.WorkerStatus("w1", "cpu()", 100, 10,
        List.of(new WorkerActor.ModelStatus(VERSION, 10, 1, 0)), "pool-a"));
    WorkerActor.WorkerStatus status = roundTrip(new WorkerActor.WorkerStatus("w1", "cpu()", 100, 10, List.of(
        new WorkerActor.ModelStatus(VERSION, 10, 1, 0, java.time.Instant.parse("2026-12-01T10:00:00.123Z"), 40, 3, 2.5)), null));
    assertThat(status.models().get(0).lastUsedAt()).isEqualTo(java.time.Instant.parse("2026-12-01T10:00:00.123Z"));
    assertThat(roundTrip(new WorkerActor.WorkerStatus("w1", "cpu()", 100, 10, List.of(), null, 0.37)).utilization())
        .isEqualTo(0.37);
  }

  @Test
  void placementMessagesAndRoutingTablesCarryTypedKeys() {
    TestProbe<WorkerActor.Command> worker = testKit.createTestProbe();
    TestProbe<PlacementCoordinator.Replicas> replicas = testKit.createTestProbe();
    VersionToLoad version = new VersionToLoad(VERSION, "torchscript", SIG, SIG, 4096, null, null, null);

    roundTrip(new PlacementCoordinator.SetDeployment(VERSION.model(), new PlacementCoordinator.DesiredDeployment(4,
        Map.of(3, 100), 2, new BatchSettings(8, 2, 100), Map.of(3, version), "pool-a"), 7));
    roundTrip(new PlacementCoordinator.SetDeployment(VERSION.model(), null, 8));
    PlacementCoordinator.SetDeployment autoscaled = roundTrip(new PlacementCoordinator.SetDeployment(VERSION.model(),
        new PlacementCoordinator.DesiredDeployment(5, Map.of(3, 100), 1, new BatchSettings(8, 2, 100), Map.of(3, version),
            null, new io.modelplane.inference.placement.Autoscaler.Bounds(0, 4, 8, java.time.Duration.ofSeconds(600))), 10));
    assertThat(autoscaled.deployment().autoscaling().idleUnload()).isEqualTo(java.time.Duration.ofMinutes(10));
    TestProbe<Router.LoadReport> reports = testKit.createTestProbe();
    TestProbe<Router.Wake> wakes = testKit.createTestProbe();
    roundTrip(new Router.ReportLoad(reports.getRef(), wakes.getRef()));
    Router.LoadReport report = roundTrip(new Router.LoadReport(List.of(new InferenceGateway.VersionLoad(VERSION, 2.5, 40))));
    assertThat(report.versions().get(0).version()).isEqualTo(VERSION);
    assertThat(roundTrip(new Router.Wake(VERSION)).version()).isEqualTo(VERSION);
    Router.TableUpdated parked = roundTrip(new Router.TableUpdated(new RoutingTable(3, List.of(new RoutingTable.ModelRoute(
        VERSION.model(), 5, Map.of(3, 100), Map.of(3, new RoutingTable.VersionRoute(SIG, SIG, List.of(), null, true)))))));
    assertThat(parked.table().models().get(0).versions().get(3).scaledToZero()).isTrue();
    PlacementCoordinator.SetTenantQuota quota = roundTrip(new PlacementCoordinator.SetTenantQuota(TenantId.of("acme"), 5L, 9));
    assertThat(quota.tenant()).isEqualTo(TenantId.of("acme"));
    roundTrip(new PlacementCoordinator.GetReplicas(VERSION.model(), replicas.getRef()));
    roundTrip(new PlacementCoordinator.Replicas(VERSION.model(), List.of(
        new PlacementCoordinator.ReplicaView(3, "w1", PlacementCoordinator.ReplicaState.READY, null))));

    TestProbe<PlacementCoordinator.DrainSet> drained = testKit.createTestProbe();
    TestProbe<PlacementCoordinator.Evicted> evicted = testKit.createTestProbe();
    TestProbe<PlacementCoordinator.Drains> drains = testKit.createTestProbe();
    roundTrip(new PlacementCoordinator.SetDraining("10.0.0.1:25520/cpu()", true, drained.getRef()));
    roundTrip(new PlacementCoordinator.DrainSet("10.0.0.1:25520/cpu()", true, PlacementCoordinator.Outcome.DONE, null));
    roundTrip(new PlacementCoordinator.Evict("10.0.0.1:25520/cpu()", VERSION, evicted.getRef()));
    assertThat(roundTrip(new PlacementCoordinator.Evicted("w1", VERSION, PlacementCoordinator.Outcome.RESIDENT_NOT_FOUND))
        .version()).isEqualTo(VERSION);
    roundTrip(new PlacementCoordinator.GetDrains(drains.getRef()));
    roundTrip(new PlacementCoordinator.Drains(Map.of("w1", List.of("acme/digits:3 stays (it keeps serving): no room"))));

    RoutingTable table = new RoutingTable(9, List.of(new RoutingTable.ModelRoute(VERSION.model(), 4,
        Map.of(3, 80, 4, 20), Map.of(
            3, new RoutingTable.VersionRoute(SIG, SIG, List.of(worker.getRef()), null),
            4, new RoutingTable.VersionRoute(SIG, SIG, List.of(),
                new RoutingTable.Unservable(RoutingTable.UnservableReason.QUOTA_EXCEEDED, "no room"))))));
    Router.TableUpdated updated = roundTrip(new Router.TableUpdated(table));
    assertThat(updated.table().models().get(0).model()).isEqualTo(VERSION.model());
    assertThat(updated.table().models().get(0).versions().get(3).ready()).containsExactly(worker.getRef());
  }
}
