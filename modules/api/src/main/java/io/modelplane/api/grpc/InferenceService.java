package io.modelplane.api.grpc;

import akka.http.javadsl.model.StatusCodes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.modelplane.api.ApiDirectives;
import io.modelplane.api.ApiError;
import io.modelplane.api.ApiSettings;
import io.modelplane.api.ErrorHandling;
import io.modelplane.api.FailedAuthentications;
import io.modelplane.api.Metrics;
import io.modelplane.api.grpc.oip.GRPCInferenceServiceGrpc;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferRequest;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferResponse;
import io.modelplane.api.grpc.oip.OpenInference.ModelMetadataRequest;
import io.modelplane.api.grpc.oip.OpenInference.ModelMetadataResponse;
import io.modelplane.api.grpc.oip.OpenInference.ModelReadyRequest;
import io.modelplane.api.grpc.oip.OpenInference.ModelReadyResponse;
import io.modelplane.api.grpc.oip.OpenInference.ServerLiveRequest;
import io.modelplane.api.grpc.oip.OpenInference.ServerLiveResponse;
import io.modelplane.api.grpc.oip.OpenInference.ServerMetadataRequest;
import io.modelplane.api.grpc.oip.OpenInference.ServerMetadataResponse;
import io.modelplane.api.grpc.oip.OpenInference.ServerReadyRequest;
import io.modelplane.api.grpc.oip.OpenInference.ServerReadyResponse;
import io.modelplane.api.predict.PredictErrors;
import io.modelplane.api.predict.PredictRoutes;
import io.modelplane.api.predict.TensorCodec;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TensorSpec;
import io.modelplane.identity.Authenticator;
import io.modelplane.identity.Principal;
import io.modelplane.inference.gateway.Admission;
import io.modelplane.inference.gateway.PredictPipeline;
import io.modelplane.inference.gateway.PredictTracing;
import io.modelplane.inference.runtime.Tensor;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Open Inference Protocol v2 gRPC service ({@code inference.GRPCInferenceService}). The same
 * credentials, predict pipeline (admission, routing, traffic split, metering), validation and errors as
 * the REST predict API ({@link PredictRoutes}); only the wire format differs. Server liveness, readiness
 * and metadata need no credential, as on REST.
 */
