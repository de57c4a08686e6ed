package io.modelplane.inference.routing;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import io.modelplane.inference.placement.RoutingTable;
import io.modelplane.inference.runtime.ModelResidency;
import io.modelplane.inference.runtime.Tensor;
import java.util.concurrent.Executor;
import io.modelplane.inference.worker.VersionToLoad;
import io.modelplane.inference.worker.WorkerActor;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A gateway node's way to the workers: picks a version by the traffic split, then the ready
 * replica with the fewest requests this node has in flight on it, and asks that worker. The routing
 * table is read without locks on every request; placement replaces it on every change.
 */
public final class InferenceGateway {

  /** The outputs of one predict call and the version that produced them. */
  /** A version's answer and the compute it cost (its share of the batch's forward pass). */
  public record Prediction(int version, List<Tensor> outputs, long computeMicros) {}

  private final ActorSystem<?> system;
  private final Duration inferTimeout;
  private final Duration coldStartTimeout;
  private final AtomicReference<RoutingTable> table = new AtomicReference<>(RoutingTable.EMPTY);
  private final ConcurrentHashMap<ActorRef<WorkerActor.Command>, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Runnable> tableListeners = new CopyOnWriteArrayList<>();
  private final ConcurrentHashMap<ActorRef<WorkerActor.Command>, ModelResidency> localWorkers = new ConcurrentHashMap<>();
  private final Executor responses;

  public InferenceGateway(ActorSystem<?> system, Duration inferTimeout, Duration coldStartTimeout) {
    this.system = system;
    this.responses = system.executionContext();
    this.inferTimeout = inferTimeout;
    this.coldStartTimeout = coldStartTimeout;
  }

  /**
   * A worker in this JVM: calls to it go straight to its residency (no actor hop, no serialization);
   * the answer moves off the model's batch thread at once, so that thread only runs the model.
   */
  public void registerLocal(ActorRef<WorkerActor.Command> worker, ModelResidency residency) {
    localWorkers.put(worker, residency);
  }

  /** Called by the node's {@link Router} with each new table. */
  void update(RoutingTable next) {
    table.updateAndGet(current -> next.generation() >= current.generation() ? next : current);
    tableListeners.forEach(Runnable::run);
  }

  public Optional<RoutingTable.ModelRoute> route(String modelKey) {
    return Optional.ofNullable(table.get().models().get(modelKey));
  }

  /** A version by the route's traffic split. */
  public static int pickVersion(RoutingTable.ModelRoute route) {
    return TrafficSplit.pick(route.traffic(), ThreadLocalRandom.current().nextDouble());
  }

  /** Whether the version has a ready replica now. */
  public boolean isReady(String modelKey, int version) {
    return !ready(modelKey, version).isEmpty();
  }

  /**
   * Runs inputs (already validated against the version's signature) on a ready replica; waits up
   * to the cold-start timeout for one if none is ready yet, unless placement says none will come
   * (the tenant's resident-bytes quota leaves no room, or every replica failed to load).
   */
  public CompletionStage<Prediction> infer(String modelKey, int version, List<Tensor> inputs) {
    List<ActorRef<WorkerActor.Command>> ready = ready(modelKey, version);
    RoutingTable.Unservable unservable = ready.isEmpty() ? unservable(modelKey, version) : null;
    CompletionStage<List<ActorRef<WorkerActor.Command>>> replicas;
    if (!ready.isEmpty()) {
      replicas = CompletableFuture.completedFuture(ready);
    } else if (unservable != null) {
      replicas = CompletableFuture.failedFuture(notServing(unservable));
    } else {
      replicas = awaitReady(modelKey, version);
    }
    // the infer timeout counts from a ready replica on: a cold start has its own wait
    return replicas.thenCompose(workers ->
        attempt(modelKey, version, inputs, workers, 2, System.nanoTime() + inferTimeout.toNanos()));
  }

