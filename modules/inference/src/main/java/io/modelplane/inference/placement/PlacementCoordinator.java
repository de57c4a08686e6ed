package io.modelplane.inference.placement;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.ClusterSingletonSettings;
import akka.cluster.typed.SingletonActor;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.gateway.Router;
import io.modelplane.inference.gateway.RoutingTable;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.worker.VersionToLoad;
import io.modelplane.inference.worker.WorkerActor;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;

/**
 * Turns desired deployments into resident replicas: one per cluster (a singleton on a control
 * node). It follows workers joining and leaving (Receptionist), asks {@link PlacementPolicy} what
 * to load and unload, carries that out, records each replica's state, and publishes a
 * {@link RoutingTable} to every gateway's {@link Router}.
 */
public final class PlacementCoordinator extends AbstractBehavior<PlacementCoordinator.Command> {

  public sealed interface Command extends CborSerializable {}

  /**
   * The model's current deployment; null removes it (no deployment any more). {@code journalOrder}: the
   * journal position of the change it reflects; a message older than the one applied is ignored, so a
   * late or repeated message never undoes a newer change.
   */
  public record SetDeployment(ModelKey model, DesiredDeployment deployment, long journalOrder) implements Command {}

  /**
   * The bytes {@code tenant}'s replicas may keep resident on workers in all (its quota's
   * maxResidentBytes); null means unlimited. Replicas beyond it are refused, never evicted.
   * {@code journalOrder} as in {@link SetDeployment}.
   */
  public record SetTenantQuota(TenantId tenant, Long maxResidentBytes, long journalOrder) implements Command {}

  /**
   * Everything that should run, as recorded durably: what a starting coordinator reads once;
   * {@code drainingWorkers} the ids of the workers an operator is draining.
   */
  public record Snapshot(List<SetTenantQuota> tenants, List<SetDeployment> deployments, Set<String> drainingWorkers) {
    public Snapshot(List<SetTenantQuota> tenants, List<SetDeployment> deployments) {
      this(tenants, deployments, Set.of());
    }
  }

  /**
   * Where the coordinator records which workers are draining, before it acts on a change: a coordinator
   * that starts later (the singleton moved) reads them back with the {@link Snapshot}.
   */
  @FunctionalInterface
  public interface DrainRecord {
    CompletionStage<Void> save(String workerId, boolean draining);
  }

  /**
   * Drain ({@code draining} true) or undrain a worker by the id {@link GetWorkers} lists: a draining
   * worker gets no new replicas, and each of its replicas is unloaded once a replacement elsewhere is ready.
   */
  public record SetDraining(String workerId, boolean draining, ActorRef<DrainSet> replyTo) implements Command {}

  /**
   * A worker whose node is leaving the cluster (graceful shutdown) asks to be drained: like {@link SetDraining}
   * but not recorded, and forgotten once the worker has left, so that the node starts undrained next time.
   */
  public record Leaving(String workerId, ActorRef<DrainSet> replyTo) implements Command {}

  /** WORKER_NOT_FOUND: no such worker (undraining a worker that left is allowed); NOT_READY: retry shortly. */
  public enum Outcome { DONE, WORKER_NOT_FOUND, RESIDENT_NOT_FOUND, NOT_READY }

  public record DrainSet(String workerId, boolean draining, Outcome outcome, String error) implements CborSerializable {}

  /** Unload {@code version} from the worker; placement then places it again if its deployment still wants it. */
  public record Evict(String workerId, VersionKey version, ActorRef<Evicted> replyTo) implements Command {}

  public record Evicted(String workerId, VersionKey version, Outcome outcome) implements CborSerializable {}

  /** The draining workers and, for each, why replicas stay on it (empty while its drain progresses). */
  public record GetDrains(ActorRef<Drains> replyTo) implements Command {}

  public record Drains(Map<String, List<String>> blockedBy) implements CborSerializable {}

  private record DrainSaved(SetDraining set, Throwable failure) implements Command {}

  /** Where a starting coordinator reads the desired state (its predecessor's knowledge died with it). */
  @FunctionalInterface
  public interface DesiredState {
    DesiredState NONE = () -> java.util.concurrent.CompletableFuture.completedFuture(new Snapshot(List.of(), List.of()));

    CompletionStage<Snapshot> load();
  }

  private record SnapshotLoaded(Snapshot snapshot, Throwable failure) implements Command {}

  private record LoadSnapshot() implements Command {}

  public record GetReplicas(ModelKey model, ActorRef<Replicas> replyTo) implements Command {}

  public record GetWorkers(ActorRef<Workers> replyTo) implements Command {}

  private record WorkersListed(Set<ActorRef<WorkerActor.Command>> workers) implements Command {}

  private record RoutersListed(Set<ActorRef<Router.Command>> routers) implements Command {}

