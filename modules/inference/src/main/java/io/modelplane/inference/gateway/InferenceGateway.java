package io.modelplane.inference.gateway;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.ModelKey;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.gateway.PredictFailure.Code;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.ModelResidency;
import io.modelplane.inference.runtime.Tensor;
import io.modelplane.inference.worker.WorkerActor;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * A gateway node's way to the workers: picks a version by the traffic split, then the ready
 * replica with the fewest requests this node has in flight on it, and asks that worker. The routing
 * table is read without locks on every request; placement replaces it on every change.
 */
public final class InferenceGateway {

  /**
   * A version's requests on this node since the last {@link #takeLoad}: how many were in flight on average
   * (from arrival to answer, a cold-start wait included) and how many arrived.
   */
  public record VersionLoad(VersionKey version, double inFlight, long requests) implements CborSerializable {}

  /** Counters of one version's requests, updated without locks on every request. */
  private static final class LoadCounter {
    final AtomicInteger inFlight = new AtomicInteger();
    final LongAdder requests = new LongAdder();
    final LongAdder busyNanos = new LongAdder();
  }

  /** A version's answer and the compute it cost (its share of the batch's forward pass). */
  public record Prediction(VersionKey version, List<Tensor> outputs, long computeMicros) {}

  /** A table and its routes by model, built once per table. */
  private record Indexed(RoutingTable table, Map<ModelKey, RoutingTable.ModelRoute> byModel) {
    static Indexed of(RoutingTable table) {
      Map<ModelKey, RoutingTable.ModelRoute> byModel = new HashMap<>();
      table.models().forEach(route -> byModel.put(route.model(), route));
      return new Indexed(table, Map.copyOf(byModel));
    }
  }

  private final ActorSystem<?> system;
  private final Duration inferTimeout;
  private final Duration coldStartTimeout;
  private final AtomicReference<Indexed> table = new AtomicReference<>(Indexed.of(RoutingTable.EMPTY));
  private final ConcurrentHashMap<ActorRef<WorkerActor.Command>, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Runnable> tableListeners = new CopyOnWriteArrayList<>();
  private final ConcurrentHashMap<ActorRef<WorkerActor.Command>, ModelResidency> localWorkers = new ConcurrentHashMap<>();
  private final Executor responses;
  /** Nodes that left, were removed or are unreachable: their workers get no requests. */
  private final Set<Address> goneNodes = ConcurrentHashMap.newKeySet();
  /** Asks to remote workers awaiting an answer, by the worker's node. */
  private final ConcurrentHashMap<Address, Set<CompletableFuture<WorkerActor.InferResult>>> asking =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<VersionKey, LoadCounter> load = new ConcurrentHashMap<>();
  private final AtomicLong loadTakenAt = new AtomicLong(System.nanoTime());
  /** versions scaled to zero → when this node last asked placement to load them (nanoTime) */
  private final ConcurrentHashMap<VersionKey, Long> woken = new ConcurrentHashMap<>();
  private volatile Consumer<VersionKey> demand = version -> {};

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

  /** Where a request for a version scaled to zero goes to ask placement to load it (the node's {@link Router}). */
  void onDemand(Consumer<VersionKey> demand) {
    this.demand = demand;
  }

  /**
   * Each version's load since the previous call, for placement's autoscaler. The average in flight is the time
   * the interval's finished requests spent (Little's law), at least the requests in flight now.
   */
  public List<VersionLoad> takeLoad() {
    long now = System.nanoTime();
    long interval = Math.max(1, now - loadTakenAt.getAndSet(now));
    List<VersionLoad> loads = new ArrayList<>();
    load.forEach((version, counter) -> {
      long requests = counter.requests.sumThenReset();
      double busy = counter.busyNanos.sumThenReset() / (double) interval;
      int inFlight = counter.inFlight.get();
      if (requests > 0 || inFlight > 0 || busy > 0) {
        loads.add(new VersionLoad(version, Math.max(busy, inFlight), requests));
      } else {
        // idle: forgotten (a request racing with this counts on this counter only, a tick's worth at most)
        load.remove(version, counter);
      }
    });
    return loads;
  }

  /** Called by the node's {@link Router} with each new table. */
  void update(RoutingTable next) {
    Indexed indexed = Indexed.of(next);
    table.updateAndGet(current -> next.generation() >= current.table().generation() ? indexed : current);
    tableListeners.forEach(Runnable::run);
  }

