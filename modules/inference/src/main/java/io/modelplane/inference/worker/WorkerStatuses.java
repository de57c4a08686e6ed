package io.modelplane.inference.worker;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The status of every worker in the cluster (or the answer of every actor of a service key), found through the receptionist. */
public final class WorkerStatuses {
  private WorkerStatuses() {}

  /** Each worker asked at once; one that does not answer within {@code timeout} is left out. */
  public static CompletionStage<List<WorkerActor.WorkerStatus>> all(ActorSystem<?> system, Duration timeout) {
    return askAll(system, WorkerActor.SERVICE_KEY, WorkerActor.GetStatus::new, timeout);
  }

  /** Asks every actor registered under {@code key} at once; one that does not answer within {@code timeout} is left out. */
  public static <C, R> CompletableFuture<List<R>> askAll(ActorSystem<?> system, ServiceKey<C> key,
      Function<ActorRef<R>, C> question, Duration timeout) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            replyTo -> Receptionist.find(key, replyTo), timeout, system.scheduler())
        .thenCompose(listing -> {
          List<CompletableFuture<R>> answers = new ArrayList<>();
          for (ActorRef<C> actor : listing.getServiceInstances(key)) {
            answers.add(AskPattern.<C, R>ask(actor, question::apply, timeout, system.scheduler())
                .toCompletableFuture()
                .exceptionally(failure -> null));
          }
          return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
              .thenApply(all -> answers.stream().map(CompletableFuture::join).filter(Objects::nonNull).toList());
        })
        .toCompletableFuture();
  }
}
