package io.modelplane.api;

import io.modelplane.control.ControlPlane;
import static akka.http.javadsl.server.PathMatchers.integerSegment;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaType;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import akka.stream.Materializer;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import io.modelplane.inference.gateway.RoutingTable;
import io.modelplane.inference.gateway.InferenceGateway;
import io.modelplane.inference.gateway.InferenceRejected;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.OutputMismatchException;
import io.modelplane.inference.runtime.Tensor;
import io.modelplane.inference.runtime.TensorCodec;
import io.modelplane.metering.UsageMeter;
import io.modelplane.registry.ModelEntity;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The predict API: KServe Open Inference Protocol v2 (REST). The tenant comes from the credential. */
final class PredictRoutes extends ApiDirectives {
  static final String PLATFORM = "pytorch_torchscript";
  /** The binary tensor data extension's header: the byte length of the JSON part of a body. */
  static final String BINARY_HEADER = "Inference-Header-Content-Length";

  private final ControlPlane controlPlane;
  private final InferenceGateway gateway;
  private final ApiSettings settings;
  private final Admission admission;
  private final Metrics metrics;
  private final UsageMeter meter;

  PredictRoutes(ControlPlane controlPlane, InferenceGateway gateway, Admission admission, UsageMeter meter,
      ApiSettings settings, Metrics metrics) {
    this.meter = meter;
    this.admission = admission;
    this.metrics = metrics;
    this.controlPlane = controlPlane;
    this.gateway = gateway;
    this.settings = settings;
  }

  /** {@code GET /v2}: server metadata, as in the protocol with no credential; it names nothing of any tenant. */
  Route serverMetadata() {
    return pathEnd(() -> get(() -> complete(Json.response(StatusCodes.OK,
        Map.of("name", "modelplane", "version", ApiSettings.VERSION, "extensions", List.of("binary_tensor_data"))))));
  }

  Route routes(Principal principal) {
    return (concat(
        pathPrefix(segment("models").slash(segment()), name -> {
          if (principal.tenant() == null) {
            return complete(Json.error(new ApiError(StatusCodes.FORBIDDEN, "tenant_credential_required",
                "the predict API serves a tenant's models: use a credential of that tenant")));
          }
          return authorized(principal, Action.PREDICT, principal.tenant(), () -> {
            if (!ModelId.isValid(name)) {
              return complete(Json.error(modelNotFound(name)));
            }
            ModelKey key = new ModelKey(principal.tenant(), ModelId.of(name));
            return concat(
                model(key, null),
                pathPrefix(segment("versions").slash(integerSegment()), version -> model(key, version)));
          });
        })));
  }

  private Route model(ModelKey key, Integer version) {
    return concat(
        pathEnd(() -> get(() -> respond(metadata(key, version)))),
        path("ready", () -> get(() -> respond(ready(key, version)))),
        path("infer", () -> post(() -> extractMaterializer(mat -> extractRequestEntity(entity ->
            optionalHeaderValueByName(BINARY_HEADER, jsonLength -> {
          long started = System.nanoTime();
          Call call = new Call();
          return respond(admission.admit(key.tenant())
              .thenCompose(ticket -> {
                metrics.admissions.labelValues(key.tenant().value(), "admitted").inc();
                return readBody(entity, jsonLength.orElse(null), mat)
                    .thenCompose(body -> infer(key, version, body, call))
                    .handle((response, failure) -> {
                      ticket.release().run();
                      // every predict answer carries the tenant's rate-limit state
                      return (failure == null ? response : ErrorHandling.toResponse(failure)).addHeaders(ticket.headers());
                    });
              })
              .handle((answer, refused) -> {
                if (refused != null) {
                  entity.discardBytes(mat);
                  answer = ErrorHandling.toResponse(refused);
                  ErrorHandling.refusal(refused).filter(e -> e.status().intValue() == 429)
                      .ifPresent(e -> metrics.admissions.labelValues(key.tenant().value(), e.code()).inc());
                }
                measure(key, call, answer.status().intValue(), started);
                return answer;
              }));
        }))))));
  }

  /** A predict request: its JSON part and, with the binary tensor data extension, the bytes after it. */
  private record InferBody(JsonNode json, ByteBuffer binary) {}