  /**
   * A node left the cluster or became unreachable: its workers get no more requests, and the
   * requests waiting on them are tried once more on another replica (or answered 503) at once
   * instead of waiting out the infer timeout.
   */
  public void nodeGone(Address node) {
    goneNodes.add(node);
    Set<CompletableFuture<WorkerActor.InferResult>> waiting = asking.get(node);
    if (waiting != null) {
      waiting.forEach(reply -> reply.completeExceptionally(new WorkerGone(node)));
    }
  }

  /** The node is reachable again (or a new one joined at its address). */
  public void nodeBack(Address node) {
    goneNodes.remove(node);
  }

  /** The worker's node went away while the worker had the request. */
  static final class WorkerGone extends RuntimeException {
    WorkerGone(Address node) {
      super("the node " + node + " left or is unreachable", null, false, false);
    }
  }

  /** Whether placement has sent this node a routing table yet: until then no deployed model has a route here. */
  public boolean hasTable() {
    return table.get().table().generation() > 0;
  }

  public Optional<RoutingTable.ModelRoute> route(ModelKey model) {
    return Optional.ofNullable(table.get().byModel().get(model));
  }

  /** A version by the route's traffic split. */
  public static int pickVersion(RoutingTable.ModelRoute route) {
    return TrafficSplit.pick(route.traffic(), ThreadLocalRandom.current().nextDouble());
  }

  /** Whether the version has a ready replica now. */
  public boolean isReady(VersionKey version) {
    return !ready(version).isEmpty();
  }

  /**
   * Runs inputs (already validated against the version's signature) on a ready replica; waits up
   * to the cold-start timeout for one if none is ready yet, unless placement says none will come
   * (the tenant's resident-bytes quota leaves no room, or every replica failed to load).
   */
  public CompletionStage<Prediction> infer(VersionKey version, List<Tensor> inputs) {
    return infer(version, inputs, null);
  }

  /** {@link #infer(VersionKey, List)} within the call's trace ({@code trace} null: none), on this node or another. */
  public CompletionStage<Prediction> infer(VersionKey version, List<Tensor> inputs, Context trace) {
    LoadCounter counter = load.computeIfAbsent(version, v -> new LoadCounter());
    long start = System.nanoTime();
    counter.requests.increment();
    counter.inFlight.incrementAndGet();
    return route(version, inputs, trace).whenComplete((prediction, failure) -> {
      counter.inFlight.decrementAndGet();
      counter.busyNanos.add(System.nanoTime() - start);
    });
  }

  private CompletionStage<Prediction> route(VersionKey version, List<Tensor> inputs, Context trace) {
    List<ActorRef<WorkerActor.Command>> ready = ready(version);
    RoutingTable.Unservable unservable = ready.isEmpty() ? unservable(version) : null;
    CompletionStage<List<ActorRef<WorkerActor.Command>>> replicas;
    if (!ready.isEmpty()) {
      replicas = CompletableFuture.completedFuture(ready);
    } else if (unservable != null) {
      replicas = CompletableFuture.failedFuture(notServing(unservable));
    } else {
      wake(version);
      replicas = awaitReady(version);
    }
    // the infer timeout counts from a ready replica on: a cold start has its own wait
    return replicas.thenCompose(workers ->
        attempt(version, inputs, workers, 2, System.nanoTime() + inferTimeout.toNanos(), trace));
  }

  /**
   * One try on the least loaded of {@code workers}. The request carries its deadline ({@link System#nanoTime()}):
   * a worker drops it unrun once that has passed, and the caller hears {@link Code#INFERENCE_TIMEOUT}
   * then, never a late answer. A replica whose node went away meanwhile is tried once more elsewhere; one that
   * lost the model too, on a replica that may become ready within the request's time.
   */
  private CompletionStage<Prediction> attempt(VersionKey version, List<Tensor> inputs,
      List<ActorRef<WorkerActor.Command>> workers, int attemptsLeft, long deadline, Context trace) {
    long remaining = deadline - System.nanoTime();
    if (remaining <= 0) {
      return CompletableFuture.failedFuture(timedOut());
    }
    ActorRef<WorkerActor.Command> worker = leastLoaded(workers);
    AtomicInteger counter = inFlight.computeIfAbsent(worker, w -> new AtomicInteger());
    counter.incrementAndGet();
    CompletionStage<WorkerActor.InferResult> reply = localWorkers.containsKey(worker)
        ? inferLocally(localWorkers.get(worker), version, inputs, deadline, trace)
        : askRemote(worker, version, inputs, remaining, trace);
    return reply.handle((result, failure) -> {
      counter.decrementAndGet();
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (cause instanceof WorkerGone) {
        List<ActorRef<WorkerActor.Command>> others = ready(version).stream().filter(w -> !w.equals(worker)).toList();
        if (attemptsLeft > 1 && !others.isEmpty()) {
          return attempt(version, inputs, others, attemptsLeft - 1, deadline, trace);
        }
        throw new InferenceRejected(Code.WORKER_UNAVAILABLE, "the worker's node left the cluster; retry shortly", 1);
      }
      if (cause instanceof TimeoutException || failure != null && failure.getCause() instanceof TimeoutException) {
        throw timedOut();
      }
      if (failure != null) {
        throw new InferenceRejected(Code.WORKER_UNAVAILABLE, "the worker could not be reached; retry shortly", 1);
      }
      return answer(version, inputs, worker, result, attemptsLeft, deadline, trace);
    }).thenCompose(java.util.function.Function.identity());
  }

