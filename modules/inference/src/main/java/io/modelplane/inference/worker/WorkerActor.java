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
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.runtime.CapacityExceededException;
import io.modelplane.inference.runtime.InsufficientMemoryException;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.ModelLoadException;
import io.modelplane.inference.runtime.ModelNotResidentException;
import io.modelplane.inference.runtime.ModelResidency;
import io.modelplane.inference.runtime.Tensor;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * One per device on worker nodes: keeps model versions resident (through {@link ModelResidency})
 * and serves inference on them. Loading runs on a dedicated executor and inference on each model's
 * batching thread: this actor's own thread only routes messages.
 */
public final class WorkerActor extends AbstractBehavior<WorkerActor.Command> {
  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "modelplane-worker");

  public sealed interface Command extends CborSerializable {}

  /** Make the version resident with these batching settings (idempotent). */
  public record Load(VersionToLoad version, BatchSettings batch, ActorRef<LoadResult> replyTo) implements Command {}

  public record Unload(String key) implements Command {}

  public record Infer(String key, List<Tensor> inputs, ActorRef<InferResult> replyTo) implements Command {}

  public record GetStatus(ActorRef<WorkerStatus> replyTo) implements Command {}

  private record LoadFinished(String key, Throwable failure, ActorRef<LoadResult> replyTo) implements Command {}

  public record LoadResult(String workerId, String key, boolean loaded, String error) implements CborSerializable {}

  public sealed interface InferResult extends CborSerializable {}

  public record Inferred(List<Tensor> outputs, long computeMicros) implements InferResult {}

  /**
   * Why inference did not happen. {@code retryable}: another replica (or a later try) may succeed;
   * {@code code} maps to the HTTP answer at the gateway.
   */
  public record InferFailed(String code, String message, boolean retryable) implements InferResult {}

  public record ModelStatus(String key, long bytes, int queueDepth, int inFlight) implements CborSerializable {}

  /** {@code pool}: the dedicated worker pool this worker serves (null: shared by every tenant without one). */
  public record WorkerStatus(String workerId, String device, long budgetBytes, long usedBytes, List<ModelStatus> models,
      String pool) implements CborSerializable {
    public WorkerStatus(String workerId, String device, long budgetBytes, long usedBytes, List<ModelStatus> models) {
      this(workerId, device, budgetBytes, usedBytes, models, null);
    }
  }

  public static Behavior<Command> create(String workerId, ModelResidency residency, Executor loadExecutor) {
    return create(workerId, null, residency, loadExecutor);
  }

  /** A worker of the dedicated {@code pool} (null or blank: a shared worker); placement learns it from {@link GetStatus}. */
  public static Behavior<Command> create(String workerId, String pool, ModelResidency residency, Executor loadExecutor) {
    String announced = pool == null || pool.isBlank() ? null : pool;
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      return new WorkerActor(ctx, workerId, announced, residency, loadExecutor);
    });
  }

  private final String workerId;
  private final String pool;
  private final ModelResidency residency;
  private final Executor loadExecutor;

  private WorkerActor(ActorContext<Command> ctx, String workerId, String pool, ModelResidency residency,
      Executor loadExecutor) {
    super(ctx);
    this.workerId = workerId;
    this.pool = pool;
    this.residency = residency;
    this.loadExecutor = loadExecutor;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Load.class, this::onLoad)
        .onMessage(LoadFinished.class, this::onLoadFinished)
        .onMessage(Unload.class, this::onUnload)
        .onMessage(Infer.class, this::onInfer)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onSignal(akka.actor.typed.PostStop.class, signal -> {
          residency.close();
          return this;
        })
        .build();
  }

  private Behavior<Command> onLoad(Load load) {
    long started = System.nanoTime();
    CompletableFuture<Void> loading = CompletableFuture.runAsync(
        () -> residency.load(load.version().toSpec(), load.batch()), loadExecutor);
    getContext().pipeToSelf(loading, (ok, failure) -> {
      if (failure == null) {
        getContext().getLog().info("loaded {} in {} ms", load.version().key(), (System.nanoTime() - started) / 1_000_000);
      }
      return new LoadFinished(load.version().key(), failure, load.replyTo());
    });
    return this;
  }

  private Behavior<Command> onLoadFinished(LoadFinished done) {
    if (done.failure() == null) {
      done.replyTo().tell(new LoadResult(workerId, done.key(), true, null));
    } else {
      Throwable cause = unwrap(done.failure());
      String reason = cause instanceof InsufficientMemoryException || cause instanceof ModelLoadException
          ? cause.getMessage()
          : "load failed: " + cause.getClass().getSimpleName();
      getContext().getLog().warn("could not load {}: {}", done.key(), reason);
      done.replyTo().tell(new LoadResult(workerId, done.key(), false, reason));
    }
    return this;
  }

  private Behavior<Command> onUnload(Unload unload) {
    // closing drains the model's batch thread: keep that off this actor's thread
    CompletableFuture.runAsync(() -> residency.unload(unload.key()), loadExecutor);
    return this;
  }

  private Behavior<Command> onInfer(Infer infer) {
    Optional<io.modelplane.inference.runtime.ModelResidency.ResidentModel> resident = residency.get(infer.key());
    if (resident.isEmpty()) {
      infer.replyTo().tell(new InferFailed("model_not_resident", infer.key() + " is not loaded on " + workerId, true));
      return this;
    }
    ActorRef<InferResult> replyTo = infer.replyTo();
    resident.get().infer(infer.inputs()).whenComplete((inference, failure) -> replyTo.tell(failure == null
        ? new Inferred(inference.outputs(), inference.computeNanos() / 1_000)
        : failed(failure)));
    return this;
  }

  /** What an inference failure means for the caller. */
  public static InferFailed failed(Throwable cause) {
    cause = unwrap(cause);
    if (cause instanceof CapacityExceededException) {
      return new InferFailed("capacity_exceeded", "the model's queue is full; retry shortly", true);
    }
    if (cause instanceof ModelNotResidentException) {
      return new InferFailed("model_not_resident", cause.getMessage(), true);
    }
    if (cause instanceof InvalidInputException invalid) {
      return new InferFailed(invalid.code(), invalid.getMessage(), false);
    }
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage().lines().findFirst().orElse("");
    return new InferFailed("model_error", "the model could not process the input: " + message, false);
  }

  private Behavior<Command> onGetStatus(GetStatus get) {
    List<ModelStatus> models = residency.status().stream()
        .map(s -> new ModelStatus(s.key(), s.bytes(), s.queueDepth(), s.inFlight()))
        .toList();
    get.replyTo().tell(new WorkerStatus(workerId, residency.device().toString(), residency.budgetBytes(),
        residency.usedBytes(), models, pool));
    return this;
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
