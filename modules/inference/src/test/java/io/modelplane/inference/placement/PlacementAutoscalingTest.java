package io.modelplane.inference.placement;

import static io.modelplane.inference.placement.PlacementCoordinatorTest.ACME_M;
import static io.modelplane.inference.placement.PlacementCoordinatorTest.fakeWorker;
import static io.modelplane.inference.placement.PlacementCoordinatorTest.route;
import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.ModelKey;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.gateway.InferenceGateway;
import io.modelplane.inference.gateway.Router;
import io.modelplane.inference.gateway.RoutingTable;
import io.modelplane.inference.worker.WorkerActor;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Autoscaling carried out: a fake gateway reports load, fake workers load and unload, decisions are recorded. */
class PlacementAutoscalingTest {
  static final VersionKey V1 = new VersionKey(ACME_M, 1);
  static final Autoscaler.Settings FAST =
      new Autoscaler.Settings(Duration.ofMillis(300), Duration.ofMillis(500), Duration.ofMillis(300), 0.5);

  ActorTestKit testKit;
  final List<String> recorded = new CopyOnWriteArrayList<>();
  /** what the fake gateway reports for V1 at each tick */
  final AtomicReference<InferenceGateway.VersionLoad> load = new AtomicReference<>();
  final AtomicReference<ActorRef<Router.Wake>> wakeTo = new AtomicReference<>();
  final AtomicReference<RoutingTable> table = new AtomicReference<>(RoutingTable.EMPTY);