  /** An ask that fails at once with {@link WorkerGone} when the worker's node goes away meanwhile. */
  private CompletionStage<WorkerActor.InferResult> askRemote(ActorRef<WorkerActor.Command> worker, VersionKey version,
      List<Tensor> inputs, long remaining, Context trace) {
    Address node = worker.path().address();
    CompletableFuture<WorkerActor.InferResult> reply = new CompletableFuture<>();
    Set<CompletableFuture<WorkerActor.InferResult>> onNode = asking.computeIfAbsent(node, a -> ConcurrentHashMap.newKeySet());
    onNode.add(reply);
    reply.whenComplete((r, e) -> onNode.remove(reply));
    if (goneNodes.contains(node)) { // checked after registering: a departure cannot slip between
      reply.completeExceptionally(new WorkerGone(node));
    } else {
      AskPattern.<WorkerActor.Command, WorkerActor.InferResult>ask(worker,
              replyTo -> new WorkerActor.Infer(version, inputs, Math.max(1, remaining / 1_000_000), replyTo,
                  PredictTracing.inject(trace)),
              Duration.ofNanos(remaining), system.scheduler())
          .whenComplete((r, e) -> {
            if (e != null) {
              reply.completeExceptionally(e);
            } else {
              reply.complete(r);
            }
          });
    }
    return reply;
  }

  /** A worker's answer: the prediction, one more try elsewhere for a replica that lost the model, or the failure. */
  private CompletionStage<Prediction> answer(VersionKey version, List<Tensor> inputs,
      ActorRef<WorkerActor.Command> worker, WorkerActor.InferResult result, int attemptsLeft, long deadline,
      Context trace) {
    if (result instanceof WorkerActor.Inferred ok) {
      return CompletableFuture.completedFuture(new Prediction(version, ok.outputs(), ok.computeMicros()));
    }
    WorkerActor.InferFailed failed = (WorkerActor.InferFailed) result;
    if (failed.reason() == WorkerActor.Reason.MODEL_NOT_RESIDENT && attemptsLeft > 1) {
      // a drain or a move loads the new replica before unloading this one, but this node's routing table may
      // not list it yet: wait for it within the request's time rather than refuse a request that never ran
      return awaitReady(version, worker, Math.min(coldStartTimeout.toNanos(), deadline - System.nanoTime()),
          () -> new InferenceRejected(Code.MODEL_NOT_RESIDENT, failed.message(), 1))
          .thenCompose(others -> attempt(version, inputs, others, attemptsLeft - 1, deadline, trace));
    }
    throw switch (failed.reason()) {
      case TIMED_OUT -> timedOut();
      case CAPACITY_EXCEEDED -> new InferenceRejected(Code.CAPACITY_EXCEEDED, failed.message(), 1);
      case MODEL_NOT_RESIDENT -> new InferenceRejected(Code.MODEL_NOT_RESIDENT, failed.message(), 1);
      case INVALID_INPUT -> new InferenceRejected(new PredictFailure(Code.INVALID_INPUT, failed.message(), null,
          new InvalidInputException(failed.input().kind(), failed.input().code(), failed.message())));
      case MODEL_ERROR -> new InferenceRejected(Code.MODEL_ERROR, failed.message());
    };
  }

  private InferenceRejected timedOut() {
    return new InferenceRejected(Code.INFERENCE_TIMEOUT,
        "the model did not answer within " + inferTimeout.toMillis() + " ms; the request was dropped");
  }