public final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> RATE_LIMIT = Metadata.Key.of("ratelimit-limit", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> RATE_REMAINING = Metadata.Key.of("ratelimit-remaining",
      Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> RATE_RESET = Metadata.Key.of("ratelimit-reset", Metadata.ASCII_STRING_MARSHALLER);

  static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> TRACESTATE = Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * What the interceptor hands a call: its authorization metadata, client address, extra trailers and
   * the caller's trace context (from W3C {@code traceparent} metadata; root when none).
   */
  private record CallInfo(String authorization, InetAddress client, Metadata trailers,
      io.opentelemetry.context.Context parent) {}

  private static final Context.Key<CallInfo> CALL = Context.key("modelplane-call");

  private final Authenticator authenticator;
  private final FailedAuthentications failures;
  private final PredictRoutes predict;
  private final ApiSettings settings;
  private final Metrics metrics;
  private final Supplier<CompletionStage<Boolean>> readiness;

  /**
   * @param predict the REST predict API's model lookups, pipeline call and metrics, shared
   * @param failures the per-address limit on failed authentications (the same one as HTTP's)
   * @param readiness this node's readiness, as {@code /v2/health/ready} answers it
   */
  public InferenceService(Authenticator authenticator, FailedAuthentications failures, PredictRoutes predict,
      ApiSettings settings, Metrics metrics, Supplier<CompletionStage<Boolean>> readiness) {
    this.authenticator = authenticator;
    this.failures = failures;
    this.predict = predict;
    this.settings = settings;
    this.metrics = metrics;
    this.readiness = readiness;
  }

  /** The service with its interceptor, to add to a server. */
  public ServerServiceDefinition definition() {
    return ServerInterceptors.intercept(this, new CallInterceptor());
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
    reply(out, ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
    complete(out, readiness.get().thenApply(ready -> ServerReadyResponse.newBuilder().setReady(ready).build()));
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
    reply(out, ServerMetadataResponse.newBuilder().setName(PredictRoutes.SERVER_NAME).setVersion(ApiSettings.VERSION)
        .build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
    authenticated(out, principal -> model(principal, request.getName(), request.getVersion(), (key, version) ->
        predict.modelReady(key, version).thenApply(ready -> ModelReadyResponse.newBuilder().setReady(ready).build())));
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
    authenticated(out, principal -> model(principal, request.getName(), request.getVersion(), (key, version) ->
        predict.modelMetadata(key, version).thenApply(m -> {
          ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder()
              .setName(m.name()).addAllVersions(m.versions()).setPlatform(m.platform());
          m.inputs().forEach(t -> b.addInputs(tensorMetadata(t)));
          m.outputs().forEach(t -> b.addOutputs(tensorMetadata(t)));
          return b.build();
        })));
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
    long started = System.nanoTime();
    CallInfo call = CALL.get();
    Metadata trailers = call.trailers();
    Span span = predict.tracing().start("ModelInfer", call.parent(), SpanKind.SERVER);
    span.setAttribute("rpc.system", "grpc");
    span.setAttribute("rpc.service", "inference.GRPCInferenceService");
    span.setAttribute("rpc.method", "ModelInfer");
    span.setAttribute("modelplane.model", request.getModelName());
    io.opentelemetry.context.Context trace = call.parent().with(span);
    authenticated(traced(out, span), predict.traced(authenticator, trace),
        principal -> model(principal, request.getModelName(), request.getModelVersion(), (key, version) -> {
          Inputs inputs = new Inputs(request);
          return predict.predict(PredictRoutes.caller(principal), new PredictPipeline.Request(key, version, inputs),
                  trace)
              .thenApply(result -> answer(key, result, inputs, trailers, started));
        }));
  }

  /** {@code out}, ending {@code span} with the call's status code. */
  private static <T> StreamObserver<T> traced(StreamObserver<T> out, Span span) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        out.onNext(value);
      }

      @Override
      public void onError(Throwable t) {
        Status.Code code = Status.fromThrowable(t).getCode();
        span.setAttribute("rpc.grpc.status_code", code.value());
        span.setStatus(StatusCode.ERROR, code.name());
        span.end();
        out.onError(t);
      }

      @Override
      public void onCompleted() {
        span.setAttribute("rpc.grpc.status_code", Status.Code.OK.value());
        span.end();
        out.onCompleted();
      }
    };
  }

  private ModelInferResponse answer(ModelKey key, PredictPipeline.Result result, Inputs inputs, Metadata trailers,
      long started) {
    rateLimit(trailers, result.rateLimit());
    if (result instanceof PredictPipeline.Failed failed) {
      ApiError error = PredictErrors.toApiError(failed.failure());
      predict.answered(key, result, error.status().intValue(), started);
      throw error;
    }
    try {
      ModelInferResponse response = inputs.encode(key, (PredictPipeline.Predicted) result);
      predict.answered(key, result, 200, started);
      return response;
    } catch (RuntimeException e) {
      predict.answered(key, result, ErrorHandling.status(e), started);
      throw e;
    }
  }

  /** The request's inputs, decoded once the pipeline has admitted the call and knows the version's signature. */
  private final class Inputs implements PredictPipeline.Inputs {
    private final ModelInferRequest request;
    private volatile TensorCodec.OutputSelection wanted;
    private volatile boolean raw;

    Inputs(ModelInferRequest request) {
      this.request = request;
    }

    @Override
    public CompletionStage<List<Tensor>> decode(PredictPipeline.Signature signature) {
      try {
        raw = GrpcTensors.rawOutputs(request);
        wanted = GrpcTensors.selection(request, signature.outputs());
        return CompletableFuture.completedFuture(
            GrpcTensors.decode(request, signature.inputs(), settings.maxInferElements()));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    ModelInferResponse encode(ModelKey key, PredictPipeline.Predicted prediction) {
      ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
          .setModelName(key.model().value())
          .setModelVersion(String.valueOf(prediction.version().version()))
          .setId(request.getId());
      List<Tensor> outputs = new ArrayList<>();
      for (Tensor t : prediction.outputs()) {
        if (wanted.wants(t.name())) {
          outputs.add(t);
        }
      }
      // raw for all outputs or for none (the protocol allows no mix); a datatype without contents forces raw
      boolean asRaw = raw || outputs.stream().anyMatch(t -> !GrpcTensors.typed(t.datatype()));
      for (Tensor t : outputs) {
        ModelInferResponse.InferOutputTensor.Builder out = GrpcTensors.header(t);
        if (asRaw) {
          response.addRawOutputContents(com.google.protobuf.UnsafeByteOperations.unsafeWrap(t.data()));
        } else {
          out.setContents(GrpcTensors.contents(t));
        }
        response.addOutputs(out);
      }
      return response.build();
    }
  }

  /** The model a call names, once the principal may use it; {@code version} "" is the deployment's choice. */
  private <T> CompletionStage<T> model(Principal principal, String name, String version,
      java.util.function.BiFunction<ModelKey, Integer, CompletionStage<T>> body) {
    ApiError refused = PredictRoutes.refusal(principal, name);
    if (refused != null) {
      return CompletableFuture.failedFuture(refused);
    }
    Integer number = null;
    if (!version.isEmpty()) {
      try {
        number = Integer.valueOf(version);
      } catch (NumberFormatException e) {
        return CompletableFuture.failedFuture(ApiError.notFound("version_not_found",
            "version " + version + " of model " + name + " does not exist; versions are numbers"));
      }
    }
    return body.apply(new ModelKey(principal.tenant(), ModelId.of(name)), number);
  }

  /**
   * Runs {@code body} for the call's credential (metadata {@code authorization: Bearer …}), as HTTP
   * authenticates: a missing or invalid one is UNAUTHENTICATED and counts against the client's address.
   */
  private <T> void authenticated(StreamObserver<T> out, Function<Principal, CompletionStage<T>> body) {
    authenticated(out, authenticator, body);
  }

  private <T> void authenticated(StreamObserver<T> out, Authenticator authenticator,
      Function<Principal, CompletionStage<T>> body) {
    CallInfo call = CALL.get();
    InetAddress client = call.client();
    if (client != null) {
      OptionalLong wait = failures.refusal(client, System.nanoTime());
      if (wait.isPresent()) {
        int seconds = (int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(wait.getAsLong() + 999_999_999L));
        fail(out, new ApiError(StatusCodes.TOO_MANY_REQUESTS, "too_many_failed_authentications",
            "too many requests from your address failed authentication; retry later", seconds));
        return;
      }
    }
    Optional<String> credential = ApiDirectives.bearer(call.authorization());
    if (credential.isEmpty()) {
      failed(client, "missing_credential", null);
      fail(out, new ApiError(StatusCodes.UNAUTHORIZED, "missing_credential",
          "send metadata authorization: Bearer <API key or access token>"));
      return;
    }
    CompletionStage<T> answer;
    try {
      answer = authenticator.authenticate(credential.get()).thenCompose(principal -> {
        if (principal.isEmpty()) {
          failed(client, "invalid_credential", credential.get());
          return CompletableFuture.failedFuture(new ApiError(StatusCodes.UNAUTHORIZED, "invalid_credential",
              "the credential is not valid"));
        }
        return body.apply(principal.get());
      });
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    complete(out, answer);
  }

  private void failed(InetAddress client, String reason, String credential) {
    metrics.authenticationFailed(reason, credential);
    if (client != null) {
      failures.failed(client, System.nanoTime());
    }
  }

  private static <T> void complete(StreamObserver<T> out, CompletionStage<T> answer) {
    answer.whenComplete((response, failure) -> {
      if (failure == null) {
        reply(out, response);
      } else {
        fail(out, ErrorHandling.toApiError(failure));
      }
    });
  }

  private static <T> void reply(StreamObserver<T> out, T response) {
    out.onNext(response);
    out.onCompleted();
  }

  private static void fail(StreamObserver<?> out, ApiError error) {
    out.onError(GrpcErrors.toException(error));
  }

  private static void rateLimit(Metadata trailers, Admission.RateLimit limits) {
    if (limits == null) {
      return;
    }
    trailers.put(RATE_LIMIT, String.valueOf((long) Math.ceil(limits.limit())));
    trailers.put(RATE_REMAINING, String.valueOf(limits.remaining()));
    trailers.put(RATE_RESET, String.valueOf(Math.max(1, (limits.resetNanos() + 999_999_999L) / 1_000_000_000L)));
  }

  private static ModelMetadataResponse.TensorMetadata tensorMetadata(TensorSpec spec) {
    return ModelMetadataResponse.TensorMetadata.newBuilder()
        .setName(spec.name()).setDatatype(spec.datatype()).addAllShape(spec.shape()).build();
  }

  /** Hands each call its metadata and client address, and adds the trailers the call collected to its close. */
  private static final class CallInterceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      InetAddress client = remote instanceof InetSocketAddress a ? a.getAddress() : null;
      Metadata trailers = new Metadata();
      ServerCall<Q, R> withTrailers = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override
        public void close(Status status, Metadata closing) {
          closing.merge(trailers);
          super.close(status, closing);
        }
      };
      io.opentelemetry.context.Context parent = PredictTracing.extractFrom(name -> switch (name) {
        case "traceparent" -> headers.get(TRACEPARENT);
        case "tracestate" -> headers.get(TRACESTATE);
        default -> null;
      });
      Context context = Context.current().withValue(CALL,
          new CallInfo(headers.get(AUTHORIZATION), client, trailers, parent));
      return Contexts.interceptCall(context, withTrailers, headers, next);
    }
  }
}
