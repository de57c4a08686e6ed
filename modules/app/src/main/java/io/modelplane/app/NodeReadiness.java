package io.modelplane.app;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.javadsl.Adapter;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Whether this node can serve: what both {@code GET /ready} (Akka Management) and {@code GET /v2/health/ready}
 * answer. Ready when the node is an Up member, is not shutting down, and every check its roles added
 * answers true (control: projections and the database; gateway: the routing table).
 */
final class NodeReadiness implements Extension {
  private static final ExtensionId<NodeReadiness> ID = new ExtensionId<>() {
    @Override
    public NodeReadiness createExtension(ActorSystem<?> system) {
      return new NodeReadiness(system);
    }
  };

  private final ActorSystem<?> system;
  private final List<Supplier<CompletionStage<Boolean>>> checks = new CopyOnWriteArrayList<>();
  /** Until the guardian has started every part, the node is not ready whatever the checks say. */
  private volatile boolean started;

  private NodeReadiness(ActorSystem<?> system) {
    this.system = system;
  }

  static NodeReadiness get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** A check of one of the node's parts; the node is ready only when all answer true. */
  void add(Supplier<CompletionStage<Boolean>> check) {
    checks.add(check);
  }

  /** Every part has started and added its checks. */
  void started() {
    started = true;
  }

  /** Never fails: a check that fails or throws counts as not ready. */
  CompletionStage<Boolean> ready() {
    if (!started || shuttingDown() || Cluster.get(system).selfMember().status() != MemberStatus.up()) {
      return CompletableFuture.completedFuture(false);
    }
    CompletableFuture<Boolean> all = CompletableFuture.completedFuture(true);
    for (Supplier<CompletionStage<Boolean>> check : checks) {
      all = all.thenCompose(ok -> ok ? safely(check) : CompletableFuture.completedFuture(false));
    }
    return all;
  }

  boolean shuttingDown() {
    return CoordinatedShutdown.get(system).getShutdownReason().isPresent();
  }

  private static CompletableFuture<Boolean> safely(Supplier<CompletionStage<Boolean>> check) {
    try {
      return check.get().toCompletableFuture().exceptionally(failure -> false);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(false);
    }
  }

  /** Akka Management's readiness check ({@code akka.management.health-checks.readiness-checks}). */
  public static final class Check implements Supplier<CompletionStage<Boolean>> {
    private final NodeReadiness readiness;

    public Check(akka.actor.ActorSystem system) {
      this.readiness = NodeReadiness.get(Adapter.toTyped(system));
    }

    @Override
    public CompletionStage<Boolean> get() {
      return readiness.ready();
    }
  }
}