  private CompletionStage<WorkerActor.InferResult> inferLocally(ModelResidency residency, VersionKey version,
      List<Tensor> inputs, long deadline, Context trace) {
    Optional<ModelResidency.ResidentModel> resident = residency.get(version);
    if (resident.isEmpty()) {
      return CompletableFuture.completedFuture(
          new WorkerActor.InferFailed(WorkerActor.Reason.MODEL_NOT_RESIDENT, version + " is not loaded"));
    }
    // timing out completes the batcher's own future: a request still queued is then dropped unrun
    return resident.get().infer(inputs, deadline, trace)
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
    return IntStream.range(0, workers.size())
        .mapToObj(i -> workers.get((i + offset) % workers.size()))
        .min(Comparator.comparingInt(w -> inFlight.getOrDefault(w, new AtomicInteger()).get()))
        .orElseThrow();
  }

  private List<ActorRef<WorkerActor.Command>> ready(VersionKey version) {
    RoutingTable.VersionRoute v = versionRoute(version);
    if (v == null) {
      return List.of();
    }
    // the table may still list replicas on a node that went away, until placement catches up
    return goneNodes.isEmpty() ? v.ready()
        : v.ready().stream().filter(w -> !goneNodes.contains(w.path().address())).toList();
  }

  /** A version scaled to zero: asks placement to load it, once a second at most from this node. */
  private void wake(VersionKey version) {
    RoutingTable.VersionRoute v = versionRoute(version);
    if (v == null || !v.scaledToZero()) {
      return;
    }
    long now = System.nanoTime();
    Long last = woken.get(version);
    if ((last == null || now - last > 1_000_000_000L)
        && (last == null ? woken.putIfAbsent(version, now) == null : woken.replace(version, last, now))) {
      demand.accept(version);
    }
  }

  private RoutingTable.Unservable unservable(VersionKey version) {
    RoutingTable.VersionRoute v = versionRoute(version);
    return v == null ? null : v.unservable();
  }

  private RoutingTable.VersionRoute versionRoute(VersionKey version) {
    RoutingTable.ModelRoute route = table.get().byModel().get(version.model());
    return route == null ? null : route.versions().get(version.version());
  }

  /** Lasts until the deployment or the tenant's quota changes: a long Retry-After. */
  private static InferenceRejected notServing(RoutingTable.Unservable why) {
    Code code = switch (why.reason()) {
      case QUOTA_EXCEEDED -> Code.QUOTA_EXCEEDED;
      case MODEL_FAILED -> Code.MODEL_FAILED;
    };
    return new InferenceRejected(code, why.message(), 30);
  }

  private CompletionStage<List<ActorRef<WorkerActor.Command>>> awaitReady(VersionKey version) {
    return awaitReady(version, null, coldStartTimeout.toNanos(), () -> new InferenceRejected(Code.MODEL_LOADING,
        "no replica of version " + version.version() + " is ready yet; retry shortly", 1));
  }

  /**
   * The ready replicas of {@code version} but {@code except} (null: any) as soon as there are some; fails with
   * {@code none}'s rejection after {@code nanos}, or at once when the version will not be served.
   */
  private CompletionStage<List<ActorRef<WorkerActor.Command>>> awaitReady(VersionKey version,
      ActorRef<WorkerActor.Command> except, long nanos, Supplier<InferenceRejected> none) {
    CompletableFuture<List<ActorRef<WorkerActor.Command>>> found = new CompletableFuture<>();
    Runnable check = () -> {
      List<ActorRef<WorkerActor.Command>> ready = except == null ? ready(version)
          : ready(version).stream().filter(w -> !w.equals(except)).toList();
      if (!ready.isEmpty()) {
        found.complete(ready);
      } else if (versionRoute(version) == null) {
        // a newer deployment no longer routes this version: no replica of it will come
        found.completeExceptionally(new InferenceRejected(Code.MODEL_LOADING,
            "the deployment changed while the request waited for version " + version.version() + "; retry", 1));
      } else {
        RoutingTable.Unservable why = unservable(version);
        if (why != null) {
          found.completeExceptionally(notServing(why));
        }
      }
    };
    tableListeners.add(check);
    check.run();
    return found.orTimeout(Math.max(0, nanos), TimeUnit.NANOSECONDS)
        .whenComplete((r, e) -> tableListeners.remove(check))
        .exceptionally(failure -> {
          throw failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException ? none.get()
              : new CompletionException(failure);
        });
  }
}
