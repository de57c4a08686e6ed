package io.modelplane.control.placement;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.ClusterSingletonSettings;
import akka.cluster.typed.SingletonActor;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.VersionKey;
import io.modelplane.control.readside.ControlProjections;
import io.modelplane.control.readside.ReadSideDatabase;
import io.modelplane.inference.placement.Autoscaler;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.registry.ModelEntity;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Placement fed from the journal: the {@value #PROJECTION} projection keeps the desired deployments and
 * tenant limits in tables and tells the placement singleton each change in journal order; the singleton
 * reads those tables once when it starts (on any control node), so nothing is re-read periodically.
 */
public final class DeploymentFeed {
  public static final String PROJECTION = "placement-feed";

  private final ActorRef<PlacementCoordinator.Command> coordinator;
  private final akka.actor.typed.Scheduler scheduler;

  private DeploymentFeed(ActorRef<PlacementCoordinator.Command> coordinator, akka.actor.typed.Scheduler scheduler) {
    this.coordinator = coordinator;
    this.scheduler = scheduler;
  }

  /**
   * How the feed is set up on a node; {@code autoscaleInterval} and {@code autoscaling} say how often and how
   * quickly autoscaled versions follow their load.
   */
  public record Settings(Duration loadTimeout, DesiredDeployments deployments, boolean createTables,
      ControlProjections.Settings projection, Duration autoscaleInterval, Autoscaler.Settings autoscaling) {
    public Settings(Duration loadTimeout, DesiredDeployments deployments, boolean createTables,
        ControlProjections.Settings projection) {
      this(loadTimeout, deployments, createTables, projection, Duration.ofSeconds(5), Autoscaler.Settings.DEFAULTS);
    }
  }

  /**
   * Starts the placement singleton (role control) over the desired state in {@code db} and the projection
   * that keeps it; {@code tenantChanged} runs once a tenant event that invalidates caches is committed.
   */
  public static DeploymentFeed start(ActorSystem<?> system, ReadSideDatabase db, Settings settings,
      Consumer<TenantId> tenantChanged) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    if (settings.createTables()) {
      createTables(system, db);
    }
    ActorRef<PlacementCoordinator.Command> coordinator = ClusterSingleton.get(system).init(
        SingletonActor.of(PlacementCoordinator.create(settings.loadTimeout(),
                desiredState(db, settings.deployments(), blocking), drainRecord(db, blocking),
                new PlacementCoordinator.Autoscaling(settings.autoscaleInterval(), settings.autoscaling(),
                    scalingRecord(system), Clock.systemUTC())), PlacementCoordinator.SINGLETON_NAME)
            .withSettings(ClusterSingletonSettings.create(system).withRole("control")));
    ControlProjections.start(system, PROJECTION, db, tag -> () -> new PlacementFeedHandler(tag, coordinator,
        settings.deployments(), tenantChanged, db), settings.projection());
    return new DeploymentFeed(coordinator, system.scheduler());
  }

  /** The projection's offsets and the placement tables, if they do not exist yet. */
  public static void createTables(ActorSystem<?> system, ReadSideDatabase db) {
    try {
      ControlProjections.createTables(system, db).toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
      try (Connection c = db.connection()) {
        PlacementTables.create(c);
        c.commit();
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the placement tables: " + e.getMessage(), e);
    }
  }

  /**
   * Which workers are draining, kept next to the desired deployments: a coordinator that starts on another
   * node reads them with the rest. Operational state, not tenant history: nothing else needs its events.
   */
  static PlacementCoordinator.DrainRecord drainRecord(ReadSideDatabase db, Executor blocking) {
    return (workerId, draining) -> CompletableFuture.runAsync(() -> {
      try (Connection c = db.connection()) {
        PlacementTables.putDraining(c, workerId, draining);
        c.commit();
      } catch (SQLException e) {
        throw new IllegalStateException("cannot record the drain of " + workerId + ": " + e.getMessage(), e);
      }
    }, blocking);
  }

  /** Scaling decisions go to the model's history: its entity refuses one for a revision no longer current. */
  static PlacementCoordinator.ScalingRecord scalingRecord(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return (model, revision, version, from, to, reason) -> sharding.entityRefFor(ModelEntity.ENTITY_KEY, model.entityId())
        .<ModelEntity.Reply>ask(replyTo -> new ModelEntity.RecordScaling(revision, version, from, to, reason,
            PlacementCoordinator.AUTOSCALER, replyTo), Duration.ofSeconds(5))
        .thenAccept(reply -> {
          if (reply instanceof ModelEntity.Rejected rejected) {
            throw new IllegalStateException(rejected.rejection().message());
          }
        });
  }

  /** The desired state as the tables hold it: every deployed model, its tenant's limit and the draining workers. */
  static PlacementCoordinator.DesiredState desiredState(ReadSideDatabase db, DesiredDeployments deployments,
      Executor blocking) {
    return () -> CompletableFuture.supplyAsync(() -> {
      try (Connection c = db.connection()) {
        List<PlacementCoordinator.SetTenantQuota> tenants = new ArrayList<>();
        java.util.Map<String, String> pools = new java.util.HashMap<>();
        for (PlacementTables.TenantRow row : PlacementTables.tenantsWithDeployments(c)) {
          tenants.add(PlacementFeedHandler.quota(row));
          pools.put(row.tenant(), row.workerPool());
        }
        List<PlacementCoordinator.SetDeployment> placed = new ArrayList<>();
        for (PlacementTables.DeploymentRow row : PlacementTables.deployed(c)) {
          placed.add(new PlacementCoordinator.SetDeployment(ModelKey.parse(row.modelKey()),
              deployments.toPlace(ModelKey.parse(row.modelKey()), row.desired(), pools.get(row.tenant())),
              row.journalOrder()));
        }
        java.util.Set<String> draining = PlacementTables.drainingWorkers(c);
        c.rollback();
        return new PlacementCoordinator.Snapshot(tenants, placed, draining);
      } catch (SQLException e) {
        throw new IllegalStateException("cannot read the placement tables: " + e.getMessage(), e);
      }
    }, blocking);
  }

  /** Drains ({@code draining} true) or undrains the worker; fails if placement does not answer within 5 s. */
  public CompletionStage<PlacementCoordinator.DrainSet> setDraining(String workerId, boolean draining) {
    return AskPattern.ask(coordinator, replyTo -> new PlacementCoordinator.SetDraining(workerId, draining, replyTo),
        Duration.ofSeconds(5), scheduler);
  }

  /** Evicts the version from the worker; fails if placement does not answer within 2 s. */
  public CompletionStage<PlacementCoordinator.Evicted> evict(String workerId, VersionKey version) {
    return AskPattern.ask(coordinator, replyTo -> new PlacementCoordinator.Evict(workerId, version, replyTo),
        Duration.ofSeconds(2), scheduler);
  }

  /** The draining workers and what blocks each drain; fails if placement does not answer within 2 s. */
  public CompletionStage<PlacementCoordinator.Drains> drains() {
    return AskPattern.ask(coordinator, PlacementCoordinator.GetDrains::new, Duration.ofSeconds(2), scheduler);
  }

  /** Each replica of the model's deployed versions and its state (empty if placement does not answer quickly). */
  public CompletionStage<List<PlacementCoordinator.ReplicaView>> replicas(ModelKey key) {
    return AskPattern.<PlacementCoordinator.Command, PlacementCoordinator.Replicas>ask(coordinator,
            replyTo -> new PlacementCoordinator.GetReplicas(key, replyTo), Duration.ofSeconds(2), scheduler)
        .thenApply(PlacementCoordinator.Replicas::replicas)
        .exceptionally(failure -> List.of());
  }
}