  @BeforeEach
  void start() {
    testKit = ActorTestKit.create(ConfigFactory.parseString("akka.loglevel = WARNING"));
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  /** A gateway's router: keeps the latest table, answers each load report with {@link #load}. */
  Behavior<Router.Command> fakeRouter() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(Router.SERVICE_KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(msg -> {
        if (msg instanceof Router.TableUpdated updated) {
          table.set(updated.table());
        } else if (msg instanceof Router.ReportLoad report) {
          wakeTo.set(report.wakeTo());
          InferenceGateway.VersionLoad now = load.get();
          report.replyTo().tell(new Router.LoadReport(now == null ? List.of() : List.of(now)));
        }
        return Behaviors.same();
      });
    });
  }

  ActorRef<PlacementCoordinator.Command> coordinator(boolean recordingFails) {
    PlacementCoordinator.ScalingRecord record = (model, revision, version, from, to, reason) -> {
      if (recordingFails) {
        return CompletableFuture.failedFuture(new IllegalStateException("the journal is down"));
      }
      recorded.add(model.entityId() + " r" + revision + " v" + version + " " + from + "->" + to + ": " + reason);
      return CompletableFuture.completedFuture(null);
    };
    return testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5), PlacementCoordinator.DesiredState.NONE,
        (worker, draining) -> CompletableFuture.completedFuture(null),
        new PlacementCoordinator.Autoscaling(Duration.ofMillis(100), FAST, record, Clock.systemUTC())));
  }

  static PlacementCoordinator.DesiredDeployment autoscaled(long revision, int replicas, Autoscaler.Bounds bounds) {
    PlacementCoordinator.DesiredDeployment d = PlacementCoordinatorTest.deployment(revision, replicas, 1);
    return new PlacementCoordinator.DesiredDeployment(revision, d.traffic(), replicas, d.batch(), d.versions(), null,
        bounds);
  }

  static PlacementCoordinator.SetDeployment set(PlacementCoordinator.DesiredDeployment d, long order) {
    return new PlacementCoordinator.SetDeployment(ACME_M, d, order);
  }

  int holding(List<Set<VersionKey>> workers) {
    return (int) workers.stream().filter(w -> w.contains(V1)).count();
  }

  void await(Runnable assertion) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertion.run();
      return null;
    });
  }

  @Test
  void sustainedLoadAddsReplicasAndIdleLoadRemovesThemEachDecisionRecorded() {
    List<Set<VersionKey>> workers = List.of(ConcurrentHashMap.newKeySet(), ConcurrentHashMap.newKeySet(),
        ConcurrentHashMap.newKeySet(), ConcurrentHashMap.newKeySet());
    ActorRef<PlacementCoordinator.Command> placement = coordinator(false);
    testKit.spawn(fakeRouter());
    for (int i = 0; i < workers.size(); i++) {
      testKit.spawn(fakeWorker("w" + i, 10_000, workers.get(i), Set.of()));
    }
    placement.tell(set(autoscaled(1, 1, new Autoscaler.Bounds(1, 3, 2, Duration.ofMinutes(10))), 1));
    await(() -> assertThat(holding(workers)).isEqualTo(1));

    // 5 in flight at 2 per replica: 3 replicas, never past maxReplicas
    load.set(new InferenceGateway.VersionLoad(V1, 5, 100));
    await(() -> assertThat(holding(workers)).isEqualTo(3));
    await(() -> assertThat(route(table.get(), ACME_M).versions().get(1).ready()).hasSize(3));
    assertThat(recorded).singleElement().asString().startsWith("acme/m r1 v1 1->3: ")
        .contains("over the target 2");

    load.set(null); // no requests: down to minReplicas, never below
    await(() -> assertThat(holding(workers)).isEqualTo(1));
    assertThat(recorded).hasSize(2);
    assertThat(recorded.get(1)).startsWith("acme/m r1 v1 3->1: ").contains("under 50% of the target");
    assertThat(route(table.get(), ACME_M).versions().get(1).scaledToZero()).isFalse();
  }

  @Test
  void anIdleVersionGoesToZeroAndAWakeLoadsItAgain() {
    Set<VersionKey> held = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = coordinator(false);
    testKit.spawn(fakeRouter());
    testKit.spawn(fakeWorker("w", 10_000, held, Set.of()));
    placement.tell(set(autoscaled(1, 1, new Autoscaler.Bounds(0, 2, 4, Duration.ofSeconds(1))), 1));
    await(() -> assertThat(held).containsExactly(V1));

    await(() -> assertThat(held).isEmpty());
    await(() -> {
      RoutingTable.VersionRoute v1 = route(table.get(), ACME_M).versions().get(1);
      assertThat(v1.scaledToZero()).isTrue();
      assertThat(v1.ready()).isEmpty();
      assertThat(v1.unservable()).as("a request waits for the load it causes").isNull();
    });
    assertThat(recorded).containsExactly("acme/m r1 v1 1->0: no request for 1 s");
    TestProbe<PlacementCoordinator.Replicas> views = testKit.createTestProbe();
    placement.tell(new PlacementCoordinator.GetReplicas(ACME_M, views.getRef()));
    assertThat(views.receiveMessage().replicas()).singleElement().satisfies(r -> {
      assertThat(r.state()).isEqualTo(PlacementCoordinator.ReplicaState.SCALED_TO_ZERO);
      assertThat(r.reason()).isEqualTo("unloaded after 1 s without a request; the next request loads it");
    });

    load.set(new InferenceGateway.VersionLoad(V1, 0, 1)); // the request that woke it, then one per tick
    wakeTo.get().tell(new Router.Wake(V1));
    await(() -> assertThat(held).containsExactly(V1));
    await(() -> assertThat(route(table.get(), ACME_M).versions().get(1).ready()).hasSize(1));
    assertThat(recorded).hasSize(2).last().isEqualTo("acme/m r1 v1 0->1: a request arrived while scaled to zero");
  }

  @Test
  void theIdlePeriodCountsFromServingOnNotDuringASlowLoad() {
    Set<VersionKey> held = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = coordinator(false);
    testKit.spawn(fakeRouter());
    // a worker whose loads take 1.5 s: longer than the idle period
    testKit.spawn(Behaviors.<WorkerActor.Command>setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(
          WorkerActor.SERVICE_KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(msg -> {
        if (msg instanceof WorkerActor.GetStatus get) {
          get.replyTo().tell(new WorkerActor.WorkerStatus("slow", "cpu()", 10_000, 0,
              List.of(), null));
        } else if (msg instanceof WorkerActor.Load load) {
          held.add(load.version().key());
          ctx.scheduleOnce(Duration.ofMillis(1500), load.replyTo(),
              new WorkerActor.LoadResult("slow", load.version().key(), true, null));
        } else if (msg instanceof WorkerActor.Unload unload) {
          held.remove(unload.version());
        }
        return Behaviors.same();
      });
    }));
    placement.tell(set(autoscaled(1, 1, new Autoscaler.Bounds(0, 2, 4, Duration.ofSeconds(1))), 1));

    await(() -> assertThat(route(table.get(), ACME_M).versions().get(1).ready()).hasSize(1));
    assertThat(recorded).as("not unloaded while it loaded").isEmpty();
    assertThat(held).containsExactly(V1);
    await(() -> assertThat(held).isEmpty()); // then idle for 1 s once serving
    assertThat(recorded).containsExactly("acme/m r1 v1 1->0: no request for 1 s");
  }

  @Test
  void aNewRevisionKeepsTheCountWithinItsBoundsAndAFixedOneEndsAutoscaling() {
    List<Set<VersionKey>> workers = List.of(ConcurrentHashMap.newKeySet(), ConcurrentHashMap.newKeySet(),
        ConcurrentHashMap.newKeySet());
    ActorRef<PlacementCoordinator.Command> placement = coordinator(true); // recording fails: decisions still stand
    testKit.spawn(fakeRouter());
    for (int i = 0; i < workers.size(); i++) {
      testKit.spawn(fakeWorker("w" + i, 10_000, workers.get(i), Set.of()));
    }
    placement.tell(set(autoscaled(1, 1, new Autoscaler.Bounds(1, 3, 1, Duration.ofMinutes(10))), 1));
    load.set(new InferenceGateway.VersionLoad(V1, 10, 100));
    await(() -> assertThat(holding(workers)).isEqualTo(3));

    // a new revision with a lower maximum: clamped, not reset to its starting count
    load.set(new InferenceGateway.VersionLoad(V1, 2, 100));
    placement.tell(set(autoscaled(2, 1, new Autoscaler.Bounds(1, 2, 1, Duration.ofMinutes(10))), 2));
    await(() -> assertThat(holding(workers)).isEqualTo(2));

    placement.tell(set(PlacementCoordinatorTest.deployment(3, 1, 1), 3)); // fixed: one replica, whatever the load
    await(() -> assertThat(holding(workers)).isEqualTo(1));
    load.set(new InferenceGateway.VersionLoad(V1, 50, 1000));
    testKit.createTestProbe().expectNoMessage(Duration.ofMillis(800));
    assertThat(holding(workers)).isEqualTo(1);
    assertThat(recorded).isEmpty();
  }

  @Test
  void aWakeForAFixedOrUnknownVersionChangesNothing() {
    Set<VersionKey> held = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = coordinator(false);
    testKit.spawn(fakeRouter());
    testKit.spawn(fakeWorker("w", 10_000, held, Set.of()));
    placement.tell(set(autoscaled(1, 1, new Autoscaler.Bounds(1, 2, 4, Duration.ofMinutes(10))), 1));
    await(() -> assertThat(wakeTo.get()).isNotNull());
    await(() -> assertThat(held).containsExactly(V1));

    wakeTo.get().tell(new Router.Wake(V1)); // already has a replica
    wakeTo.get().tell(new Router.Wake(new VersionKey(ModelKey.of("acme", "other"), 1)));
    testKit.createTestProbe().expectNoMessage(Duration.ofMillis(500));
    assertThat(held).containsExactly(V1);
    assertThat(recorded).isEmpty();
  }
}
