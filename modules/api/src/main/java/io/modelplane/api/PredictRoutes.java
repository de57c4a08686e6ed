package io.modelplane.api;

import static akka.http.javadsl.server.PathMatchers.integerSegment;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TensorSpec;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import io.modelplane.inference.placement.RoutingTable;
import io.modelplane.inference.routing.InferenceGateway;
import io.modelplane.inference.routing.InferenceRejected;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.Tensor;
import io.modelplane.inference.runtime.TensorCodec;
import io.modelplane.metering.UsageMeter;
import io.modelplane.registry.ModelEntity;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The predict API: KServe Open Inference Protocol v2 (REST). The tenant comes from the credential. */
final class PredictRoutes extends ApiDirectives {
  static final String PLATFORM = "pytorch_torchscript";

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

  Route routes(Principal principal) {
    return (concat(
        pathEnd(() -> get(() -> complete(Json.response(StatusCodes.OK,
            Map.of("name", "modelplane", "version", ApiSettings.VERSION, "extensions", List.of()))))),
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
        path("infer", () -> post(() -> extractMaterializer(mat -> extractRequestEntity(entity -> {
          long started = System.nanoTime();
          Call call = new Call();
          return respond(admission.admit(key.tenant())
              .thenCompose(ticket -> {
                metrics.admissions.labelValues(key.tenant().value(), "admitted").inc();
                return Json.readObject(entity, settings.maxInferBytes(), mat)
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
                  if (ErrorHandling.unwrap(refused) instanceof ApiError e && e.status().intValue() == 429) {
                    metrics.admissions.labelValues(key.tenant().value(), e.code()).inc();
                  }
                }
                measure(key, call, answer.status().intValue(), started);
                return answer;
              }));
        })))));
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

  private CompletionStage<HttpResponse> infer(ModelKey key, Integer requested, JsonNode body, Call call) {
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
    Set<String> wanted = requestedOutputs(body, versionRoute.outputs());
    List<Tensor> inputs;
    try {
      inputs = TensorCodec.decodeInputs(body.get("inputs"), versionRoute.inputs(), settings.maxInferElements());
    } catch (InvalidInputException e) {
      throw invalidInput(e);
    }
    call.items = rows(inputs);
    JsonNode id = body.get("id");
    return gateway.infer(key.entityId(), version, inputs).handle((prediction, failure) -> {
      if (failure != null) {
        throw rejected(ErrorHandling.unwrap(failure));
      }
      call.computeMicros = prediction.computeMicros();
      ObjectNode response = Json.MAPPER.createObjectNode();
      response.put("model_name", key.model().value());
      response.put("model_version", String.valueOf(prediction.version()));
      if (id != null && !id.isNull()) {
        response.set("id", id);
      }
      ArrayNode outputs = response.putArray("outputs");
      for (Tensor t : prediction.outputs()) {
        if (wanted == null || wanted.contains(t.name())) {
          outputs.add(TensorCodec.encodeOutput(t));
        }
      }
      try {
        return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, Json.MAPPER.writeValueAsBytes(response));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Items in the request: its batch dimension (1 for an input without one). */
  private static long rows(List<Tensor> inputs) {
    long[] shape = inputs.isEmpty() ? new long[0] : inputs.get(0).shape();
    return shape.length == 0 ? 1 : shape[0];
  }

  /** The names in the request's {@code outputs} filter, or null for all; unknown names are a 400. */
  private static Set<String> requestedOutputs(JsonNode body, List<TensorSpec> outputs) {
    JsonNode filter = body.get("outputs");
    if (filter == null || filter.isNull()) {
      return null;
    }
    if (!filter.isArray()) {
      throw ApiError.badRequest("invalid_input", "outputs must be an array of {\"name\": ...}");
    }
    Set<String> known = new HashSet<>();
    outputs.forEach(o -> known.add(o.name()));
    Set<String> wanted = new HashSet<>();
    for (JsonNode o : filter) {
      String name = o.path("name").asText(null);
      if (name == null || !known.contains(name)) {
        throw new ApiError(StatusCodes.BAD_REQUEST, "unknown_output",
            "requested output " + (name == null ? "without a name" : "'" + name + "'") + " is not one of " + known);
      }
      wanted.add(name);
    }
    return wanted;
  }

  private static ApiError invalidInput(InvalidInputException e) {
    return new ApiError(e.kind() == InvalidInputException.Kind.MALFORMED
        ? StatusCodes.BAD_REQUEST : StatusCodes.UNPROCESSABLE_ENTITY, e.code(), e.getMessage());
  }

  private static RuntimeException rejected(Throwable failure) {
    if (failure instanceof InferenceRejected r) {
      return switch (r.kind()) {
        case UNAVAILABLE -> new ApiError(StatusCodes.SERVICE_UNAVAILABLE, r.code(), r.getMessage(), 1);
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
