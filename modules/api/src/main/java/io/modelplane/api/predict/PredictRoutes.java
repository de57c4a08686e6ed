package io.modelplane.api.predict;

import static akka.http.javadsl.server.PathMatchers.integerSegment;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaType;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Complete;
import akka.http.javadsl.server.Route;
import akka.stream.Materializer;
import akka.util.ByteString;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.api.ApiDirectives;
import io.modelplane.api.ApiError;
import io.modelplane.api.ApiSettings;
import io.modelplane.api.Json;
import io.modelplane.api.Metrics;
import io.modelplane.api.view.TensorView;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TensorSpec;
import io.modelplane.control.ControlPlane;
import io.modelplane.identity.Action;
import io.modelplane.identity.Authenticator;
import io.modelplane.identity.Principal;
import io.modelplane.inference.gateway.Admission;
import io.modelplane.inference.gateway.PredictPipeline;
import io.modelplane.inference.gateway.PredictTracing;
import io.modelplane.inference.runtime.Tensor;
import io.modelplane.registry.ModelEntity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The predict API: KServe Open Inference Protocol v2 (REST). The tenant comes from the credential.
 * HTTP only: the body in and out ({@link TensorCodec}), one {@link PredictPipeline} call, its
 * outcome as a status, and the HTTP metrics.
 */
public final class PredictRoutes extends ApiDirectives {
  public static final String PLATFORM = "pytorch_torchscript";
  /** The server's name in its metadata. */
  public static final String SERVER_NAME = "modelplane";
  /** The binary tensor data extension's header: the byte length of the JSON part of a body. */
  public static final String BINARY_HEADER = "Inference-Header-Content-Length";

  private final ControlPlane controlPlane;
  private final PredictPipeline pipeline;
  private final ApiSettings settings;
  private final Metrics metrics;

  public PredictRoutes(ControlPlane controlPlane, PredictPipeline pipeline, ApiSettings settings, Metrics metrics) {
    this.controlPlane = controlPlane;
    this.pipeline = pipeline;
    this.settings = settings;
    this.metrics = metrics;
  }

  /** {@code GET /v2}: server metadata, as in the protocol with no credential; it names nothing of any tenant. */
  public Route serverMetadata() {
    return pathEnd(() -> get(() -> complete(Json.response(StatusCodes.OK,
        Map.of("name", SERVER_NAME, "version", ApiSettings.VERSION, "extensions", List.of("binary_tensor_data"))))));
  }

  public Route routes(Principal principal) {
    return routes(principal, Context.root());
  }

  /** The predict routes, their spans under {@code trace} (the request span). */
  public Route routes(Principal principal, Context trace) {
    return pathPrefix(segment("models").slash(segment()), name -> {
      ApiError refused = refusal(principal, name);
      if (refused != null) {
        return complete(Json.error(refused));
      }
      ModelKey key = new ModelKey(principal.tenant(), ModelId.of(name));
      PredictPipeline.Caller caller = caller(principal);
      return concat(
          model(caller, key, null, trace),
          pathPrefix(segment("versions").slash(integerSegment()), version -> model(caller, key, version, trace)));
    });
  }

  /**
   * Why {@code principal} may not use the predict API on its tenant's model {@code name} (a name that
   * cannot exist: model_not_found), or null when it may. Shared by every predict protocol.
   */
  public static ApiError refusal(Principal principal, String name) {
    if (principal.tenant() == null) {
      return new ApiError(StatusCodes.FORBIDDEN, "tenant_credential_required",
          "the predict API serves a tenant's models: use a credential of that tenant");
    }
    ApiError refused = ApiDirectives.refusal(principal, Action.PREDICT, principal.tenant());
    return refused != null ? refused : ModelId.isValid(name) ? null : modelNotFound(name);
  }

  public static PredictPipeline.Caller caller(Principal principal) {
    return new PredictPipeline.Caller(principal.tenant(), principal.subject());
  }

