package io.modelplane.inference.gateway;

import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.gateway.PredictFailure.Code;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.OutputMismatchException;
import io.modelplane.inference.runtime.Signatures;
import io.modelplane.inference.runtime.Tensor;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * One predict call, edge-free: admit (the tenant's quota) → route (traffic split, then the least
 * loaded ready replica) → infer → meter. Every call that was admitted releases its permit, and
 * every call is metered, whatever its outcome.
 */
public final class PredictPipeline {

  /** Who calls: the tenant whose model it is, and a label of the credential used (for logs and metrics). */
  public record Caller(TenantId tenant, String credential) {
    public Caller {
      Objects.requireNonNull(tenant, "tenant");
    }
  }

  /** A call of {@code model}, at {@code version} or (null) by the deployment's traffic split. */
  public record Request(ModelKey model, Integer version, Inputs inputs) {}

  /** The version's tensor signature, as its manifest declares it. */
  public record Signature(List<TensorSpec> inputs, List<TensorSpec> outputs) {}

  /** The request's inputs, decoded by the edge once the version (and so the signature) is known. */
  public interface Inputs {
    /**
     * The inputs, validated against {@code signature}; fails with an {@link InvalidInputException}
     * when they do not fit it, or with the edge's own failure (e.g. the body could not be read).
     */
    CompletionStage<List<Tensor>> decode(Signature signature);

    /** The call was refused before its inputs were needed: drop what the request holds. */
    default void discard() {}
  }

  /**
   * What a call is metered as: {@code model} null when it names no deployed model (made-up names
   * must not grow the usage tables), {@code version} null when no deployed version was routed to;
   * {@code failure} null for a prediction; {@code latencyMicros} from the call's start to its answer.
   */
  public record Usage(Caller caller, ModelKey model, Integer version, PredictFailure failure, long items,
      long computeMicros, long latencyMicros) {}

  /** The outcome of a call; {@code rateLimit} is the tenant's admission state (null: unlimited or unknown). */
  public sealed interface Result permits Predicted, Failed {
    Usage usage();

    Admission.RateLimit rateLimit();
  }

  public record Predicted(VersionKey version, List<Tensor> outputs, long computeMicros, Usage usage,
      Admission.RateLimit rateLimit) implements Result {}

  public record Failed(PredictFailure failure, Usage usage, Admission.RateLimit rateLimit) implements Result {}

  private final InferenceGateway gateway;
  private final Admission admission;
  private final ModelCatalog catalog;
  private final UsageRecorder usage;
  private final PredictTracing tracing;

  public PredictPipeline(InferenceGateway gateway, Admission admission, ModelCatalog catalog, UsageRecorder usage) {
    this(gateway, admission, catalog, usage, PredictTracing.NOOP);
  }

  public PredictPipeline(InferenceGateway gateway, Admission admission, ModelCatalog catalog, UsageRecorder usage,
      PredictTracing tracing) {
    this.gateway = gateway;
    this.admission = admission;
    this.catalog = catalog;
    this.usage = usage;
    this.tracing = tracing;
  }

  /** The spans of this node's predict calls, for the edges' request and authentication spans. */
  public PredictTracing tracing() {
    return tracing;
  }

  /** Never fails: every outcome, refusals included, is a {@link Result}. */
  public CompletionStage<Result> predict(Caller caller, Request request) {
    return predict(caller, request, Context.root());
  }

  /** As {@link #predict(Caller, Request)}, its spans under {@code trace} (the edge's request span). */
  public CompletionStage<Result> predict(Caller caller, Request request, Context trace) {
    long start = System.nanoTime();
    return safely(() -> tracing.span("admission", trace, span -> admission.admit(caller.tenant())
        .thenApply(decision -> {
          span.setAttribute("modelplane.admitted", decision instanceof Admission.Permit);
          return decision;
        }))).handle((decision, failure) -> {
      if (decision instanceof Admission.Permit permit) {
        return admitted(caller, request, permit, start, trace);
      }
      request.inputs().discard();
      PredictFailure refused = failure != null
          ? new PredictFailure(Code.REQUEST_FAILED, "admission failed", null, unwrap(failure))
          : refusal((Admission.Refusal) decision);
      return CompletableFuture.<Result>completedFuture(finish(call(caller, request.model(), start, trace), refused,
          decision == null ? null : decision.rateLimit()));
    }).thenCompose(r -> r);
  }

  /** Whether the version (null: every version in the traffic split) has a ready replica now. */
  public boolean isReady(ModelKey model, Integer version) {
    return gateway.route(model)
        .map(route -> version != null
            ? gateway.isReady(new VersionKey(model, version))
            : route.traffic().keySet().stream().allMatch(v -> gateway.isReady(new VersionKey(model, v))))
        .orElse(false);
  }

  /** Whether the model has a deployment (it is in the routing table). */
  public boolean isDeployed(ModelKey model) {
    return gateway.route(model).isPresent();
  }

  private CompletionStage<Result> admitted(Caller caller, Request request, Admission.Permit permit, long start,
      Context trace) {
    Call call = call(caller, request.model(), start, trace);
    return safely(() -> route(request, call)).handle((prediction, failure) -> {
      permit.release().run();
      if (failure == null) {
        Result done = new Predicted(prediction.version(), prediction.outputs(), prediction.computeMicros(),
            call.usage(null), permit.rateLimit());
        meter(call, done.usage());
        return done;
      }
      return finish(call, failureOf(unwrap(failure)), permit.rateLimit());
    });
  }