  /**
   * Reads a predict body: plain JSON as always, or with {@value #BINARY_HEADER} a JSON part of that many
   * bytes followed by raw tensor bytes. Either way at most {@code max-infer-bytes} (413 beyond).
   */
  private CompletionStage<InferBody> readBody(HttpEntity entity, String jsonLength, Materializer mat) {
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

  private static ApiError invalidBinaryHeader(String problem) {
    return ApiError.badRequest("invalid_binary_header", BINARY_HEADER + " " + problem);
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  /** What one predict call came to, for metrics and metering: filled in as the call goes. */
  private static final class Call {
    volatile int version;
    volatile long items;
    volatile long computeMicros;
  }

  private void measure(ModelKey key, Call call, int status, long started) {
    String tenant = key.tenant().value();
    String version = call.version == 0 ? "" : String.valueOf(call.version);
    // a name nobody deployed is metered as "" so that made-up names cannot grow the usage tables
    String model = gateway.route(key.entityId()).isPresent() ? key.model().value() : "";
    meter.record(tenant, model, version, status, call.items, call.computeMicros);
    metrics.requests.labelValues(tenant, model, version, String.valueOf(status)).inc();
    metrics.latency.labelValues(tenant, model).observe((System.nanoTime() - started) / 1e9);
  }

  private CompletionStage<HttpResponse> metadata(ModelKey key, Integer version) {
    return summary(key).thenApply(s -> {
      ModelEntity.VersionInfo v = version != null ? version(s, version) : defaultVersion(s);
      ObjectNode body = Json.MAPPER.createObjectNode();
      body.put("name", key.model().value());
      ArrayNode versions = body.putArray("versions");
      s.versions().stream().filter(i -> !i.archived()).forEach(i -> versions.add(String.valueOf(i.version())));
      body.put("platform", PLATFORM);
      body.set("inputs", Json.MAPPER.valueToTree(v.inputs()));
      body.set("outputs", Json.MAPPER.valueToTree(v.outputs()));
      return Json.response(StatusCodes.OK, body);
    });
  }

  private CompletionStage<HttpResponse> ready(ModelKey key, Integer version) {
    return summary(key).thenApply(s -> {
      if (version != null) {
        version(s, version);
      }
      boolean ready = gateway.route(key.entityId())
          .map(route -> version != null
              ? gateway.isReady(key.entityId(), version)
              : route.traffic().keySet().stream().allMatch(v -> gateway.isReady(key.entityId(), v)))
          .orElse(false);
      return Json.response(StatusCodes.OK, Map.of("name", key.model().value(), "ready", ready));
    });
  }

  private CompletionStage<HttpResponse> infer(ModelKey key, Integer requested, InferBody request, Call call) {
    JsonNode body = request.json();
    RoutingTable.ModelRoute route = gateway.route(key.entityId()).orElse(null);
    if (route == null) {
      // tell "no such model" from "not deployed" only on this rare path
      return summary(key).thenApply(s -> {
        throw ApiError.notFound("model_not_deployed", "model " + key.model() + " has no deployment");
      });
    }
    int version = requested != null ? requested : InferenceGateway.pickVersion(route);
    RoutingTable.VersionRoute versionRoute = route.versions().get(version);
    if (versionRoute == null) {
      return summary(key).thenApply(s -> {
        version(s, version);
        throw ApiError.notFound("version_not_deployed",
            "version " + version + " of model " + key.model() + " is not in the current deployment");
      });
    }
    call.version = version; // only a deployed version: made-up numbers are not metered as versions
    TensorCodec.OutputSelection wanted;
    String id;
    List<Tensor> inputs;
    try {
      id = TensorCodec.requestId(body);
      wanted = TensorCodec.selectOutputs(body, versionRoute.outputs());
      inputs = TensorCodec.decodeInputs(body.get("inputs"), versionRoute.inputs(), settings.maxInferElements(),
          request.binary());
    } catch (InvalidInputException e) {
      throw invalidInput(e);
    }
    call.items = rows(inputs);
    return gateway.infer(key.entityId(), version, inputs).handle((prediction, failure) -> {
      if (failure != null) {
        throw rejected(ErrorHandling.unwrap(failure));
      }
      call.computeMicros = prediction.computeMicros();
      try {
        TensorCodec.checkOutputs(prediction.outputs(), versionRoute.outputs());
      } catch (OutputMismatchException e) {
        // the tenant's model broke its own manifest: an upstream fault, not the caller's
        throw new ApiError(StatusCodes.BAD_GATEWAY, OutputMismatchException.CODE, e.getMessage());
      }
      ObjectNode response = Json.MAPPER.createObjectNode();
      response.put("model_name", key.model().value());
      response.put("model_version", String.valueOf(prediction.version()));
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
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
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
    });
  }

  /** Items in the request: its batch dimension (1 for an input without one). */
  private static long rows(List<Tensor> inputs) {
    long[] shape = inputs.isEmpty() ? new long[0] : inputs.get(0).shape();
    return shape.length == 0 ? 1 : shape[0];
  }

  private static ApiError invalidInput(InvalidInputException e) {
    return new ApiError(e.kind() == InvalidInputException.Kind.MALFORMED
        ? StatusCodes.BAD_REQUEST : StatusCodes.UNPROCESSABLE_ENTITY, e.code(), e.getMessage());
  }

  private static RuntimeException rejected(Throwable failure) {
    if (failure instanceof InferenceRejected r) {
      return switch (r.kind()) {
        case UNAVAILABLE -> new ApiError(StatusCodes.SERVICE_UNAVAILABLE, r.code(), r.getMessage(), 1);
        // lasts until the deployment or the tenant's quota changes
        case NOT_SERVING -> new ApiError(StatusCodes.SERVICE_UNAVAILABLE, r.code(), r.getMessage(), 30);
        case TIMED_OUT -> new ApiError(StatusCodes.GATEWAY_TIMEOUT, r.code(), r.getMessage());
        case UNPROCESSABLE -> new ApiError(StatusCodes.UNPROCESSABLE_ENTITY, r.code(), r.getMessage());
        case NOT_DEPLOYED -> ApiError.notFound(r.code(), r.getMessage());
      };
    }
    if (failure instanceof InvalidInputException e) {
      return invalidInput(e);
    }
    return failure instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(failure);
  }

  private CompletionStage<ModelEntity.Summary> summary(ModelKey key) {
    return controlPlane.readModel(key, ModelEntity.Get::new, ModelEntity.Summary.class);
  }

  private static ApiError modelNotFound(String name) {
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
