package io.modelplane.app;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.runtime.ModelResidency;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's graceful leave (SIGTERM runs CoordinatedShutdown from the JVM's shutdown hook), in order:
 * readiness off ({@link NodeReadiness} sees the shutdown at once) → the HTTP server stops accepting and
 * in-flight requests finish → a worker node's resident replicas are loaded elsewhere ({@link #drainWorkers})
 * → shards hand off → the node leaves → the system terminates. The whole is bounded by the shutdown timeout.
 */
final class GracefulLeave {
  private static final Logger log = LoggerFactory.getLogger(GracefulLeave.class);
  /** What the steps after the drain (hand-off, leave, terminate) keep of the timeout. */
  private static final Duration AFTER_DRAIN = Duration.ofSeconds(15);
  /** How long placement may leave the drain request unanswered before the node leaves without it. */
  private static final Duration PLACEMENT_SILENT = Duration.ofSeconds(10);

  private final ActorSystem<?> system;
  private final Duration timeout;
  /** When the shutdown began (System.nanoTime), set by the first task; 0 until then. */
  private volatile long began;

  GracefulLeave(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "readiness-off", () -> {
      began = System.nanoTime();
      log.info("leaving the cluster ({}): not ready any more; at most {} s", shutdown.getShutdownReason()
          .map(Object::toString).orElse("shutdown"), timeout.toSeconds());
      return CompletableFuture.completedFuture(Done.getInstance());
    });
  }

  /**
   * Once requests are done: asks placement to drain each of this node's workers, then waits until none
   * holds a replica, placement says the rest cannot move (no room elsewhere), or the drain's share of the
   * timeout is over. Placement unloads a replica here only once its replacement is ready elsewhere.
   */
  void drainWorkers(List<String> workerIds, List<ModelResidency> residencies) {
    // the proxy finds the singleton now, not while the node is leaving
    ActorRef<PlacementCoordinator.Command> placement = PlacementCoordinator.proxy(system);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeClusterShutdown(), "drain-leaving-workers",
        () -> {
          // a node stopped in-process (tests, a failed start) stops with the rest: only a leave moves replicas
          Object reason = CoordinatedShutdown.get(system).getShutdownReason().orElse(null);
          boolean leaving = CoordinatedShutdown.jvmExitReason().equals(reason)
              || CoordinatedShutdown.clusterLeavingReason().equals(reason);
          if (!leaving || residencies.stream().allMatch(r -> r.status().isEmpty())) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          long start = began != 0 ? began : System.nanoTime();
          long deadline = start + Math.max(timeout.minus(AFTER_DRAIN).toNanos(), timeout.toNanos() / 2);
          CompletableFuture<Done> done = new CompletableFuture<>();
          drain(placement, workerIds, residencies, deadline, System.nanoTime() + PLACEMENT_SILENT.toNanos(), false, done);
          return done;
        });
  }

  private void drain(ActorRef<PlacementCoordinator.Command> placement, List<String> workerIds,
      List<ModelResidency> residencies, long deadline, long askUntil, boolean asked, CompletableFuture<Done> done) {
    if (residencies.stream().allMatch(r -> r.status().isEmpty())) {
      log.info("leaving: no replica left on this node's workers");
      done.complete(Done.getInstance());
      return;
    }
    if (System.nanoTime() >= deadline) {
      log.warn("leaving: the drain's time is over; replicas still here: {}", residents(residencies));
      done.complete(Done.getInstance());
      return;
    }
    if (!asked && System.nanoTime() >= askUntil) {
      log.warn("leaving: placement did not answer (no control node left?); replicas still here: {}", residents(residencies));
      done.complete(Done.getInstance());
      return;
    }
    CompletionStage<Boolean> step = asked ? blocked(placement, workerIds) : ask(placement, workerIds);
    step.whenComplete((stop, failure) -> {
      if (Boolean.TRUE.equals(stop) && asked) {
        log.info("leaving: placement cannot move the rest (no room elsewhere): {}", residents(residencies));
        done.complete(Done.getInstance());
      } else {
        boolean nowAsked = asked || Boolean.TRUE.equals(stop);
        system.scheduler().scheduleOnce(Duration.ofMillis(200),
            () -> drain(placement, workerIds, residencies, deadline, askUntil, nowAsked, done), system.executionContext());
      }
    });
  }

  /** True once placement has taken every worker's drain (or does not know the worker: nothing to move). */
  private CompletionStage<Boolean> ask(ActorRef<PlacementCoordinator.Command> placement, List<String> workerIds) {
    CompletableFuture<Boolean> all = CompletableFuture.completedFuture(true);
    for (String id : workerIds) {
      all = all.thenCompose(ok -> AskPattern.<PlacementCoordinator.Command, PlacementCoordinator.DrainSet>ask(
              placement, replyTo -> new PlacementCoordinator.Leaving(id, replyTo), Duration.ofSeconds(2), system.scheduler())
          .thenApply(set -> ok && set.outcome() != PlacementCoordinator.Outcome.NOT_READY)
          .exceptionally(failure -> false));
    }
    return all.thenApply(ok -> {
      if (ok) {
        log.info("leaving: placement is moving the replicas of workers {}", workerIds);
      }
      return ok;
    });
  }

  /** True when placement says replicas stay on one of these workers (their replacements found no room). */
  private CompletionStage<Boolean> blocked(ActorRef<PlacementCoordinator.Command> placement, List<String> workerIds) {
    return AskPattern.<PlacementCoordinator.Command, PlacementCoordinator.Drains>ask(placement,
            PlacementCoordinator.GetDrains::new, Duration.ofSeconds(2), system.scheduler())
        .thenApply(drains -> workerIds.stream().anyMatch(id -> !drains.blockedBy().getOrDefault(id, List.of()).isEmpty()))
        .exceptionally(failure -> false);
  }

  private static List<String> residents(List<ModelResidency> residencies) {
    return residencies.stream().flatMap(r -> r.status().stream()).map(s -> s.key().toString()).toList();
  }
}