  /**
   * One try on the least loaded of {@code workers}. The request carries its deadline ({@link System#nanoTime()}):
   * a worker drops it unrun once that has passed, and the caller hears {@link InferenceRejected.Kind#TIMED_OUT}
   * then, never a late answer.
   */
  private CompletionStage<Prediction> attempt(String modelKey, int version, List<Tensor> inputs,
      List<ActorRef<WorkerActor.Command>> workers, int attemptsLeft, long deadline) {
    long remaining = deadline - System.nanoTime();
    if (remaining <= 0) {
      return CompletableFuture.failedFuture(timedOut());
    }
    ActorRef<WorkerActor.Command> worker = leastLoaded(workers);
    AtomicInteger counter = inFlight.computeIfAbsent(worker, w -> new AtomicInteger());
    counter.incrementAndGet();
    String key = VersionToLoad.key(modelKey, version);
    CompletionStage<WorkerActor.InferResult> reply = localWorkers.containsKey(worker)
        ? inferLocally(localWorkers.get(worker), key, inputs, deadline)
        : AskPattern.ask(worker, replyTo -> new WorkerActor.Infer(key, inputs, Math.max(1, remaining / 1_000_000), replyTo),
            Duration.ofNanos(remaining), system.scheduler());
    return reply.handle((result, failure) -> {
      counter.decrementAndGet();
      if (failure instanceof TimeoutException || failure != null && failure.getCause() instanceof TimeoutException) {
        throw timedOut();
      }
      if (failure != null) {
        throw new InferenceRejected(InferenceRejected.Kind.UNAVAILABLE, "worker_unavailable",
            "the worker could not be reached; retry shortly");
      }
      return result;
    }).thenCompose(result -> {
      if (result instanceof WorkerActor.Inferred ok) {
        return CompletableFuture.completedFuture(new Prediction(version, ok.outputs(), ok.computeMicros()));
      }
      WorkerActor.InferFailed failed = (WorkerActor.InferFailed) result;
      if (failed.retryable() && "model_not_resident".equals(failed.code()) && attemptsLeft > 1) {
        List<ActorRef<WorkerActor.Command>> others = ready(modelKey, version).stream().filter(w -> !w.equals(worker)).toList();
        if (!others.isEmpty()) {
          return attempt(modelKey, version, inputs, others, attemptsLeft - 1, deadline);
        }
      }
      if (WorkerActor.TIMED_OUT.equals(failed.code())) {
        throw timedOut();
      }
      throw new InferenceRejected(failed.retryable() ? InferenceRejected.Kind.UNAVAILABLE : InferenceRejected.Kind.UNPROCESSABLE,
          failed.code(), failed.message());
    });
  }

  private InferenceRejected timedOut() {
    return new InferenceRejected(InferenceRejected.Kind.TIMED_OUT, WorkerActor.TIMED_OUT,
        "the model did not answer within " + inferTimeout.toMillis() + " ms; the request was dropped");
  }

  private CompletionStage<WorkerActor.InferResult> inferLocally(ModelResidency residency, String key, List<Tensor> inputs,
      long deadline) {
    Optional<ModelResidency.ResidentModel> resident = residency.get(key);
    if (resident.isEmpty()) {
      return CompletableFuture.completedFuture(new WorkerActor.InferFailed("model_not_resident", key + " is not loaded", true));
    }
    // timing out completes the batcher's own future: a request still queued is then dropped unrun
    return resident.get().infer(inputs, deadline)
        .orTimeout(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
        .handleAsync((inference, failure) -> failure == null
            ? new WorkerActor.Inferred(inference.outputs(), inference.computeNanos() / 1_000)
            : WorkerActor.failed(failure), responses);
  }

  private ActorRef<WorkerActor.Command> leastLoaded(List<ActorRef<WorkerActor.Command>> workers) {
    if (workers.size() == 1) {
      return workers.get(0);
    }
    int offset = ThreadLocalRandom.current().nextInt(workers.size()); // ties go to a random replica
    return java.util.stream.IntStream.range(0, workers.size())
        .mapToObj(i -> workers.get((i + offset) % workers.size()))
        .min(Comparator.comparingInt(w -> inFlight.getOrDefault(w, new AtomicInteger()).get()))
        .orElseThrow();
  }

  private List<ActorRef<WorkerActor.Command>> ready(String modelKey, int version) {
    RoutingTable.VersionRoute v = versionRoute(modelKey, version);
    return v == null ? List.of() : v.ready();
  }

  private RoutingTable.Unservable unservable(String modelKey, int version) {
    RoutingTable.VersionRoute v = versionRoute(modelKey, version);
    return v == null ? null : v.unservable();
  }

  private RoutingTable.VersionRoute versionRoute(String modelKey, int version) {
    RoutingTable.ModelRoute route = table.get().models().get(modelKey);
    return route == null ? null : route.versions().get(version);
  }

  private static InferenceRejected notServing(RoutingTable.Unservable why) {
    return new InferenceRejected(InferenceRejected.Kind.NOT_SERVING, why.code(), why.reason());
  }

  private CompletionStage<List<ActorRef<WorkerActor.Command>>> awaitReady(String modelKey, int version) {
    CompletableFuture<List<ActorRef<WorkerActor.Command>>> found = new CompletableFuture<>();
    Runnable check = () -> {
      List<ActorRef<WorkerActor.Command>> ready = ready(modelKey, version);
      if (!ready.isEmpty()) {
        found.complete(ready);
      } else {
        RoutingTable.Unservable why = unservable(modelKey, version);
        if (why != null) {
          found.completeExceptionally(notServing(why));
        }
      }
    };
    tableListeners.add(check);
    check.run();
    return found.orTimeout(coldStartTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((r, e) -> tableListeners.remove(check))
        .exceptionally(failure -> {
          throw failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException
              ? new InferenceRejected(InferenceRejected.Kind.UNAVAILABLE, "model_loading",
                  "no replica of version " + version + " is ready yet; retry shortly")
              : new java.util.concurrent.CompletionException(failure);
        });
  }
}
