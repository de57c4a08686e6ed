package io.modelplane.inference.worker;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The status of every worker in the cluster, found through the receptionist. */
public final class WorkerStatuses {
  private WorkerStatuses() {}

  /** Each worker asked at once; one that does not answer within {@code timeout} is left out. */
  public static CompletionStage<List<WorkerActor.WorkerStatus>> all(ActorSystem<?> system, Duration timeout) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            replyTo -> Receptionist.find(WorkerActor.SERVICE_KEY, replyTo), timeout, system.scheduler())
        .thenCompose(listing -> {
          List<CompletableFuture<WorkerActor.WorkerStatus>> statuses = new ArrayList<>();
          for (ActorRef<WorkerActor.Command> worker : listing.getServiceInstances(WorkerActor.SERVICE_KEY)) {
            statuses.add(AskPattern.<WorkerActor.Command, WorkerActor.WorkerStatus>ask(worker,
                    WorkerActor.GetStatus::new, timeout, system.scheduler())
                .toCompletableFuture()
                .exceptionally(failure -> null));
          }
          return CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new)).thenApply(done ->
              statuses.stream().map(CompletableFuture::join).filter(Objects::nonNull).toList());
        });
  }
}