  private record WorkerBudget(ActorRef<WorkerActor.Command> worker, String workerId, long budgetBytes, String pool)
      implements Command {}

  private record HealthReported(WorkerActor.ReplicaHealth health) implements Command {}

  private record Loaded(ActorRef<WorkerActor.Command> worker, VersionKey version, long generation, boolean ok, String error)
      implements Command {}

  /**
   * What should run: revision, traffic split, replicas per version (with autoscaling: the count each version
   * starts with), batching, the versions in the split, the tenant's dedicated worker pool (null: the shared
   * workers) and the autoscaling bounds (null: a fixed {@code replicas}).
   */
  public record DesiredDeployment(long revision, Map<Integer, Integer> traffic, int replicas, BatchSettings batch,
      Map<Integer, VersionToLoad> versions, String workerPool, Autoscaler.Bounds autoscaling)
      implements CborSerializable {
    public DesiredDeployment(long revision, Map<Integer, Integer> traffic, int replicas, BatchSettings batch,
        Map<Integer, VersionToLoad> versions, String workerPool) {
      this(revision, traffic, replicas, batch, versions, workerPool, null);
    }

    public DesiredDeployment(long revision, Map<Integer, Integer> traffic, int replicas, BatchSettings batch,
        Map<Integer, VersionToLoad> versions) {
      this(revision, traffic, replicas, batch, versions, null, null);
    }
  }

  /**
   * Where the coordinator records each scaling decision it carries out (the model's history, actor
   * {@value #AUTOSCALER}); a failure is logged, the decision stands.
   */
  @FunctionalInterface
  public interface ScalingRecord {
    ScalingRecord NONE = (model, revision, version, from, to, reason) ->
        java.util.concurrent.CompletableFuture.completedFuture(null);

    CompletionStage<Void> save(ModelKey model, long revision, int version, int fromReplicas, int toReplicas,
        String reason);
  }

  /**
   * How autoscaled versions follow their load: every {@code interval} the coordinator collects each gateway's
   * load and asks {@link Autoscaler} with {@code policy}; {@code clock} dates the decisions.
   */
  public record Autoscaling(Duration interval, Autoscaler.Settings policy, ScalingRecord record, Clock clock) {
    public static Autoscaling defaults(ScalingRecord record) {
      return new Autoscaling(Duration.ofSeconds(5), Autoscaler.Settings.DEFAULTS, record, Clock.systemUTC());
    }
  }

  /** Who the model's history names for the coordinator's scaling decisions. */
  public static final String AUTOSCALER = "autoscaler";

  private record AutoscaleTick() implements Command {}

  private record LoadReported(Router.LoadReport report) implements Command {}

  private record Woken(Router.Wake wake) implements Command {}

  /**
   * PENDING: no worker has room; QUOTA_EXCEEDED: the tenant's maxResidentBytes leaves no room;
   * DEGRADED: loaded, but a forward pass ran past the infer timeout: out of routing until it ends;
   * SCALED_TO_ZERO: an autoscaled version unloaded while idle, loaded again by its next request.
   */
  public enum ReplicaState { LOADING, READY, FAILED, PENDING, QUOTA_EXCEEDED, DEGRADED, SCALED_TO_ZERO }

  public record ReplicaView(int version, String worker, ReplicaState state, String reason) implements CborSerializable {}

  public record Replicas(ModelKey model, List<ReplicaView> replicas) implements CborSerializable {}

  public record Workers(List<String> workers) implements CborSerializable {}

  private record Replica(ReplicaState state, String reason, long generation) {}

  /** The cluster singleton's name; it runs on control nodes. */
  public static final String SINGLETON_NAME = "placement";

  /**
   * The way to the placement singleton from any node. Call it only after the node's own parts started: on
   * a control node the singleton is the one DeploymentFeed started, and this returns its proxy.
   */
  public static ActorRef<Command> proxy(ActorSystem<?> system) {
    return ClusterSingleton.get(system).init(SingletonActor.of(Behaviors.<Command>empty(), SINGLETON_NAME)
        .withSettings(ClusterSingletonSettings.create(system).withRole("control")));
  }

  /** A coordinator that starts with nothing desired (tests). */
  public static Behavior<Command> create(Duration loadTimeout) {
    return create(loadTimeout, DesiredState.NONE);
  }

  /** {@link #create(Duration, DesiredState, DrainRecord)} that keeps drains in memory only (tests). */
  public static Behavior<Command> create(Duration loadTimeout, DesiredState source) {
    return create(loadTimeout, source, (worker, draining) -> java.util.concurrent.CompletableFuture.completedFuture(null));
  }

