package io.modelplane.inference.worker;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.gateway.PredictTracing;
import io.modelplane.inference.runtime.BatchAggregator;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.runtime.CapacityExceededException;
import io.modelplane.inference.runtime.DeadlineExceededException;
import io.modelplane.inference.runtime.InsufficientMemoryException;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.ModelLoadException;
import io.modelplane.inference.runtime.ModelNotResidentException;
import io.modelplane.inference.runtime.ModelResidency;
import io.modelplane.inference.runtime.Tensor;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One per device on worker nodes: keeps model versions resident (through {@link ModelResidency})
 * and serves inference on them. Loading runs on a dedicated executor and inference on each model's
 * batching thread: this actor's own thread only routes messages.
 */
public final class WorkerActor extends AbstractBehavior<WorkerActor.Command> {
  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "modelplane-worker");

  public sealed interface Command extends CborSerializable {}

  /**
   * Make the version resident with these batching settings (idempotent). {@code healthTo} (may be null)
   * hears whenever the replica becomes degraded (a forward pass ran past the limit) or healthy again.
   */
  public record Load(VersionToLoad version, BatchSettings batch, ActorRef<LoadResult> replyTo,
      ActorRef<ReplicaHealth> healthTo) implements Command {
    public Load(VersionToLoad version, BatchSettings batch, ActorRef<LoadResult> replyTo) {
      this(version, batch, replyTo, null);
    }
  }

  public record Unload(VersionKey version) implements Command {}

  /**
   * Run inputs; {@code timeoutMillis} > 0: dropped unrun, and answered {@link Reason#TIMED_OUT}, once that has passed.
   * {@code trace}: the caller's W3C trace context headers ({@code traceparent}), empty when not traced.
   */
  public record Infer(VersionKey version, List<Tensor> inputs, long timeoutMillis, ActorRef<InferResult> replyTo,
      Map<String, String> trace) implements Command {
    public Infer {
      trace = trace == null ? Map.of() : Map.copyOf(trace);
    }

    public Infer(VersionKey version, List<Tensor> inputs, long timeoutMillis, ActorRef<InferResult> replyTo) {
      this(version, inputs, timeoutMillis, replyTo, Map.of());
    }

    public Infer(VersionKey version, List<Tensor> inputs, ActorRef<InferResult> replyTo) {
      this(version, inputs, 0, replyTo);
    }
  }

  /** A replica's health as its worker sees it: {@code degraded} says why it should get no requests; null: healthy. */
  public record ReplicaHealth(ActorRef<Command> worker, VersionKey version, String degraded) implements CborSerializable {}

  private enum CheckForwards implements Command { INSTANCE }

  public record GetStatus(ActorRef<WorkerStatus> replyTo) implements Command {}

  private record UnloadFinished(VersionKey version, CompletableFuture<Void> unload) implements Command {}

  private record LoadFinished(VersionKey version, Throwable failure, ActorRef<LoadResult> replyTo) implements Command {}

  public record LoadResult(String workerId, VersionKey version, boolean loaded, String error) implements CborSerializable {}

  public sealed interface InferResult extends CborSerializable {}

  public record Inferred(List<Tensor> outputs, long computeMicros) implements InferResult {}

  /** Why inference did not happen. */
  public enum Reason {
    /** the model's queue is full (retryable) */
    CAPACITY_EXCEEDED,
    /** the version is not loaded on this worker (retryable: another replica may have it) */
    MODEL_NOT_RESIDENT,
    /** the request's deadline passed before the model answered */
    TIMED_OUT,
    /** the model could not take the input: {@code input} says how */
    INVALID_INPUT,
    /** the model failed on the input */
    MODEL_ERROR;

    /** Whether another replica (or a later try) may succeed. */
    public boolean retryable() {
      return this == CAPACITY_EXCEEDED || this == MODEL_NOT_RESIDENT;
    }
  }

  /** The input's fault as the runtime named it; set for {@link Reason#INVALID_INPUT} only. */
  public record InvalidInput(InvalidInputException.Kind kind, String code) implements CborSerializable {}

  public record InferFailed(Reason reason, String message, InvalidInput input) implements InferResult {
    public InferFailed(Reason reason, String message) {
      this(reason, message, null);
    }

    public boolean retryable() {
      return reason.retryable();
    }
  }

  /**
   * A resident version: {@code lastUsedAt} its last request (or its load), {@code batches} forward passes run,
   * {@code lastBatchSize} and {@code recentBatchSize} requests per pass last time and lately (0 before the first).
   */
  public record ModelStatus(VersionKey version, long bytes, int queueDepth, int inFlight, java.time.Instant lastUsedAt,
      long batches, int lastBatchSize, double recentBatchSize) implements CborSerializable {
    public ModelStatus(VersionKey version, long bytes, int queueDepth, int inFlight) {
      this(version, bytes, queueDepth, inFlight, null, 0, 0, 0);
    }
  }

  /**
   * {@code pool}: the dedicated worker pool this worker serves (null: shared by every tenant without one);
   * {@code utilization}: the share of the last window its device spent in forward passes
   * ({@link ModelResidency#utilization()}).
   */
  public record WorkerStatus(String workerId, String device, long budgetBytes, long usedBytes, List<ModelStatus> models,
      String pool, double utilization) implements CborSerializable {
    public WorkerStatus(String workerId, String device, long budgetBytes, long usedBytes, List<ModelStatus> models,
        String pool) {
      this(workerId, device, budgetBytes, usedBytes, models, pool, 0);
    }

    public WorkerStatus(String workerId, String device, long budgetBytes, long usedBytes, List<ModelStatus> models) {
      this(workerId, device, budgetBytes, usedBytes, models, null);
    }
  }

  /** A worker without a forward-pass limit: its replicas are never degraded. */
  public static Behavior<Command> create(String workerId, ModelResidency residency, ArtifactCache artifacts,
      Executor loadExecutor) {
    return create(workerId, null, residency, artifacts, loadExecutor, null);
  }

  /**
   * A worker of the dedicated {@code pool} (null or blank: a shared worker; placement learns it from
   * {@link GetStatus}) whose replicas are reported degraded while a forward pass runs longer than
   * {@code forwardLimit} (null: no limit), and healthy again once it ended: libtorch cannot interrupt a forward pass.
   */
  public static Behavior<Command> create(String workerId, String pool, ModelResidency residency,
      ArtifactCache artifacts, Executor loadExecutor, Duration forwardLimit) {
    String announced = pool == null || pool.isBlank() ? null : pool;
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      if (forwardLimit != null) {
        long every = Math.max(50, Math.min(1_000, forwardLimit.toMillis() / 4));
        timers.startTimerWithFixedDelay(CheckForwards.INSTANCE, Duration.ofMillis(every));
      }
      return new WorkerActor(ctx, workerId, announced, residency, artifacts, loadExecutor, forwardLimit);
    }));
  }

  private final String workerId;
  private final String pool;
  private final ModelResidency residency;
  private final ArtifactCache artifacts;
  private final Executor loadExecutor;
  private final Duration forwardLimit;
  /** version → who hears about that replica's health */
  private final Map<VersionKey, ActorRef<ReplicaHealth>> watchers = new HashMap<>();
  /** versions last reported degraded */
  private final Set<VersionKey> degraded = new HashSet<>();
  /** version → its unload still running */
  private final Map<VersionKey, CompletableFuture<Void>> unloading = new HashMap<>();

  private WorkerActor(ActorContext<Command> ctx, String workerId, String pool, ModelResidency residency,
      ArtifactCache artifacts, Executor loadExecutor, Duration forwardLimit) {
    super(ctx);
    this.workerId = workerId;
    this.pool = pool;
    this.residency = residency;
    this.artifacts = artifacts;
    this.loadExecutor = loadExecutor;
    this.forwardLimit = forwardLimit;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Load.class, this::onLoad)
        .onMessage(LoadFinished.class, this::onLoadFinished)
        .onMessage(Unload.class, this::onUnload)
        .onMessage(UnloadFinished.class, done -> {
          unloading.remove(done.version(), done.unload());
          return this;
        })
        .onMessage(Infer.class, this::onInfer)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessageEquals(CheckForwards.INSTANCE, this::onCheckForwards)
        .onSignal(akka.actor.typed.PostStop.class, signal -> {
          residency.close();
          return this;
        })
        .build();
  }

  private Behavior<Command> onLoad(Load load) {
    if (load.healthTo() != null) {
      watchers.put(load.version().key(), load.healthTo());
    }
    long started = System.nanoTime();
    // a load right after an unload of the same version (an eviction placed back here) waits for it:
    // run side by side, the unload could remove the freshly loaded model
    CompletableFuture<Void> before = unloading.getOrDefault(load.version().key(), CompletableFuture.completedFuture(null));
    CompletableFuture<Void> loading = before.handle((ok, failure) -> null).thenRunAsync(
        () -> load(load.version(), load.batch()), loadExecutor);
    getContext().pipeToSelf(loading, (ok, failure) -> {
      if (failure == null) {
        getContext().getLog().info("loaded {} in {} ms", load.version().key(), (System.nanoTime() - started) / 1_000_000);
      }
      return new LoadFinished(load.version().key(), failure, load.replyTo());
    });
    return this;
  }

  /** On the load executor: the artifact from this node's cache (downloaded first if need be), then the model. */
  private void load(VersionToLoad version, BatchSettings batch) {
    Optional<ModelResidency.ResidentModel> resident = residency.get(version.key());
    if (resident.isPresent()) {
      // asked again (placement keeps it): only its settings change, the file is not read
      residency.load(version.toSpec(resident.get().spec().artifact()), batch);
      return;
    }
    // the loader copies the file before the engine reads it: the lease only needs to last the load
    if (version.keyProblem() != null) {
      throw new ModelLoadException("the artifact of " + version.key() + " cannot be decrypted: " + version.keyProblem());
    }
    try (ArtifactCache.Lease artifact = artifacts.acquire(version.key().tenant(), version.sha256(), version.dataKey())) {
      residency.load(version.toSpec(artifact.path()), batch);
    }
  }

  private Behavior<Command> onLoadFinished(LoadFinished done) {
    if (done.failure() == null) {
      done.replyTo().tell(new LoadResult(workerId, done.version(), true, null));
    } else {
      Throwable cause = unwrap(done.failure());
      String reason = cause instanceof InsufficientMemoryException || cause instanceof ModelLoadException
          ? cause.getMessage()
          : "load failed: " + cause.getClass().getSimpleName();
      getContext().getLog().warn("could not load {}: {}", done.version(), reason);
      residency.loadFailed();
      done.replyTo().tell(new LoadResult(workerId, done.version(), false, reason));
    }
    return this;
  }

  private Behavior<Command> onUnload(Unload unload) {
    watchers.remove(unload.version());
    degraded.remove(unload.version());
    // closing drains the model's batch thread: keep that off this actor's thread
    CompletableFuture<Void> done = CompletableFuture.runAsync(() -> residency.unload(unload.version()), loadExecutor);
    unloading.put(unload.version(), done);
    // forgotten once done (on this actor's thread), unless a later unload replaced it
    ActorRef<Command> self = getContext().getSelf();
    done.whenComplete((ok, failure) -> self.tell(new UnloadFinished(unload.version(), done)));
    return this;
  }

  private Behavior<Command> onInfer(Infer infer) {
    Optional<ModelResidency.ResidentModel> resident = residency.get(infer.version());
    if (resident.isEmpty()) {
      infer.replyTo().tell(new InferFailed(Reason.MODEL_NOT_RESIDENT, infer.version() + " is not loaded on " + workerId));
      return this;
    }
    ActorRef<InferResult> replyTo = infer.replyTo();
    // the gateway's trace continues here: queue wait and batch forward become its spans
    io.opentelemetry.context.Context trace = infer.trace().isEmpty() ? null
        : PredictTracing.extractFrom(infer.trace()::get);
    CompletableFuture<io.modelplane.inference.runtime.Inference> inference = infer.timeoutMillis() > 0
        // timing out completes the batcher's own future: a request still queued is then dropped unrun
        ? resident.get().infer(infer.inputs(), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(infer.timeoutMillis()),
                trace)
            .orTimeout(infer.timeoutMillis(), TimeUnit.MILLISECONDS)
        : resident.get().infer(infer.inputs(), System.nanoTime() + BatchAggregator.NO_DEADLINE, trace);
    inference.whenComplete((answer, failure) -> replyTo.tell(failure == null
        ? new Inferred(answer.outputs(), answer.computeNanos() / 1_000)
        : failed(failure)));
    return this;
  }

  /** Reports each watched replica whose forward pass is past the limit, and once more when that pass ended. */
  private Behavior<Command> onCheckForwards() {
    watchers.forEach((version, to) -> {
      long running = residency.get(version).map(ModelResidency.ResidentModel::runningForwardNanos).orElse(0L);
      boolean slow = running > forwardLimit.toNanos();
      if (slow) {
        String reason = "a forward pass has run for more than " + forwardLimit.toMillis() + " ms (the infer timeout);"
            + " the replica gets no requests until it ends";
        if (degraded.add(version)) {
          getContext().getLog().warn("replica of {} degraded: {}", version, reason);
        }
        // told again on every check while it lasts: a placement that was reloading the replica hears it too
        to.tell(new ReplicaHealth(getContext().getSelf(), version, reason));
      } else if (!slow && degraded.remove(version)) {
        getContext().getLog().info("replica of {} is healthy again: its slow forward pass ended", version);
        to.tell(new ReplicaHealth(getContext().getSelf(), version, null));
      }
    });
    return this;
  }

  /** What an inference failure means for the caller. */
  public static InferFailed failed(Throwable cause) {
    cause = unwrap(cause);
    if (cause instanceof CapacityExceededException) {
      return new InferFailed(Reason.CAPACITY_EXCEEDED, "the model's queue is full; retry shortly");
    }
    if (cause instanceof DeadlineExceededException || cause instanceof TimeoutException) {
      return new InferFailed(Reason.TIMED_OUT, "the request's deadline passed before the model answered");
    }
    if (cause instanceof ModelNotResidentException) {
      return new InferFailed(Reason.MODEL_NOT_RESIDENT, cause.getMessage());
    }
    if (cause instanceof InvalidInputException invalid) {
      return new InferFailed(Reason.INVALID_INPUT, invalid.getMessage(), new InvalidInput(invalid.kind(), invalid.code()));
    }
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage().lines().findFirst().orElse("");
    return new InferFailed(Reason.MODEL_ERROR, "the model could not process the input: " + message);
  }

  private Behavior<Command> onGetStatus(GetStatus get) {
    List<ModelStatus> models = residency.status().stream()
        .map(s -> new ModelStatus(s.key(), s.bytes(), s.queueDepth(), s.inFlight(), s.lastUsed(), s.batches(),
            s.lastBatchSize(), s.recentBatchSize()))
        .toList();
    get.replyTo().tell(new WorkerStatus(workerId, residency.device().toString(), residency.budgetBytes(),
        residency.usedBytes(), models, pool, residency.utilization()));
    return this;
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