  /**
   * The request span of a predict API call ({@code predict}, server kind): its parent from the request's
   * W3C {@code traceparent}, ended when the route answers or rejects. {@code inner} gets its context.
   */
  public Route traced(Function<Context, Route> inner) {
    return extractRequest(request -> {
      PredictTracing tracing = pipeline.tracing();
      Context parent = tracing.extract(name -> request.getHeader(name).map(HttpHeader::value).orElse(null));
      Span span = tracing.start("predict", parent, SpanKind.SERVER);
      if (!span.isRecording()) {
        return inner.apply(parent.with(span)); // not sampled: its context still travels, nothing to record
      }
      span.setAttribute("rpc.system", "http");
      span.setAttribute("http.request.method", request.method().name());
      span.setAttribute("url.path", request.getUri().path());
      Context trace = parent.with(span);
      return mapRouteResultFuture(result -> result.whenComplete((done, failure) -> {
        if (done instanceof Complete complete) {
          int status = complete.getResponse().status().intValue();
          span.setAttribute("http.response.status_code", status);
          if (status >= 500) {
            span.setStatus(StatusCode.ERROR);
          }
        } else if (failure != null) {
          PredictTracing.error(span, failure);
        }
        span.end();
      }), () -> inner.apply(trace));
    });
  }

  /**
   * {@code authenticator} with an {@code authentication} span under {@code trace} around each call;
   * the span says whether the credential was valid and whose tenant it is, never the credential.
   */
  public Authenticator traced(Authenticator authenticator, Context trace) {
    PredictTracing tracing = pipeline.tracing();
    return credential -> tracing.span("authentication", trace, span -> authenticator.authenticate(credential)
        .thenApply(principal -> {
          span.setAttribute("modelplane.authenticated", principal.isPresent());
          principal.map(Principal::tenant).ifPresent(t -> span.setAttribute("modelplane.tenant", t.value()));
          return principal;
        }));
  }

  private Route model(PredictPipeline.Caller caller, ModelKey key, Integer version, Context trace) {
    return concat(
        pathEnd(() -> get(() -> respond(metadata(key, version)))),
        path("ready", () -> get(() -> respond(ready(key, version)))),
        path("infer", () -> post(() -> extractMaterializer(mat -> extractRequestEntity(entity ->
            optionalHeaderValueByName(BINARY_HEADER, jsonLength -> {
          long started = System.nanoTime();
          HttpInputs inputs = new HttpInputs(entity, jsonLength.orElse(null), mat);
          Span.fromContext(trace).setAttribute("modelplane.model", key.model().value());
          return respond(pipeline.predict(caller, new PredictPipeline.Request(key, version, inputs), trace)
              .thenApply(result -> answer(key, result, inputs, started)));
        }))))));
  }

  private HttpResponse answer(ModelKey key, PredictPipeline.Result result, HttpInputs inputs, long started) {
    HttpResponse response = result instanceof PredictPipeline.Predicted p
        ? inputs.encode(key, p)
        : Json.error(PredictErrors.toApiError(((PredictPipeline.Failed) result).failure()));
    // every predict answer carries the tenant's rate-limit state
    response = response.addHeaders(rateLimitHeaders(result.rateLimit()));
    answered(key, result, response.status().intValue(), started);
    return response;
  }

  /**
   * Counts a predict answer in the metrics: its admission decision and its status (an HTTP status; other
   * protocols give the one REST would have answered), {@code started} from {@link System#nanoTime()}.
   */
  public void answered(ModelKey key, PredictPipeline.Result result, int status, long started) {
    String tenant = key.tenant().value();
    PredictPipeline.Usage usage = result.usage();
    metrics.admission(tenant, usage.failure() != null && usage.failure().code().isAdmission()
        ? PredictErrors.toApiError(usage.failure()).code() : "admitted");
    // a name nobody deployed is labelled "" so that made-up names cannot grow the series
    metrics.predictAnswered(tenant, usage.model() == null ? "" : usage.model().model().value(),
        usage.version() == null ? "" : String.valueOf(usage.version()), status,
        (System.nanoTime() - started) / 1e9);
  }

  /** The call of this node's predict pipeline that every predict protocol makes. */
  public CompletionStage<PredictPipeline.Result> predict(PredictPipeline.Caller caller, PredictPipeline.Request request,
      Context trace) {
    return pipeline.predict(caller, request, trace);
  }

