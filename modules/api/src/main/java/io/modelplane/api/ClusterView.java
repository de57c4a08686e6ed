package io.modelplane.api;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.Member;
import akka.cluster.typed.Cluster;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.modelplane.api.view.NodeResourcesView;
import io.modelplane.api.view.WorkerView;
import io.modelplane.control.NodeInfo;
import io.modelplane.control.placement.DeploymentFeed;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.worker.WorkerActor;
import io.modelplane.inference.worker.WorkerStatuses;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/** The operator's view of the cluster: nodes with roles and status, workers with their budgets and resident models. */
final class ClusterView {
  private static final Duration ASK = Duration.ofSeconds(2);

  /**
   * {@code upSince}: when the node started; null if it did not say in time. {@code resources}: its last
   * sample, written into the node's object (absent when it did not answer in time).
   */
  record NodeView(String address, List<String> roles, String status, boolean reachable, Instant upSince,
      @JsonUnwrapped NodeResourcesView resources) {}

  /**
   * The whole view, in a stable order (so that equal views give equal tags). {@code drainsKnown}: false when
   * placement did not answer in time (during a failover): then no worker shows as draining.
   */
  record Snapshot(String self, List<NodeView> nodes, List<WorkerView> workers, boolean drainsKnown) {}

  private final ActorSystem<?> system;
  private final DeploymentFeed placement;

  ClusterView(ActorSystem<?> system, DeploymentFeed placement) {
    this.system = system;
    this.placement = placement;
  }

  CompletionStage<Snapshot> snapshot() {
    Cluster cluster = Cluster.get(system);
    Set<Member> unreachable = cluster.state().getUnreachable();
    List<Member> members = StreamSupport.stream(cluster.state().getMembers().spliterator(), false).toList();
    CompletableFuture<List<NodeInfo.Node>> started = askAll(NodeInfo.SERVICE_KEY, NodeInfo.Get::new);
    CompletableFuture<List<WorkerActor.WorkerStatus>> statuses = askAll(WorkerActor.SERVICE_KEY, WorkerActor.GetStatus::new);
    CompletableFuture<PlacementCoordinator.Drains> drains = placement.drains().toCompletableFuture()
        .exceptionally(failure -> null);
    return CompletableFuture.allOf(started, statuses, drains).thenApply(done -> {
      Map<String, NodeInfo.Node> info = started.join().stream()
          .collect(Collectors.toMap(NodeInfo.Node::address, node -> node, (a, b) -> a));
      List<NodeView> nodes = members.stream()
          .map(m -> {
            NodeInfo.Node node = info.get(m.address().toString());
            return new NodeView(m.address().toString(),
                m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList(),
                m.status().toString().toLowerCase(), !unreachable.contains(m), node == null ? null : node.upSince(),
                node == null || node.resources() == null ? null : NodeResourcesView.from(node.resources()));
          })
          .toList();
      Map<String, List<String>> draining = drains.join() == null ? Map.of() : drains.join().blockedBy();
      List<WorkerView> workers = statuses.join().stream()
          .map(s -> WorkerView.from(s, draining.containsKey(s.workerId()), draining.getOrDefault(s.workerId(), List.of())))
          .sorted(Comparator.comparing(WorkerView::workerId))
          .toList();
      return new Snapshot(cluster.selfMember().address().toString(), nodes, workers, drains.join() != null);
    });
  }

  private <C, R> CompletableFuture<List<R>> askAll(ServiceKey<C> key, Function<ActorRef<R>, C> question) {
    return WorkerStatuses.askAll(system, key, question, ASK);
  }
}
