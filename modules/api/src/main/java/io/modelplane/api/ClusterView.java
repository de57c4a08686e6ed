package io.modelplane.api;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.Member;
import akka.cluster.typed.Cluster;
import io.modelplane.inference.worker.WorkerActor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.StreamSupport;

/** The operator's view of the cluster: nodes with roles and status, workers with their budgets and resident models. */
final class ClusterView {
  private static final Duration ASK = Duration.ofSeconds(2);

  record NodeView(String address, List<String> roles, String status, boolean reachable) {}

  /** A worker as the cluster API shows it (openapi.yaml): never the actor's own message. */
  record WorkerView(String workerId, String device, long budgetBytes, long usedBytes, List<ResidentView> models,
      String pool) {
    static WorkerView of(WorkerActor.WorkerStatus s) {
      return new WorkerView(s.workerId(), s.device(), s.budgetBytes(), s.usedBytes(),
          s.models().stream().map(m -> new ResidentView(m.version().toString(), m.bytes(), m.queueDepth(), m.inFlight()))
              .toList(), s.pool());
    }
  }

  /** {@code key}: the version as operators read it, {@code tenant/model:version}. */
  record ResidentView(String key, long bytes, int queueDepth, int inFlight) {}

  private final ActorSystem<?> system;

  ClusterView(ActorSystem<?> system) {
    this.system = system;
  }

  CompletionStage<Map<String, Object>> snapshot() {
    Cluster cluster = Cluster.get(system);
    Set<Member> unreachable = cluster.state().getUnreachable();
    List<NodeView> nodes = StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
        .map(m -> new NodeView(m.address().toString(),
            m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList(),
            m.status().toString().toLowerCase(), !unreachable.contains(m)))
        .toList();
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            replyTo -> Receptionist.find(WorkerActor.SERVICE_KEY, replyTo), ASK, system.scheduler())
        .thenCompose(listing -> {
          List<CompletableFuture<WorkerActor.WorkerStatus>> statuses = new ArrayList<>();
          for (ActorRef<WorkerActor.Command> worker : listing.getServiceInstances(WorkerActor.SERVICE_KEY)) {
            statuses.add(AskPattern.<WorkerActor.Command, WorkerActor.WorkerStatus>ask(worker,
                    WorkerActor.GetStatus::new, ASK, system.scheduler())
                .toCompletableFuture()
                .exceptionally(failure -> null)); // a worker that does not answer is left out
          }
          return CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new)).thenApply(done -> Map.of(
              "self", cluster.selfMember().address().toString(),
              "nodes", nodes,
              "workers", statuses.stream().map(CompletableFuture::join).filter(Objects::nonNull).map(WorkerView::of).toList()));
        });
  }
}