  /** The spans of this node's predict calls. */
  public PredictTracing tracing() {
    return pipeline.tracing();
  }

  private static List<HttpHeader> rateLimitHeaders(Admission.RateLimit limits) {
    if (limits == null) {
      return List.of();
    }
    return List.of(
        RawHeader.create("RateLimit-Limit", String.valueOf((long) Math.ceil(limits.limit()))),
        RawHeader.create("RateLimit-Remaining", String.valueOf(limits.remaining())),
        RawHeader.create("RateLimit-Reset", String.valueOf(seconds(limits.resetNanos()))));
  }

  private static long seconds(long nanos) {
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  /**
   * A predict body, read once the pipeline asks for it (after admission): plain JSON, or with
   * {@value #BINARY_HEADER} a JSON part of that many bytes followed by raw tensor bytes. Either way
   * at most {@code max-infer-bytes} (413 beyond). Keeps what the answer needs: the request id and
   * the outputs asked for.
   */
  private final class HttpInputs implements PredictPipeline.Inputs {
    private final HttpEntity entity;
    private final String jsonLength;
    private final Materializer mat;
    private volatile String id;
    private volatile TensorCodec.OutputSelection wanted;

    HttpInputs(HttpEntity entity, String jsonLength, Materializer mat) {
      this.entity = entity;
      this.jsonLength = jsonLength;
      this.mat = mat;
    }

    @Override
    public CompletionStage<List<Tensor>> decode(PredictPipeline.Signature signature) {
      return read().thenApply(body -> {
        id = TensorCodec.requestId(body.json());
        wanted = TensorCodec.selectOutputs(body.json(), signature.outputs());
        return TensorCodec.decodeInputs(body.json().get("inputs"), signature.inputs(), settings.maxInferElements(),
            body.binary());
      });
    }

    @Override
    public void discard() {
      entity.discardBytes(mat);
    }

    private CompletionStage<InferBody> read() {
      if (jsonLength == null) {
        return Json.readObject(entity, settings.maxInferBytes(), mat).thenApply(json -> new InferBody(json, null));
      }
      MediaType mediaType = entity.getContentType().mediaType();
      long length;
      try {
        length = Long.parseLong(jsonLength.trim());
      } catch (NumberFormatException e) {
        length = -1;
      }
      ApiError refused = null;
      if (!mediaType.equals(MediaTypes.APPLICATION_OCTET_STREAM) && !mediaType.equals(MediaTypes.APPLICATION_JSON)) {
        refused = new ApiError(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
            "a body with " + BINARY_HEADER + " must have Content-Type: application/octet-stream");
      } else if (length < 0) {
        refused = invalidBinaryHeader("must be the byte length of the JSON part, a non-negative integer; is '"
            + abbreviate(jsonLength) + "'");
      }
      if (refused != null) {
        entity.discardBytes(mat);
        return CompletableFuture.failedFuture(refused);
      }
      long headerLength = length;
      return entity.toStrict(Json.STRICT_TIMEOUT_MILLIS, settings.maxInferBytes(), mat).thenApply(strict -> {
        ByteString data = strict.getData();
        if (headerLength > data.size()) {
          throw invalidBinaryHeader("is " + headerLength + ", more than the whole body (" + data.size() + " bytes)");
        }
        JsonNode json = Json.parseObject(data.take((int) headerLength));
        return new InferBody(json, data.drop((int) headerLength).asByteBuffer());
      });
    }

    /** The prediction as the request asked for it: JSON outputs, binary ones after the JSON part. */
    HttpResponse encode(ModelKey key, PredictPipeline.Predicted prediction) {
      ObjectNode response = Json.MAPPER.createObjectNode();
      response.put("model_name", key.model().value());
      response.put("model_version", String.valueOf(prediction.version().version()));
      if (id != null) {
        response.put("id", id);
      }
      ArrayNode outputs = response.putArray("outputs");
      List<Tensor> binary = new ArrayList<>();
      for (Tensor t : prediction.outputs()) {
        if (wanted.wants(t.name())) {
          if (wanted.binary(t.name())) {
            outputs.add(TensorCodec.encodeBinaryOutput(t));
            binary.add(t);
          } else {
            outputs.add(TensorCodec.encodeOutput(t));
          }
        }
      }
      byte[] json;
      try {
        json = Json.MAPPER.writeValueAsBytes(response);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      if (binary.isEmpty()) {
        return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, json);
      }
      // the JSON part, then each binary output's bytes in the order of the outputs array; no copies
      ByteString entity = ByteString.fromArrayUnsafe(json);
      for (Tensor t : binary) {
        entity = entity.concat(ByteString.fromArrayUnsafe(t.data()));
      }
      return HttpResponse.create()
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, entity))
          .addHeader(RawHeader.create(BINARY_HEADER, String.valueOf(json.length)));
    }
  }

  /** A predict request: its JSON part and, with the binary tensor data extension, the bytes after it. */
  private record InferBody(JsonNode json, ByteBuffer binary) {}

  private static ApiError invalidBinaryHeader(String problem) {
    return ApiError.badRequest("invalid_binary_header", BINARY_HEADER + " " + problem);
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  /** A model's metadata as the protocol describes it: the version asked for, else the default one. */
  public record ModelMetadata(String name, List<String> versions, String platform, List<TensorSpec> inputs,
      List<TensorSpec> outputs) {}

  public CompletionStage<ModelMetadata> modelMetadata(ModelKey key, Integer version) {
    return summary(key).thenApply(s -> {
      ModelEntity.VersionInfo v = version != null ? version(s, version) : defaultVersion(s);
      List<String> versions = s.versions().stream().filter(i -> !i.archived()).map(i -> String.valueOf(i.version()))
          .toList();
      return new ModelMetadata(key.model().value(), versions, PLATFORM, v.inputs(), v.outputs());
    });
  }

  /** Whether the version (null: the deployment's) is ready; a version that does not exist fails with a 404. */
  public CompletionStage<Boolean> modelReady(ModelKey key, Integer version) {
    return summary(key).thenApply(s -> {
      if (version != null) {
        version(s, version);
      }
      return pipeline.isReady(key, version);
    });
  }

  private CompletionStage<HttpResponse> metadata(ModelKey key, Integer version) {
    return modelMetadata(key, version).thenApply(m -> {
      ObjectNode body = Json.MAPPER.createObjectNode();
      body.put("name", m.name());
      ArrayNode versions = body.putArray("versions");
      m.versions().forEach(versions::add);
      body.put("platform", m.platform());
      body.set("inputs", Json.MAPPER.valueToTree(TensorView.from(m.inputs())));
      body.set("outputs", Json.MAPPER.valueToTree(TensorView.from(m.outputs())));
      return Json.response(StatusCodes.OK, body);
    });
  }

  private CompletionStage<HttpResponse> ready(ModelKey key, Integer version) {
    return modelReady(key, version)
        .thenApply(ready -> Json.response(StatusCodes.OK, Map.of("name", key.model().value(), "ready", ready)));
  }

  private CompletionStage<ModelEntity.Summary> summary(ModelKey key) {
    return controlPlane.readModel(key, ModelEntity.Get::new, ModelEntity.Summary.class);
  }

  public static ApiError modelNotFound(String name) {
    return ApiError.notFound("model_not_found", "model " + name + " does not exist");
  }

  private static ModelEntity.VersionInfo version(ModelEntity.Summary s, int version) {
    return s.versions().stream().filter(v -> v.version() == version && !v.archived()).findFirst()
        .orElseThrow(() -> ApiError.notFound("version_not_found",
            "version " + version + " of model " + s.model() + " does not exist"));
  }

  /** Without a version: the one with the biggest traffic share, else the newest. */
  private static ModelEntity.VersionInfo defaultVersion(ModelEntity.Summary s) {
    if (s.deployment() != null) {
      int top = s.deployment().spec().traffic().entrySet().stream()
          .max(Map.Entry.comparingByValue()).orElseThrow().getKey();
      return version(s, top);
    }
    return s.versions().get(s.versions().size() - 1);
  }
}
