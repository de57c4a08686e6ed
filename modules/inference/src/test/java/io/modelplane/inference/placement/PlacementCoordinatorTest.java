package io.modelplane.inference.placement;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.gateway.Router;
import io.modelplane.inference.gateway.RoutingTable;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.worker.VersionToLoad;
import io.modelplane.inference.worker.WorkerActor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Placement carried out: fake workers (plain behaviors) join and leave; replicas follow. */
class PlacementCoordinatorTest {
  static final ModelKey ACME_M = ModelKey.of("acme", "m");
  static final ModelKey OTHER_M = ModelKey.of("other", "m");
  static final List<TensorSpec> SIG = List.of(new TensorSpec("input", "FP32", List.of(-1L, 4L)));

  // one actor system per test: each has its own receptionist, so workers of one test stay out of the other
  ActorTestKit testKit;

  @BeforeEach
  void start() {
    testKit = ActorTestKit.create(ConfigFactory.parseString("akka.loglevel = WARNING"));
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  /** A worker that loads whatever it is told (unless the key is in {@code failing}) and records what it holds. */
  static Behavior<WorkerActor.Command> fakeWorker(String id, long budget, Set<VersionKey> holds, Set<VersionKey> failing) {
    return fakeWorker(id, budget, holds, failing, null);
  }

  /** {@link #fakeWorker(String, long, Set, Set)} announcing the dedicated {@code pool} (null: shared). */
  static Behavior<WorkerActor.Command> fakeWorker(String id, long budget, Set<VersionKey> holds, Set<VersionKey> failing,
      String pool) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(WorkerActor.SERVICE_KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(msg -> {
        if (msg instanceof WorkerActor.GetStatus get) {
          get.replyTo().tell(new WorkerActor.WorkerStatus(id, "cpu()", budget, 0, List.of(), pool));
        } else if (msg instanceof WorkerActor.Load load) {
          boolean ok = !failing.contains(load.version().key());
          if (ok) {
            holds.add(load.version().key());
          }
          load.replyTo().tell(new WorkerActor.LoadResult(id, load.version().key(), ok, ok ? null : "corrupt artifact"));
        } else if (msg instanceof WorkerActor.Unload unload) {
          holds.remove(unload.version());
        }
        return Behaviors.same();
      });
    });
  }

  static PlacementCoordinator.DesiredDeployment deployment(long revision, int replicas, int... versions) {
    Map<Integer, Integer> traffic = new java.util.TreeMap<>();
    Map<Integer, VersionToLoad> loads = new java.util.HashMap<>();
    for (int v : versions) {
      traffic.put(v, 100 / versions.length + (v == versions[0] ? 100 % versions.length : 0));
      loads.put(v, new VersionToLoad(new VersionKey(ACME_M, v), "torchscript", SIG, SIG, 1000, null, null, null));
    }
    return new PlacementCoordinator.DesiredDeployment(revision, traffic, replicas, new BatchSettings(8, 1, 100), loads);
  }

  void awaitWorkers(ActorRef<PlacementCoordinator.Command> placement, int count) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      TestProbe<PlacementCoordinator.Workers> workers = testKit.createTestProbe();
      placement.tell(new PlacementCoordinator.GetWorkers(workers.getRef()));
      assertThat(workers.receiveMessage().workers()).hasSize(count);
      return null;
    });
  }

  List<PlacementCoordinator.ReplicaView> replicas(ActorRef<PlacementCoordinator.Command> placement) {
    TestProbe<PlacementCoordinator.Replicas> probe = testKit.createTestProbe();
    placement.tell(new PlacementCoordinator.GetReplicas(ACME_M, probe.getRef()));
    return probe.receiveMessage().replicas();
  }

  @Test
  void aPooledWorkerGetsOnlyItsPoolsDeploymentsAndThePooledTenantOnlyIt() {
    Set<VersionKey> shared = ConcurrentHashMap.newKeySet();
    Set<VersionKey> pooled = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    // the pooled worker has far more room: without pools it would be picked first
    testKit.spawn(fakeWorker("shared", 10_000, shared, Set.of()));
    testKit.spawn(fakeWorker("pooled", 1_000_000, pooled, Set.of(), "acme-only"));
    awaitWorkers(placement, 2);
    // workers are named by the ids they announce (node address and device in a cluster), not by actor paths
    TestProbe<PlacementCoordinator.Workers> listed = testKit.createTestProbe();
    placement.tell(new PlacementCoordinator.GetWorkers(listed.getRef()));
    assertThat(listed.receiveMessage().workers()).containsExactly("pooled", "shared");

    PlacementCoordinator.DesiredDeployment plain = deployment(1, 2, 1);
    placement.tell(setDeployment(ACME_M, plain));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(shared).containsExactly(new VersionKey(ModelKey.of("acme", "m"), 1));
      assertThat(pooled).isEmpty();
      assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::state)
          .containsExactlyInAnyOrder(PlacementCoordinator.ReplicaState.READY, PlacementCoordinator.ReplicaState.PENDING);
      assertThat(replicas(placement)).filteredOn(r -> r.state() == PlacementCoordinator.ReplicaState.READY)
          .extracting(PlacementCoordinator.ReplicaView::worker).containsExactly("shared");
      return null;
    });

    // the tenant is given the pool: its replica moves there and leaves the shared worker
    placement.tell(setDeployment(ACME_M, new PlacementCoordinator.DesiredDeployment(
        2, plain.traffic(), 1, plain.batch(), plain.versions(), "acme-only")));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(pooled).containsExactly(new VersionKey(ModelKey.of("acme", "m"), 1));
      assertThat(shared).isEmpty();
      return null;
    });
  }

  @Test
  void replicasFollowWorkersJoiningAndLeavingAndRoutersGetTables() {
    Set<VersionKey> w1 = ConcurrentHashMap.newKeySet();
    Set<VersionKey> w2 = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    TestProbe<Router.Command> router = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Router.SERVICE_KEY, router.getRef()));

    placement.tell(setDeployment(ACME_M, deployment(1, 1, 1)));
    router.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::state)
          .containsExactly(PlacementCoordinator.ReplicaState.PENDING);
      return null;
    });

    ActorRef<WorkerActor.Command> first = testKit.spawn(fakeWorker("w1", 10_000, w1, Set.of()));
    router.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w1).containsExactly(new VersionKey(ModelKey.of("acme", "m"), 1));
      assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::state)
          .containsExactly(PlacementCoordinator.ReplicaState.READY);
      return null;
    });
    RoutingTable table = RoutingTable.EMPTY;
    while (route(table, ACME_M) == null || route(table, ACME_M).versions().get(1).ready().isEmpty()) {
      table = ((Router.TableUpdated) router.receiveMessage(Duration.ofSeconds(5))).table();
    }
    assertThat(route(table, ACME_M).versions().get(1).ready()).containsExactly(first);

    testKit.spawn(fakeWorker("w2", 10_000, w2, Set.of()));
    testKit.stop(first);
    router.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w2).containsExactly(new VersionKey(ModelKey.of("acme", "m"), 1));
      assertThat(replicas(placement)).hasSize(1).allMatch(r -> r.state() == PlacementCoordinator.ReplicaState.READY
          && !r.worker().contains(first.path().name()));
      return null;
    });

    // a new revision with version 2 only: 1 is unloaded, 2 is loaded
    placement.tell(setDeployment(ACME_M, deployment(2, 1, 2)));
    router.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w2).containsExactly(new VersionKey(ModelKey.of("acme", "m"), 2));
      return null;
    });
    placement.tell(setDeployment(ACME_M, null));
    router.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w2).isEmpty();
      assertThat(replicas(placement)).isEmpty();
      return null;
    });
  }

  @Test
  void aDegradedReplicaLeavesTheRoutingTableWithItsReasonAndReturnsWhenHealthy() {
    java.util.concurrent.atomic.AtomicReference<ActorRef<WorkerActor.ReplicaHealth>> health =
        new java.util.concurrent.atomic.AtomicReference<>();
    Set<VersionKey> held = ConcurrentHashMap.newKeySet();
    Behavior<WorkerActor.Command> plain = fakeWorker("w1", 10_000, held, Set.of());
    // the fake worker, plus: keeps where to report its replica's health
    ActorRef<WorkerActor.Command> worker = testKit.spawn(Behaviors.intercept(
        () -> new akka.actor.typed.BehaviorInterceptor<WorkerActor.Command, WorkerActor.Command>(WorkerActor.Command.class) {
          @Override
          public Behavior<WorkerActor.Command> aroundReceive(akka.actor.typed.TypedActorContext<WorkerActor.Command> ctx,
              WorkerActor.Command msg, ReceiveTarget<WorkerActor.Command> target) {
            if (msg instanceof WorkerActor.Load load && load.healthTo() != null) {
              health.set(load.healthTo());
            }
            return target.apply(ctx, msg);
          }
        }, plain));
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    TestProbe<Router.Command> router = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Router.SERVICE_KEY, router.getRef()));
    placement.tell(setDeployment(ACME_M, deployment(1, 1, 1)));
    router.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::state)
          .containsExactly(PlacementCoordinator.ReplicaState.READY);
      assertThat(health.get()).isNotNull();
      return null;
    });

    health.get().tell(new WorkerActor.ReplicaHealth(worker, new VersionKey(ModelKey.of("acme", "m"), 1), "a forward pass has run for more than 30000 ms"));
    router.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(replicas(placement)).singleElement().satisfies(r -> {
        assertThat(r.state()).isEqualTo(PlacementCoordinator.ReplicaState.DEGRADED);
        assertThat(r.reason()).contains("forward pass");
      });
      return null;
    });
    RoutingTable table = ((Router.TableUpdated) router.receiveMessage(Duration.ofSeconds(5))).table();
    // tables sent before the model was placed come first: skip to the one without a ready replica
    while (route(table, ACME_M) == null || !route(table, ACME_M).versions().get(1).ready().isEmpty()) {
      table = ((Router.TableUpdated) router.receiveMessage(Duration.ofSeconds(5))).table();
    }
    // out of routing, but not failed: gateways wait for it instead of refusing the version
    assertThat(route(table, ACME_M).versions().get(1).unservable()).isNull();

    health.get().tell(new WorkerActor.ReplicaHealth(worker, new VersionKey(ModelKey.of("acme", "m"), 1), null));
    router.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::state)
          .containsExactly(PlacementCoordinator.ReplicaState.READY);
      return null;
    });
    while (route(table, ACME_M).versions().get(1).ready().isEmpty()) {
      table = ((Router.TableUpdated) router.receiveMessage(Duration.ofSeconds(5))).table();
    }
    assertThat(route(table, ACME_M).versions().get(1).ready()).containsExactly(worker);
  }

  @Test
  void aFailedLoadIsShownWithItsReason() {
    Set<VersionKey> held = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    testKit.spawn(fakeWorker("w3", 10_000, held, Set.of(new VersionKey(ModelKey.of("acme", "m"), 1))));
    placement.tell(setDeployment(ACME_M, deployment(1, 1, 1)));
    TestProbe<Object> waiter = testKit.createTestProbe();
    waiter.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(replicas(placement)).anySatisfy(r -> {
        assertThat(r.state()).isEqualTo(PlacementCoordinator.ReplicaState.FAILED);
        assertThat(r.reason()).isEqualTo("corrupt artifact");
      });
      return null;
    });
  }

  @Test
  void aTenantQuotaRefusesReplicasBeyondItAndARaisedOnePlacesThem() {
    Set<VersionKey> w1 = ConcurrentHashMap.newKeySet();
    Set<VersionKey> w2 = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    testKit.spawn(fakeWorker("w1", 10_000, w1, Set.of()));
    testKit.spawn(fakeWorker("w2", 10_000, w2, Set.of()));
    TestProbe<Object> waiter = testKit.createTestProbe();
    // both workers known first, so that a refusal below is the quota's and not a lack of workers
    awaitWorkers(placement, 2);

    // each replica of acme/m:1 needs 1000 bytes: 1500 fits one of the two
    placement.tell(setQuota(TenantId.of("acme"), 1500L));
    placement.tell(setDeployment(ACME_M, deployment(1, 2, 1)));
    waiter.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::state).containsExactlyInAnyOrder(
          PlacementCoordinator.ReplicaState.READY, PlacementCoordinator.ReplicaState.QUOTA_EXCEEDED);
      return null;
    });
    PlacementCoordinator.ReplicaView refused = replicas(placement).stream()
        .filter(r -> r.state() == PlacementCoordinator.ReplicaState.QUOTA_EXCEEDED).findFirst().orElseThrow();
    assertThat(refused.worker()).isNull();
    assertThat(refused.reason()).contains("maxResidentBytes").contains("1500").contains("1000");
    assertThat(w1.size() + w2.size()).isEqualTo(1);

    placement.tell(setQuota(TenantId.of("acme"), 2000L));
    waiter.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::state).containsExactly(
          PlacementCoordinator.ReplicaState.READY, PlacementCoordinator.ReplicaState.READY);
      assertThat(w1).containsExactly(new VersionKey(ModelKey.of("acme", "m"), 1));
      assertThat(w2).containsExactly(new VersionKey(ModelKey.of("acme", "m"), 1));
      return null;
    });

    // lowered below what is resident: nothing is unloaded (replicas() answers after the quota is handled)
    placement.tell(setQuota(TenantId.of("acme"), 500L));
    assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::state).containsExactly(
        PlacementCoordinator.ReplicaState.READY, PlacementCoordinator.ReplicaState.READY);

    // unlimited (null) from the start for another tenant: a second model is placed as before
    placement.tell(setQuota(TenantId.of("other"), null));
    placement.tell(setDeployment(OTHER_M, otherDeployment()));
    waiter.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w1.contains(new VersionKey(ModelKey.of("other", "m"), 1)) || w2.contains(new VersionKey(ModelKey.of("other", "m"), 1))).isTrue();
      return null;
    });
  }

  @Test
  void gatewaysLearnWhichVersionsTheQuotaLeavesWithoutAnyReplica() {
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    TestProbe<Router.Command> router = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Router.SERVICE_KEY, router.getRef()));
    testKit.spawn(fakeWorker("w1", 10_000, ConcurrentHashMap.newKeySet(), Set.of()));
    testKit.spawn(fakeWorker("w2", 10_000, ConcurrentHashMap.newKeySet(), Set.of()));
    awaitWorkers(placement, 2);

    // 1500 bytes: version 1 (1000) gets one replica of two, version 2 (1000) none
    placement.tell(setQuota(TenantId.of("acme"), 1500L));
    placement.tell(setDeployment(ACME_M, deployment(1, 2, 1, 2)));
    RoutingTable.ModelRoute route = null;
    while (route == null || route.versions().get(1).ready().isEmpty()) {
      route = route(((Router.TableUpdated) router.receiveMessage(Duration.ofSeconds(5))).table(), ACME_M);
    }
    assertThat(route.versions().get(1).unservable()).as("version 1 has a replica: its second one waits").isNull();
    assertThat(route.versions().get(2).ready()).isEmpty();
    assertThat(route.versions().get(2).unservable().reason()).isEqualTo(RoutingTable.UnservableReason.QUOTA_EXCEEDED);
    assertThat(route.versions().get(2).unservable().message()).contains("version 2").contains("maxResidentBytes")
        .contains("1500");

    placement.tell(setQuota(TenantId.of("acme"), null));
    while (route.versions().get(2).unservable() != null) {
      route = route(((Router.TableUpdated) router.receiveMessage(Duration.ofSeconds(5))).table(), ACME_M);
    }
    assertThat(route.versions().get(2).unservable()).isNull();
  }

  @Test
  void gatewaysLearnWhenEveryReplicaOfAVersionFailedToLoad() {
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    TestProbe<Router.Command> router = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Router.SERVICE_KEY, router.getRef()));
    testKit.spawn(fakeWorker("w1", 10_000, ConcurrentHashMap.newKeySet(), Set.of(new VersionKey(ModelKey.of("acme", "m"), 1))));
    awaitWorkers(placement, 1);

    placement.tell(setDeployment(ACME_M, deployment(1, 1, 1)));
    RoutingTable.ModelRoute route = null;
    while (route == null || route.versions().get(1).unservable() == null) {
      route = route(((Router.TableUpdated) router.receiveMessage(Duration.ofSeconds(5))).table(), ACME_M);
      if (route != null && route.versions().get(1).unservable() == null) {
        assertThat(route.versions().get(1).ready()).as("never ready").isEmpty();
      }
    }
    assertThat(route.versions().get(1).unservable().reason()).isEqualTo(RoutingTable.UnservableReason.MODEL_FAILED);
    assertThat(route.versions().get(1).unservable().message()).isEqualTo("version 1 failed to load: corrupt artifact");
  }

  static PlacementCoordinator.DesiredDeployment otherDeployment() {
    return new PlacementCoordinator.DesiredDeployment(1, Map.of(1, 100), 1, new BatchSettings(8, 1, 100),
        Map.of(1, new VersionToLoad(new VersionKey(OTHER_M, 1), "torchscript", SIG, SIG, 1000, null, null, null)));
  }

  /** The model's route in the table; null when the table has none. */
  static RoutingTable.ModelRoute route(RoutingTable table, ModelKey model) {
    return table.models().stream().filter(r -> r.model().equals(model)).findFirst().orElse(null);
  }

  @Test
  void anOlderOrRepeatedMessageNeverUndoesANewerOne() {
    Set<VersionKey> held = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    testKit.spawn(fakeWorker("w", 10_000, held, Set.of()));
    awaitWorkers(placement, 1);
    placement.tell(new PlacementCoordinator.SetDeployment(ACME_M, deployment(2, 1, 2), 20));
    // late: revision 1 written before revision 2, and a removal older than both
    placement.tell(new PlacementCoordinator.SetDeployment(ACME_M, deployment(1, 1, 1), 10));
    placement.tell(new PlacementCoordinator.SetDeployment(ACME_M, null, 5));
    placement.tell(new PlacementCoordinator.SetDeployment(ACME_M, deployment(2, 1, 2), 20));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(held).containsExactly(new VersionKey(ModelKey.of("acme", "m"), 2));
      assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::version).containsExactly(2);
      return null;
    });
    // a newer removal does apply
    placement.tell(new PlacementCoordinator.SetDeployment(ACME_M, null, 30));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(held).isEmpty();
      return null;
    });
  }

  @Test
  void aStartingCoordinatorReadsTheDesiredStateAndRetriesWhenItCannot() {
    Set<VersionKey> held = ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
    PlacementCoordinator.DesiredState source = () -> reads.incrementAndGet() == 1
        ? java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("database down"))
        : java.util.concurrent.CompletableFuture.completedFuture(new PlacementCoordinator.Snapshot(
            List.of(new PlacementCoordinator.SetTenantQuota(TenantId.of("acme"), 5000L, 3)),
            List.of(new PlacementCoordinator.SetDeployment(ACME_M, deployment(1, 1, 1), 4))));
    testKit.spawn(fakeWorker("w", 10_000, held, Set.of()));
    ActorRef<PlacementCoordinator.Command> placement =
        testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5), source));
    // an older message that arrives while the read is under way loses to what was read
    placement.tell(new PlacementCoordinator.SetDeployment(ACME_M, null, 2));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertThat(held).containsExactly(new VersionKey(ModelKey.of("acme", "m"), 1));
      assertThat(replicas(placement)).extracting(PlacementCoordinator.ReplicaView::state)
          .containsExactly(PlacementCoordinator.ReplicaState.READY);
      return null;
    });
    assertThat(reads.get()).isEqualTo(2);
  }

  @Test
  void aCoordinatorThatReplacesAnotherOutranksEveryTableOfIt() {
    TestProbe<Router.Command> router = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(Router.SERVICE_KEY, router.getRef()));
    ActorRef<PlacementCoordinator.Command> first = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    for (int i = 0; i < 50; i++) {
      first.tell(setDeployment(ACME_M, deployment(i + 1, 1, 1)));
    }
    long newest = 0;
    // every table the first sent, up to the last deployment
    while (true) {
      RoutingTable table = ((Router.TableUpdated) router.receiveMessage(Duration.ofSeconds(5))).table();
      newest = Math.max(newest, table.generation());
      if (table.models().stream().anyMatch(r -> r.model().equals(ACME_M) && r.revision() == 50)) {
        break;
      }
    }
    testKit.stop(first);
    testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    // a gateway keeps the table of the highest generation: the successor's must win
    RoutingTable next = ((Router.TableUpdated) router.receiveMessage(Duration.ofSeconds(5))).table();
    assertThat(next.generation()).isGreaterThan(newest);
  }

  private final java.util.concurrent.atomic.AtomicLong journalOrder = new java.util.concurrent.atomic.AtomicLong();

  private PlacementCoordinator.SetDeployment setDeployment(ModelKey modelKey, PlacementCoordinator.DesiredDeployment d) {
    return new PlacementCoordinator.SetDeployment(modelKey, d, journalOrder.incrementAndGet());
  }

  private PlacementCoordinator.SetTenantQuota setQuota(TenantId tenant, Long maxResidentBytes) {
    return new PlacementCoordinator.SetTenantQuota(tenant, maxResidentBytes, journalOrder.incrementAndGet());
  }

  /** A worker that answers a load only when the test says so (its {@code pending} loads), then holds the version. */
  static Behavior<WorkerActor.Command> gatedWorker(String id, Set<VersionKey> holds,
      java.util.Queue<WorkerActor.Load> pending) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(WorkerActor.SERVICE_KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(msg -> {
        if (msg instanceof WorkerActor.GetStatus get) {
          get.replyTo().tell(new WorkerActor.WorkerStatus(id, "cpu()", 10_000, 0, List.of(), null));
        } else if (msg instanceof WorkerActor.Load load) {
          pending.add(load);
        } else if (msg instanceof WorkerActor.Unload unload) {
          holds.remove(unload.version());
        }
        return Behaviors.same();
      });
    });
  }

  static void release(java.util.Queue<WorkerActor.Load> pending, Set<VersionKey> holds) {
    for (WorkerActor.Load load; (load = pending.poll()) != null; ) {
      holds.add(load.version().key());
      load.replyTo().tell(new WorkerActor.LoadResult("w", load.version().key(), true, null));
    }
  }

  PlacementCoordinator.DrainSet setDraining(ActorRef<PlacementCoordinator.Command> placement, String worker, boolean on) {
    TestProbe<PlacementCoordinator.DrainSet> probe = testKit.createTestProbe();
    placement.tell(new PlacementCoordinator.SetDraining(worker, on, probe.getRef()));
    return probe.receiveMessage();
  }

  Map<String, List<String>> drains(ActorRef<PlacementCoordinator.Command> placement) {
    TestProbe<PlacementCoordinator.Drains> probe = testKit.createTestProbe();
    placement.tell(new PlacementCoordinator.GetDrains(probe.getRef()));
    return probe.receiveMessage().blockedBy();
  }

  PlacementCoordinator.Outcome evict(ActorRef<PlacementCoordinator.Command> placement, String worker, VersionKey version) {
    TestProbe<PlacementCoordinator.Evicted> probe = testKit.createTestProbe();
    placement.tell(new PlacementCoordinator.Evict(worker, version, probe.getRef()));
    return probe.receiveMessage().outcome();
  }

  void awaitReplicas(ActorRef<PlacementCoordinator.Command> placement, String... readyOn) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(replicas(placement)).allMatch(r -> r.state() == PlacementCoordinator.ReplicaState.READY)
          .extracting(PlacementCoordinator.ReplicaView::worker).containsExactlyInAnyOrder(readyOn);
      return null;
    });
  }

  /** A coordinator with version 1 of acme/m deployed and ready on worker w1 (its only worker), which holds {@code w1}. */
  ActorRef<PlacementCoordinator.Command> placedOnW1(Set<VersionKey> w1) {
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    testKit.spawn(fakeWorker("w1", 10_000, w1, Set.of()));
    awaitWorkers(placement, 1);
    placement.tell(setDeployment(ACME_M, deployment(1, 1, 1)));
    awaitReplicas(placement, "w1");
    return placement;
  }

  @Test
  void aDrainingWorkersReplicaMovesAndLeavesOnlyOnceItsReplacementIsReady() {
    VersionKey m1 = new VersionKey(ACME_M, 1);
    Set<VersionKey> w1 = ConcurrentHashMap.newKeySet();
    Set<VersionKey> w2 = ConcurrentHashMap.newKeySet();
    java.util.Queue<WorkerActor.Load> w2Loads = new java.util.concurrent.ConcurrentLinkedQueue<>();
    Map<String, Boolean> recorded = new ConcurrentHashMap<>();
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5),
        PlacementCoordinator.DesiredState.NONE, (worker, draining) -> {
          recorded.put(worker, draining);
          return java.util.concurrent.CompletableFuture.completedFuture(null);
        }));
    testKit.spawn(fakeWorker("w1", 10_000, w1, Set.of()));
    awaitWorkers(placement, 1);
    placement.tell(setDeployment(ACME_M, deployment(1, 1, 1)));
    awaitReplicas(placement, "w1");
    testKit.spawn(gatedWorker("w2", w2, w2Loads));
    awaitWorkers(placement, 2);

    assertThat(setDraining(placement, "w1", true).outcome()).isEqualTo(PlacementCoordinator.Outcome.DONE);
    assertThat(recorded).containsEntry("w1", true);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w2Loads).extracting(l -> l.version().key()).containsExactly(m1);
      return null;
    });
    // the replacement is loading: the draining worker keeps serving
    assertThat(w1).containsExactly(m1);
    assertThat(replicas(placement)).filteredOn(r -> r.state() == PlacementCoordinator.ReplicaState.READY)
        .extracting(PlacementCoordinator.ReplicaView::worker).containsExactly("w1");
    assertThat(drains(placement)).containsExactly(Map.entry("w1", List.of()));

    release(w2Loads, w2);
    awaitReplicas(placement, "w2");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w1).isEmpty();
      assertThat(w2).containsExactly(m1);
      return null;
    });

    // undrained, it takes replicas again
    assertThat(setDraining(placement, "w1", false).draining()).isFalse();
    assertThat(recorded).containsEntry("w1", false);
    assertThat(drains(placement)).isEmpty();
    placement.tell(setDeployment(ACME_M, deployment(2, 2, 1)));
    awaitReplicas(placement, "w1", "w2");
  }

  @Test
  void aDrainNoOtherWorkerCanTakeWaitsWithTheReplicaServingAndSaysWhy() {
    Set<VersionKey> w1 = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = placedOnW1(w1);

    setDraining(placement, "w1", true);
    assertThat(drains(placement).get("w1")).singleElement().asString()
        .contains("acme/m:1").contains("keeps serving").contains("not draining");
    assertThat(w1).containsExactly(new VersionKey(ACME_M, 1));
    // it keeps serving; the replacement shows as pending with the reason
    assertThat(replicas(placement)).extracting(r -> r.state() + " " + r.worker())
        .containsExactlyInAnyOrder("READY w1", "PENDING null");

    // a worker with room joins: the drain goes on by itself
    Set<VersionKey> w2 = ConcurrentHashMap.newKeySet();
    testKit.spawn(fakeWorker("w2", 10_000, w2, Set.of()));
    awaitReplicas(placement, "w2");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w1).isEmpty();
      assertThat(drains(placement)).containsExactly(Map.entry("w1", List.of()));
      return null;
    });
  }

  @Test
  void aDrainWhoseReplacementFailedToLoadSaysSo() {
    VersionKey m1 = new VersionKey(ACME_M, 1);
    Set<VersionKey> w1 = ConcurrentHashMap.newKeySet();
    ActorRef<PlacementCoordinator.Command> placement = placedOnW1(w1);
    testKit.spawn(fakeWorker("w2", 10_000, ConcurrentHashMap.newKeySet(), Set.of(m1)));
    awaitWorkers(placement, 2);

    setDraining(placement, "w1", true);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(drains(placement).get("w1")).singleElement().asString()
          .contains("replacement on w2 failed to load (corrupt artifact)");
      return null;
    });
    assertThat(w1).containsExactly(m1);
  }

  @Test
  void drainsAreRecordedBeforeTheyApplyAndAStartingCoordinatorReadsThem() {
    Set<VersionKey> w1 = ConcurrentHashMap.newKeySet();
    Set<VersionKey> w2 = ConcurrentHashMap.newKeySet();
    testKit.spawn(fakeWorker("w1", 1_000_000, w1, Set.of()));
    testKit.spawn(fakeWorker("w2", 10_000, w2, Set.of()));
    PlacementCoordinator.DesiredState source = () -> java.util.concurrent.CompletableFuture.completedFuture(
        new PlacementCoordinator.Snapshot(List.of(), List.of(setDeployment(ACME_M, deployment(1, 1, 1))), Set.of("w1")));
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5),
        source, (worker, draining) -> java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("db down"))));
    awaitWorkers(placement, 2);
    // w1 has far more room, but it was draining before this coordinator started
    awaitReplicas(placement, "w2");
    assertThat(w1).isEmpty();
    assertThat(drains(placement)).containsOnlyKeys("w1");

    // a drain that cannot be recorded does not happen
    PlacementCoordinator.DrainSet refused = setDraining(placement, "w2", true);
    assertThat(refused.outcome()).isEqualTo(PlacementCoordinator.Outcome.NOT_READY);
    assertThat(refused.error()).contains("could not be recorded");
    assertThat(drains(placement)).containsOnlyKeys("w1");
  }

  @Test
  void anEvictedReplicaIsUnloadedAndPlacedAgainWhileItsDeploymentWantsIt() {
    VersionKey m1 = new VersionKey(ACME_M, 1);
    java.util.List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    Set<VersionKey> w1 = ConcurrentHashMap.newKeySet();
    Behavior<WorkerActor.Command> plain = fakeWorker("w1", 10_000, w1, Set.of());
    testKit.spawn(Behaviors.intercept(
        () -> new akka.actor.typed.BehaviorInterceptor<WorkerActor.Command, WorkerActor.Command>(WorkerActor.Command.class) {
          @Override
          public Behavior<WorkerActor.Command> aroundReceive(akka.actor.typed.TypedActorContext<WorkerActor.Command> ctx,
              WorkerActor.Command msg, ReceiveTarget<WorkerActor.Command> target) {
            if (!(msg instanceof WorkerActor.GetStatus)) {
              seen.add(msg.getClass().getSimpleName());
            }
            return target.apply(ctx, msg);
          }
        }, plain));
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    awaitWorkers(placement, 1);
    placement.tell(setDeployment(ACME_M, deployment(1, 1, 1)));
    awaitReplicas(placement, "w1");

    assertThat(evict(placement, "nope", m1)).isEqualTo(PlacementCoordinator.Outcome.WORKER_NOT_FOUND);
    assertThat(evict(placement, "w1", new VersionKey(ACME_M, 2))).isEqualTo(PlacementCoordinator.Outcome.RESIDENT_NOT_FOUND);
    assertThat(seen).containsExactly("Load");

    assertThat(evict(placement, "w1", m1)).isEqualTo(PlacementCoordinator.Outcome.DONE);
    awaitReplicas(placement, "w1");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(seen).containsExactly("Load", "Unload", "Load");
      assertThat(w1).containsExactly(m1);
      return null;
    });

    // no longer deployed: evicted for good
    placement.tell(setDeployment(ACME_M, null));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w1).isEmpty();
      return null;
    });
    assertThat(evict(placement, "w1", m1)).isEqualTo(PlacementCoordinator.Outcome.RESIDENT_NOT_FOUND);
  }

  @Test
  void aLeavingWorkerIsDrainedWithoutARecordAndForgottenOnceItHasLeft() {
    VersionKey m1 = new VersionKey(ACME_M, 1);
    Set<VersionKey> w1 = ConcurrentHashMap.newKeySet();
    Set<VersionKey> w2 = ConcurrentHashMap.newKeySet();
    Map<String, Boolean> recorded = new ConcurrentHashMap<>();
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5),
        PlacementCoordinator.DesiredState.NONE, (worker, draining) -> {
          recorded.put(worker, draining);
          return java.util.concurrent.CompletableFuture.completedFuture(null);
        }));
    ActorRef<WorkerActor.Command> leaving = testKit.spawn(fakeWorker("w1", 10_000, w1, Set.of()));
    awaitWorkers(placement, 1);
    placement.tell(setDeployment(ACME_M, deployment(1, 1, 1)));
    awaitReplicas(placement, "w1");
    testKit.spawn(fakeWorker("w2", 10_000, w2, Set.of()));
    awaitWorkers(placement, 2);

    TestProbe<PlacementCoordinator.DrainSet> probe = testKit.createTestProbe();
    placement.tell(new PlacementCoordinator.Leaving("w1", probe.getRef()));
    assertThat(probe.receiveMessage().outcome()).isEqualTo(PlacementCoordinator.Outcome.DONE);
    awaitReplicas(placement, "w2");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(w1).isEmpty();
      assertThat(w2).containsExactly(m1);
      return null;
    });
    assertThat(drains(placement)).containsOnlyKeys("w1");
    assertThat(recorded).as("a leaving worker's drain is not recorded").isEmpty();

    // once it has left, its drain is forgotten: it comes back undrained
    testKit.stop(leaving);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(drains(placement)).isEmpty();
      return null;
    });
    placement.tell(new PlacementCoordinator.Leaving("w1", probe.getRef()));
    assertThat(probe.receiveMessage().outcome()).isEqualTo(PlacementCoordinator.Outcome.WORKER_NOT_FOUND);
  }

  @Test
  void anUnknownWorkerCannotBeDrained() {
    ActorRef<PlacementCoordinator.Command> placement = testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5)));
    // NOT_READY until the (empty) desired state is read
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(setDraining(placement, "nope", true).outcome()).isEqualTo(PlacementCoordinator.Outcome.WORKER_NOT_FOUND);
      return null;
    });
    assertThat(drains(placement)).isEmpty();
  }
}