  /**
   * A coordinator that first reads the desired state from {@code source} (retrying until it can), and
   * places nothing before: no deployment is placed before its tenant's limit is known.
   */
  public static Behavior<Command> create(Duration loadTimeout, DesiredState source, DrainRecord drains) {
    return create(loadTimeout, source, drains, Autoscaling.defaults(ScalingRecord.NONE));
  }

  /** {@link #create(Duration, DesiredState, DrainRecord)} that scales autoscaled versions as {@code autoscaling} says. */
  public static Behavior<Command> create(Duration loadTimeout, DesiredState source, DrainRecord drains,
      Autoscaling autoscaling) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      // one adapter per message class: both listings go through it
      ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, l ->
          l.isForKey(WorkerActor.SERVICE_KEY)
              ? new WorkersListed(l.getServiceInstances(WorkerActor.SERVICE_KEY))
              : new RoutersListed(l.getServiceInstances(Router.SERVICE_KEY)));
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(WorkerActor.SERVICE_KEY, listings));
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(Router.SERVICE_KEY, listings));
      ctx.getSelf().tell(new LoadSnapshot());
      timers.startTimerWithFixedDelay(new AutoscaleTick(), autoscaling.interval());
      return new PlacementCoordinator(ctx, loadTimeout, source, drains, timers, autoscaling);
    }));
  }

  private final Duration loadTimeout;
  private final Map<ModelKey, DesiredDeployment> desired = new HashMap<>();
  private final Map<ActorRef<WorkerActor.Command>, Long> workers = new HashMap<>();
  /** worker → the dedicated pool it announced (absent: shared) */
  private final Map<ActorRef<WorkerActor.Command>, String> workerPools = new HashMap<>();
  /** Each worker's own id (node address and device): the same in every answer, whichever node hosts this. */
  private final Map<ActorRef<WorkerActor.Command>, String> workerIds = new HashMap<>();
  private final Set<ActorRef<Router.Command>> routers = new HashSet<>();
  /** version → worker → replica */
  private final Map<VersionKey, Map<ActorRef<WorkerActor.Command>, Replica>> replicas = new HashMap<>();
  private final Map<VersionKey, String> pending = new HashMap<>();
  /** version → why its missing replicas are refused by the tenant's limit */
  private final Map<VersionKey, String> overQuota = new HashMap<>();
  /** tenant → maxResidentBytes; a tenant absent is unlimited */
  private final Map<TenantId, Long> tenantByteLimits = new HashMap<>();
  private final ActorRef<WorkerActor.ReplicaHealth> health;
  /** model key / tenant → journal order of the change applied last (removals included) */
  private final Map<ModelKey, Long> deploymentOrders = new HashMap<>();
  private final Map<TenantId, Long> tenantOrders = new HashMap<>();
  private final DesiredState source;
  private final DrainRecord drainRecord;
  /** ids of the workers being drained (also of drained workers that left: they stay drained if they come back) */
  private final Set<String> draining = new HashSet<>();
  /** draining worker id → why replicas stay on it, as the last decision said */
  private final Map<String, List<String>> drainBlocked = new HashMap<>();
  /** ids of draining workers whose node is leaving: not recorded, forgotten when the worker leaves */
  private final Set<String> leaving = new HashSet<>();
  private final TimerScheduler<Command> timers;
  private boolean snapshotLoaded;
  private long generation;
  private final Autoscaling autoscaling;
  /** autoscaled version → what the policy remembers of it, its wanted replicas first */
  private final Map<VersionKey, Autoscaler.VersionState> scaled = new HashMap<>();
  /** each gateway's load since the last tick, by version */
  private final Map<VersionKey, Autoscaler.Sample> load = new HashMap<>();
  private final ActorRef<Router.LoadReport> loadReports;
  private final ActorRef<Router.Wake> wakes;

  private PlacementCoordinator(ActorContext<Command> ctx, Duration loadTimeout, DesiredState source,
      DrainRecord drainRecord, TimerScheduler<Command> timers, Autoscaling autoscaling) {
    super(ctx);
    this.autoscaling = autoscaling;
    this.loadReports = ctx.messageAdapter(Router.LoadReport.class, LoadReported::new);
    this.wakes = ctx.messageAdapter(Router.Wake.class, Woken::new);
    this.loadTimeout = loadTimeout;
    this.source = source;
    this.drainRecord = drainRecord;
    this.timers = timers;
    // gateways keep the table of the highest generation: a coordinator started after another (the singleton
    // moved) must outrank every table its predecessor sent, whatever their number (a million per millisecond)
    this.generation = System.currentTimeMillis() * 1_000_000;
    this.health = ctx.messageAdapter(WorkerActor.ReplicaHealth.class, HealthReported::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(SetDeployment.class, this::onSetDeployment)
        .onMessage(SetTenantQuota.class, this::onSetTenantQuota)
        .onMessage(LoadSnapshot.class, load -> {
          getContext().pipeToSelf(source.load(), SnapshotLoaded::new);
          return this;
        })
        .onMessage(SnapshotLoaded.class, this::onSnapshotLoaded)
        .onMessage(WorkersListed.class, this::onWorkersListed)
        .onMessage(WorkerBudget.class, this::onWorkerBudget)
        .onMessage(RoutersListed.class, this::onRoutersListed)
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(HealthReported.class, this::onHealthReported)
        .onMessage(GetReplicas.class, this::onGetReplicas)
        .onMessage(SetDraining.class, this::onSetDraining)
        .onMessage(DrainSaved.class, this::onDrainSaved)
        .onMessage(Leaving.class, this::onLeaving)
        .onMessage(Evict.class, this::onEvict)
        .onMessage(GetDrains.class, get -> {
          Map<String, List<String>> view = new TreeMap<>();
          draining.forEach(id -> view.put(id, List.copyOf(drainBlocked.getOrDefault(id, List.of()))));
          get.replyTo().tell(new Drains(view));
          return this;
        })
        .onMessage(AutoscaleTick.class, tick -> onAutoscaleTick())
        .onMessage(LoadReported.class, this::onLoadReported)
        .onMessage(Woken.class, this::onWoken)
        .onMessage(GetWorkers.class, get -> {
          get.replyTo().tell(new Workers(workers.keySet().stream().map(this::workerId).sorted().toList()));
          return this;
        })
        .build();
  }

  private Behavior<Command> onSnapshotLoaded(SnapshotLoaded loaded) {
    if (loaded.failure() != null) {
      getContext().getLog().warn("cannot read the desired deployments, retrying in 2 s: {}", loaded.failure().toString());
      timers.startSingleTimer(new LoadSnapshot(), Duration.ofSeconds(2));
      return this;
    }
    // messages that arrived meanwhile are newer or equal: applyQuota/applyDeployment keep the newest
    loaded.snapshot().tenants().forEach(this::applyQuota);
    loaded.snapshot().deployments().forEach(this::applyDeployment);
    draining.addAll(loaded.snapshot().drainingWorkers());
    snapshotLoaded = true;
    getContext().getLog().info("read {} deployments, {} tenant limits and {} draining workers",
        loaded.snapshot().deployments().size(), loaded.snapshot().tenants().size(), draining.size());
    replan();
    return this;
  }

  private Behavior<Command> onSetDeployment(SetDeployment set) {
    if (applyDeployment(set)) {
      replan();
    }
    return this;
  }

  /** False when the message is older than (or the same as) what was applied. */
  private boolean applyDeployment(SetDeployment set) {
    Long applied = deploymentOrders.get(set.model());
    if (applied != null && applied >= set.journalOrder()) {
      return false;
    }
    deploymentOrders.put(set.model(), set.journalOrder());
    DesiredDeployment before = set.deployment() == null ? desired.remove(set.model()) : desired.put(set.model(), set.deployment());
    rescale(before, set.deployment());
    if (set.deployment() != null && (before == null || before.revision() != set.deployment().revision())) {
      // a new revision retries replicas that failed before, and applies new batching settings
      for (VersionToLoad v : set.deployment().versions().values()) {
        Map<ActorRef<WorkerActor.Command>, Replica> held = replicas.get(v.key());
        if (held == null) {
          continue;
        }
        held.entrySet().removeIf(e -> e.getValue().state() == ReplicaState.FAILED);
        if (before != null && !before.batch().equals(set.deployment().batch())) {
          for (ActorRef<WorkerActor.Command> worker : List.copyOf(held.keySet())) {
            load(worker, v, set.deployment().batch());
          }
        }
      }
    }
    return true;
  }

  /** Autoscaled versions keep their count across revisions (within the new bounds); others have none. */
  private void rescale(DesiredDeployment before, DesiredDeployment after) {
    Map<VersionKey, Autoscaler.VersionState> previous = new HashMap<>();
    if (before != null) {
      before.versions().values().forEach(v -> {
        Autoscaler.VersionState state = scaled.remove(v.key());
        if (state != null) {
          previous.put(v.key(), state);
        }
      });
    }
    if (after == null || after.autoscaling() == null) {
      return;
    }
    Instant now = autoscaling.clock().instant();
    for (VersionToLoad v : after.versions().values()) {
      Autoscaler.VersionState kept = previous.get(v.key());
      scaled.put(v.key(), kept != null ? kept.within(after.autoscaling())
          : Autoscaler.VersionState.start(after.replicas(), now));
    }
  }

  private Behavior<Command> onAutoscaleTick() {
    Instant now = autoscaling.clock().instant();
    boolean changed = false;
    for (Map.Entry<ModelKey, DesiredDeployment> e : desired.entrySet()) {
      DesiredDeployment d = e.getValue();
      if (d.autoscaling() == null) {
        continue;
      }
      for (Map.Entry<Integer, VersionToLoad> v : d.versions().entrySet()) {
        Autoscaler.VersionState state = scaled.get(v.getValue().key());
        if (state != null && state.replicas() > 0 && !hasReady(v.getValue().key())) {
          state = state.activeAt(now); // the idle period counts from serving on, never during a load
        }
        if (state != null) {
          Autoscaler.Sample sample = load.getOrDefault(v.getValue().key(), Autoscaler.Sample.IDLE);
          changed |= carryOut(e.getKey(), d, v.getKey(),
              Autoscaler.next(state, d.autoscaling(), sample, now, autoscaling.policy()));
        }
      }
    }
    load.clear();
    askForLoad();
    if (changed) {
      replan();
    }
    return this;
  }

  private Behavior<Command> onLoadReported(LoadReported reported) {
    reported.report().versions().forEach(v -> load.merge(v.version(), new Autoscaler.Sample(v.inFlight(), v.requests()),
        (a, b) -> new Autoscaler.Sample(a.inFlight() + b.inFlight(), a.requests() + b.requests())));
    return this;
  }

  private boolean hasReady(VersionKey version) {
    return replicas.getOrDefault(version, Map.of()).values().stream().anyMatch(r -> r.state() == ReplicaState.READY);
  }

  /** Only while some deployment autoscales: gateways need not count load for nothing. */
  private void askForLoad() {
    if (!scaled.isEmpty()) {
      routers.forEach(r -> r.tell(new Router.ReportLoad(loadReports, wakes)));
    }
  }

  /** A gateway has a request for a version scaled to zero: load it now, not at the next tick. */
  private Behavior<Command> onWoken(Woken woken) {
    VersionKey version = woken.wake().version();
    DesiredDeployment d = desired.get(version.model());
    Autoscaler.VersionState state = scaled.get(version);
    if (d != null && d.autoscaling() != null && state != null
        && carryOut(version.model(), d, version.version(), Autoscaler.wake(state, d.autoscaling(), autoscaling.clock().instant()))) {
      replan();
    }
    return this;
  }

  /** Keeps the step's state; a change is recorded in the model's history. True when the count changed. */
  private boolean carryOut(ModelKey model, DesiredDeployment d, int version, Autoscaler.Step step) {
    VersionKey key = new VersionKey(model, version);
    scaled.put(key, step.state());
    if (!step.changed()) {
      return false;
    }
    getContext().getLog().info("scaling {} from {} to {} replicas: {}", key, step.fromReplicas(), step.toReplicas(),
        step.reason());
    Logger log = getContext().getLog();
    autoscaling.record().save(model, d.revision(), version, step.fromReplicas(), step.toReplicas(), step.reason())
        .whenComplete((ok, failure) -> {
          if (failure != null) {
            log.warn("cannot record the scaling of {} in its history: {}", key, failure.toString());
          }
        });
    return true;
  }

  private Behavior<Command> onSetTenantQuota(SetTenantQuota set) {
    if (applyQuota(set)) {
      // a raised limit places refused replicas; a lowered one only refuses new ones (the policy evicts nothing)
      replan();
    }
    return this;
  }

  /** True when the limit changed. */
  private boolean applyQuota(SetTenantQuota set) {
    Long applied = tenantOrders.get(set.tenant());
    if (applied != null && applied >= set.journalOrder()) {
      return false;
    }
    tenantOrders.put(set.tenant(), set.journalOrder());
    Long before = set.maxResidentBytes() == null
        ? tenantByteLimits.remove(set.tenant())
        : tenantByteLimits.put(set.tenant(), set.maxResidentBytes());
    if (Objects.equals(before, set.maxResidentBytes())) {
      return false;
    }
    getContext().getLog().info("tenant {} may keep {} bytes resident (null: unlimited)", set.tenant(), set.maxResidentBytes());
    return true;
  }

  private Behavior<Command> onWorkersListed(WorkersListed listed) {
    for (ActorRef<WorkerActor.Command> gone : workers.keySet()) {
      String id = workerId(gone);
      if (!listed.workers().contains(gone) && leaving.remove(id)) {
        draining.remove(id);
        drainBlocked.remove(id);
      }
    }
    workers.keySet().retainAll(listed.workers());
    workerPools.keySet().retainAll(listed.workers());
    workerIds.keySet().retainAll(listed.workers());
    for (ActorRef<WorkerActor.Command> worker : listed.workers()) {
      if (!workers.containsKey(worker)) {
        getContext().ask(WorkerActor.WorkerStatus.class, worker, Duration.ofSeconds(10), WorkerActor.GetStatus::new,
            (status, failure) -> status == null ? new WorkerBudget(worker, null, -1, null)
                : new WorkerBudget(worker, status.workerId(), status.budgetBytes(), status.pool()));
      }
    }
    // replicas on workers that left are gone
    replicas.values().forEach(held -> held.keySet().retainAll(listed.workers()));
    replan();
    return this;
  }

  private Behavior<Command> onWorkerBudget(WorkerBudget budget) {
    if (budget.budgetBytes() >= 0) {
      workers.put(budget.worker(), budget.budgetBytes());
      if (budget.workerId() != null) {
        workerIds.put(budget.worker(), budget.workerId());
      }
      if (budget.pool() != null) {
        workerPools.put(budget.worker(), budget.pool());
      }
      getContext().getLog().info("worker {} joined with {} bytes (pool {})", workerId(budget.worker()), budget.budgetBytes(),
          budget.pool() == null ? "shared" : budget.pool());
      replan();
    }
    return this;
  }

  private Behavior<Command> onRoutersListed(RoutersListed listed) {
    routers.clear();
    routers.addAll(listed.routers());
    publish();
    askForLoad(); // a new gateway learns at once where to ask for a version scaled to zero
    return this;
  }

  private Behavior<Command> onLoaded(Loaded loaded) {
    Map<ActorRef<WorkerActor.Command>, Replica> held = replicas.get(loaded.version());
    Replica replica = held == null ? null : held.get(loaded.worker());
    if (replica != null && replica.generation() == loaded.generation()) {
      held.put(loaded.worker(), loaded.ok()
          ? new Replica(ReplicaState.READY, null, loaded.generation())
          : new Replica(ReplicaState.FAILED, loaded.error(), loaded.generation()));
      if (draining.isEmpty()) {
        publish();
      } else {
        replan(); // a replacement ready: the draining worker's replica may go now
      }
    }
    return this;
  }

  /** A degraded replica leaves the routing table until its worker says its slow forward pass ended. */
  private Behavior<Command> onHealthReported(HealthReported reported) {
    WorkerActor.ReplicaHealth h = reported.health();
    Map<ActorRef<WorkerActor.Command>, Replica> held = replicas.get(h.version());
    Replica replica = held == null ? null : held.get(h.worker());
    if (replica == null) {
      return this;
    }
    if (h.degraded() != null && replica.state() == ReplicaState.READY) {
      held.put(h.worker(), new Replica(ReplicaState.DEGRADED, h.degraded(), replica.generation()));
      publish();
    } else if (h.degraded() == null && replica.state() == ReplicaState.DEGRADED) {
      held.put(h.worker(), new Replica(ReplicaState.READY, null, replica.generation()));
      publish();
    }
    return this;
  }

  private Behavior<Command> onGetReplicas(GetReplicas get) {
    DesiredDeployment d = desired.get(get.model());
    List<ReplicaView> views = new ArrayList<>();
    if (d != null) {
      new TreeMap<>(d.versions()).forEach((version, v) -> {
        replicas.getOrDefault(v.key(), Map.of()).forEach((worker, r) ->
            views.add(new ReplicaView(version, workerId(worker), r.state(), r.reason())));
        if (pending.containsKey(v.key())) {
          views.add(new ReplicaView(version, null, ReplicaState.PENDING, pending.get(v.key())));
        }
        if (overQuota.containsKey(v.key())) {
          views.add(new ReplicaView(version, null, ReplicaState.QUOTA_EXCEEDED, overQuota.get(v.key())));
        }
        if (scaledToZero(d, v.key())) {
          views.add(new ReplicaView(version, null, ReplicaState.SCALED_TO_ZERO, "unloaded after "
              + d.autoscaling().idleUnload().toSeconds() + " s without a request; the next request loads it"));
        }
      });
    }
    get.replyTo().tell(new Replicas(get.model(), views));
    return this;
  }

  private Behavior<Command> onSetDraining(SetDraining set) {
    if (!snapshotLoaded) {
      // the snapshot read later would undo a change made before it
      set.replyTo().tell(new DrainSet(set.workerId(), set.draining(), Outcome.NOT_READY, "placement is starting"));
    } else if (worker(set.workerId()) == null && !(draining.contains(set.workerId()) && !set.draining())) {
      set.replyTo().tell(new DrainSet(set.workerId(), set.draining(), Outcome.WORKER_NOT_FOUND, null));
    } else {
      // recorded first: once the operator hears "draining", a new coordinator knows it too
      getContext().pipeToSelf(drainRecord.save(set.workerId(), set.draining()), (ok, failure) -> new DrainSaved(set, failure));
    }
    return this;
  }

  private Behavior<Command> onLeaving(Leaving leave) {
    if (!snapshotLoaded) {
      leave.replyTo().tell(new DrainSet(leave.workerId(), true, Outcome.NOT_READY, "placement is starting"));
    } else if (worker(leave.workerId()) == null) {
      leave.replyTo().tell(new DrainSet(leave.workerId(), true, Outcome.WORKER_NOT_FOUND, null));
    } else {
      if (draining.add(leave.workerId())) {
        leaving.add(leave.workerId()); // an operator's drain stays recorded: only this one is forgotten
        getContext().getLog().info("worker {} is leaving the cluster: draining it", leave.workerId());
        drainBlocked.remove(leave.workerId());
        replan();
      }
      leave.replyTo().tell(new DrainSet(leave.workerId(), true, Outcome.DONE, null));
    }
    return this;
  }

  private Behavior<Command> onDrainSaved(DrainSaved saved) {
    SetDraining set = saved.set();
    if (saved.failure() != null) {
      getContext().getLog().warn("cannot record that worker {} is draining={}: {}", set.workerId(), set.draining(),
          saved.failure().toString());
      set.replyTo().tell(new DrainSet(set.workerId(), set.draining(), Outcome.NOT_READY,
          "the drain could not be recorded; retry shortly"));
      return this;
    }
    leaving.remove(set.workerId()); // the operator's choice is recorded now: it stays
    boolean changed = set.draining() ? draining.add(set.workerId()) : draining.remove(set.workerId());
    if (changed) {
      getContext().getLog().info("worker {} {}", set.workerId(), set.draining() ? "is draining" : "is no longer draining");
      drainBlocked.remove(set.workerId());
      replan();
    }
    set.replyTo().tell(new DrainSet(set.workerId(), set.draining(), Outcome.DONE, null));
    return this;
  }

  private Behavior<Command> onEvict(Evict evict) {
    ActorRef<WorkerActor.Command> worker = worker(evict.workerId());
    Map<ActorRef<WorkerActor.Command>, Replica> held = replicas.get(evict.version());
    Outcome outcome = worker == null ? Outcome.WORKER_NOT_FOUND
        : held == null || !held.containsKey(worker) ? Outcome.RESIDENT_NOT_FOUND
        : Outcome.DONE;
    if (outcome == Outcome.DONE) {
      getContext().getLog().info("evicting {} from worker {}", evict.version(), evict.workerId());
      held.remove(worker);
      worker.tell(new WorkerActor.Unload(evict.version()));
      replan();
    }
    evict.replyTo().tell(new Evicted(evict.workerId(), evict.version(), outcome));
    return this;
  }

  /** The live worker of that id; null if none. */
  private ActorRef<WorkerActor.Command> worker(String id) {
    return workers.keySet().stream().filter(w -> workerId(w).equals(id)).findFirst().orElse(null);
  }

  /** The worker's own id; its full actor address (never a local-only path) if it announced none. */
  private String workerId(ActorRef<WorkerActor.Command> worker) {
    String id = workerIds.get(worker);
    return id != null ? id : worker.path().toStringWithAddress(getContext().getSystem().address());
  }

  private void replan() {
    if (!snapshotLoaded) {
      return; // placing part of the desired state could place a deployment before its tenant's limit
    }
    Map<VersionKey, VersionToLoad> versions = new HashMap<>();
    Map<VersionKey, BatchSettings> batches = new HashMap<>();
    List<PlacementPolicy.DesiredVersion> wanted = new ArrayList<>();
    desired.forEach((model, d) -> d.versions().values().forEach(v -> {
      versions.put(v.key(), v);
      batches.put(v.key(), d.batch());
      Autoscaler.VersionState state = d.autoscaling() == null ? null : scaled.get(v.key());
      wanted.add(new PlacementPolicy.DesiredVersion(v.key(), v.sizeBytes(), state == null ? d.replicas() : state.replicas(),
          d.workerPool()));
    }));
    Map<String, ActorRef<WorkerActor.Command>> byId = new LinkedHashMap<>();
    List<PlacementPolicy.WorkerView> views = new ArrayList<>();
    workers.forEach((ref, budget) -> {
      byId.put(ref.path().toString(), ref);
      views.add(new PlacementPolicy.WorkerView(ref.path().toString(), budget, workerPools.get(ref),
          draining.contains(workerId(ref))));
    });
    Map<VersionKey, Set<String>> current = new HashMap<>();
    Map<VersionKey, Set<String>> ready = new HashMap<>();
    replicas.forEach((version, held) -> {
      current.put(version, new HashSet<>(held.keySet().stream().map(w -> w.path().toString()).toList()));
      ready.put(version, new HashSet<>(held.entrySet().stream().filter(e -> e.getValue().state() == ReplicaState.READY)
          .map(e -> e.getKey().path().toString()).toList()));
    });

    PlacementPolicy.Decision decision = PlacementPolicy.decide(wanted, views, current, ready, tenantByteLimits);
    for (PlacementPolicy.Assignment unload : decision.unloads()) {
      ActorRef<WorkerActor.Command> worker = byId.get(unload.worker());
      replicas.getOrDefault(unload.version(), new HashMap<>()).remove(worker);
      worker.tell(new WorkerActor.Unload(unload.version()));
    }
    replicas.entrySet().removeIf(e -> e.getValue().isEmpty() && !versions.containsKey(e.getKey()));
    for (PlacementPolicy.Assignment assignment : decision.loads()) {
      load(byId.get(assignment.worker()), versions.get(assignment.version()), batches.get(assignment.version()));
    }
    pending.clear();
    pending.putAll(decision.unplaceable());
    overQuota.clear();
    overQuota.putAll(decision.overQuota());
    drainBlocked.clear();
    decision.drainBlocked().forEach((worker, why) -> drainBlocked.put(workerId(byId.get(worker)), new ArrayList<>(why)));
    addFailedReplacements();
    publish();
  }

  /**
   * A replica on a draining worker whose replacement failed to load stays (a failed replica is retried
   * only by a new revision): the drain says so, with the load's reason.
   */
  private void addFailedReplacements() {
    replicas.forEach((version, held) -> held.forEach((worker, replica) -> {
      String id = workerId(worker);
      if (!draining.contains(id)) {
        return;
      }
      held.forEach((other, r) -> {
        if (!other.equals(worker) && r.state() == ReplicaState.FAILED && !draining.contains(workerId(other))) {
          drainBlocked.computeIfAbsent(id, w -> new ArrayList<>()).add(version + " stays (it keeps serving): its replacement on "
              + workerId(other) + " failed to load (" + r.reason() + "); a new deployment revision retries it");
        }
      });
    }));
  }

  private void load(ActorRef<WorkerActor.Command> worker, VersionToLoad version, BatchSettings batch) {
    long gen = ++generation;
    Map<ActorRef<WorkerActor.Command>, Replica> held = replicas.computeIfAbsent(version.key(), k -> new HashMap<>());
    // a ready replica that only gets new batching settings keeps serving meanwhile
    boolean ready = held.containsKey(worker) && held.get(worker).state() == ReplicaState.READY;
    held.put(worker, new Replica(ready ? ReplicaState.READY : ReplicaState.LOADING, null, gen));
    getContext().ask(WorkerActor.LoadResult.class, worker, loadTimeout,
        replyTo -> new WorkerActor.Load(version, batch, replyTo, health),
        (result, failure) -> result != null
            ? new Loaded(worker, version.key(), gen, result.loaded(), result.error())
            : new Loaded(worker, version.key(), gen, false, "the worker did not answer within " + loadTimeout.toSeconds() + " s"));
  }

  private void publish() {
    if (!snapshotLoaded) {
      return; // gateways keep the routes they have until this coordinator knows what should run
    }
    RoutingTable table = table();
    routers.forEach(r -> r.tell(new Router.TableUpdated(table)));
  }

  /** Why the version will get no ready replica as things stand; null when it has or may get one. */
  private RoutingTable.Unservable unservable(int version, VersionKey versionKey) {
    Map<ActorRef<WorkerActor.Command>, Replica> held = replicas.getOrDefault(versionKey, Map.of());
    if (held.isEmpty()) {
      return overQuota.containsKey(versionKey) ? new RoutingTable.Unservable(RoutingTable.UnservableReason.QUOTA_EXCEEDED,
          "version " + version + " cannot be loaded: " + overQuota.get(versionKey)) : null;
    }
    if (pending.containsKey(versionKey) || held.values().stream().anyMatch(r -> r.state() != ReplicaState.FAILED)) {
      return null;
    }
    return new RoutingTable.Unservable(RoutingTable.UnservableReason.MODEL_FAILED,
        "version " + version + " failed to load: " + held.values().iterator().next().reason());
  }

  private boolean scaledToZero(DesiredDeployment d, VersionKey version) {
    Autoscaler.VersionState state = d.autoscaling() == null ? null : scaled.get(version);
    return state != null && state.replicas() == 0;
  }

  private RoutingTable table() {
    List<RoutingTable.ModelRoute> models = new ArrayList<>();
    desired.forEach((model, d) -> {
      Map<Integer, RoutingTable.VersionRoute> versions = new HashMap<>();
      d.versions().forEach((number, v) -> versions.put(number, new RoutingTable.VersionRoute(v.inputs(), v.outputs(),
          replicas.getOrDefault(v.key(), Map.of()).entrySet().stream()
              .filter(e -> e.getValue().state() == ReplicaState.READY)
              .map(Map.Entry::getKey)
              .toList(), unservable(number, v.key()), scaledToZero(d, v.key()))));
      models.add(new RoutingTable.ModelRoute(model, d.revision(), d.traffic(), versions));
    });
    return new RoutingTable(++generation, models);
  }
}