  private CompletionStage<InferenceGateway.Prediction> route(Request request, Call call) {
    ModelKey model = request.model();
    RoutingTable.ModelRoute route = gateway.route(model).orElse(null);
    if (route == null) {
      request.inputs().discard();
      return catalog.versions(model).thenApply(entry -> {
        throw entry.isEmpty() ? modelNotFound(model)
            : !entry.get().deployed().isEmpty() ? beingPlaced(model)
            : new InferenceRejected(Code.MODEL_NOT_DEPLOYED, "model " + model.model() + " has no deployment");
      });
    }
    int number = request.version() != null ? request.version() : InferenceGateway.pickVersion(route);
    RoutingTable.VersionRoute versionRoute = route.versions().get(number);
    if (versionRoute == null) {
      request.inputs().discard();
      return catalog.versions(model).thenApply(entry -> {
        if (entry.isEmpty()) {
          throw modelNotFound(model);
        }
        if (entry.get().deployed().contains(number)) {
          throw beingPlaced(model);
        }
        throw entry.get().versions().contains(number)
            ? new InferenceRejected(Code.VERSION_NOT_DEPLOYED,
                "version " + number + " of model " + model.model() + " is not in the current deployment")
            : new InferenceRejected(Code.VERSION_NOT_FOUND,
                "version " + number + " of model " + model.model() + " does not exist");
      });
    }
    call.version = number; // only a deployed version: made-up numbers are not metered as versions
    VersionKey version = new VersionKey(model, number);
    return request.inputs().decode(new Signature(versionRoute.inputs(), versionRoute.outputs()))
        .thenCompose(inputs -> {
          call.items = rows(inputs);
          return gateway.infer(version, inputs, call.trace);
        })
        .thenApply(prediction -> {
          call.computeMicros = prediction.computeMicros();
          Signatures.checkOutputs(prediction.outputs(), versionRoute.outputs());
          return prediction;
        });
  }

  private Call call(Caller caller, ModelKey model, long startNanos, Context trace) {
    return new Call(caller, model, gateway.route(model).isPresent(), startNanos, trace);
  }

  private Result finish(Call call, PredictFailure failure, Admission.RateLimit rateLimit) {
    Result done = new Failed(failure, call.usage(failure), rateLimit);
    meter(call, done.usage());
    return done;
  }

  private void meter(Call call, Usage metered) {
    tracing.spanNow("metering", call.trace, () -> {
      Span.current().setAttribute("modelplane.items", metered.items());
      usage.record(metered);
      return null;
    });
  }

  private static InferenceRejected modelNotFound(ModelKey model) {
    return new InferenceRejected(Code.MODEL_NOT_FOUND, "model " + model.model() + " does not exist");
  }

  /** Deployed, but the routing table does not have it yet: a 503 to retry, not a 404. */
  private static InferenceRejected beingPlaced(ModelKey model) {
    return new InferenceRejected(Code.MODEL_LOADING,
        "the deployment of model " + model.model() + " is being placed; retry shortly", 1);
  }

  private static PredictFailure refusal(Admission.Refusal refused) {
    Code code = switch (refused.reason()) {
      case RATE_LIMITED -> Code.RATE_LIMITED;
      case CONCURRENCY_LIMITED -> Code.CONCURRENCY_LIMITED;
      case BUDGET_EXHAUSTED -> Code.BUDGET_EXHAUSTED;
    };
    long seconds = Math.max(1, (refused.retryAfterNanos() + 999_999_999L) / 1_000_000_000L);
    return new PredictFailure(code, refused.message(), (int) Math.min(Integer.MAX_VALUE, seconds), null);
  }

  private static PredictFailure failureOf(Throwable failure) {
    if (failure instanceof InferenceRejected rejected) {
      return rejected.failure();
    }
    if (failure instanceof InvalidInputException invalid) {
      return new PredictFailure(Code.INVALID_INPUT, invalid.getMessage(), null, invalid);
    }
    if (failure instanceof OutputMismatchException mismatch) {
      // the tenant's model broke its own manifest: an upstream fault, not the caller's
      return new PredictFailure(Code.OUTPUT_MISMATCH, mismatch.getMessage());
    }
    return new PredictFailure(Code.REQUEST_FAILED, String.valueOf(failure.getMessage()), null, failure);
  }

  /** Items in the request: its batch dimension (1 for an input without one). */
  private static long rows(List<Tensor> inputs) {
    long[] shape = inputs.isEmpty() ? new long[0] : inputs.get(0).shape();
    return shape.length == 0 ? 1 : shape[0];
  }

  /** A stage of {@code step}, also when it throws instead of failing its stage. */
  private static <T> CompletionStage<T> safely(Supplier<CompletionStage<T>> step) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** What one call came to, for metering: filled in as the call goes. */
  private static final class Call {
    final Caller caller;
    final ModelKey model;
    final boolean deployed;
    final long startNanos;
    final Context trace;
    volatile Integer version;
    volatile long items;
    volatile long computeMicros;

    Call(Caller caller, ModelKey model, boolean deployed, long startNanos, Context trace) {
      this.caller = caller;
      this.model = model;
      this.deployed = deployed;
      this.startNanos = startNanos;
      this.trace = trace;
    }

    Usage usage(PredictFailure failure) {
      return new Usage(caller, deployed ? model : null, version, failure, items, computeMicros,
          (System.nanoTime() - startNanos) / 1_000);
    }
  }
}
