package io.modelplane.api;

import io.modelplane.control.placement.DeploymentFeed;
import io.modelplane.control.ControlPlane;
import static akka.http.javadsl.server.PathMatchers.integerSegment;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.unmarshalling.Unmarshaller;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.placement.PlacementCoordinator.ReplicaState;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@code /api/v1/tenants/{tenant}/models}: models, versions (uploads), deployments, rollback, history. */
final class ModelRoutes extends ApiDirectives {
  static final int DEFAULT_REPLICAS = 1;
  /** A version number as the API writes it: 1, 2, … without sign, leading zeros or spaces. */
  private static final java.util.regex.Pattern VERSION_NUMBER = java.util.regex.Pattern.compile("[1-9][0-9]{0,8}");
  static final int DEFAULT_MAX_BATCH_SIZE = 32;
  // 0: a batch takes whatever queued while the model was busy, so load alone forms batches and an idle
  // model adds no wait; a positive delay trades latency for fuller batches
  static final int DEFAULT_MAX_BATCH_DELAY_MS = 0;
  /** Reservations a first upload makes at most when releases of abandoned ones overtake it. */
  static final int RESERVATION_ATTEMPTS = 5;

  record DeployRequest(Map<String, Integer> traffic, Integer replicas, Integer maxBatchSize,
      Integer maxBatchDelayMs, Integer engineThreads, Long expectedRevision) {}

  /** {@code engineThreads} null: the node's default. */
  record DeploymentView(long revision, Map<String, Integer> traffic, int replicas, int maxBatchSize,
      int maxBatchDelayMs, Integer engineThreads, Instant createdAt, String createdBy) {
    static DeploymentView of(ModelEntity.DeploymentRevision r) {
      if (r == null) {
        return null;
      }
      Map<String, Integer> traffic = new LinkedHashMap<>();
      new TreeMap<>(r.spec().traffic()).forEach((v, p) -> traffic.put(String.valueOf(v), p));
      return new DeploymentView(r.revision(), traffic, r.spec().replicas(), r.spec().maxBatchSize(),
          r.spec().maxBatchDelayMs(), r.spec().engineThreads(), r.createdAt(), r.createdBy());
    }
  }

  record ModelView(String name, Instant createdAt, List<ModelEntity.VersionInfo> versions, DeploymentView deployment,
      String status, List<PlacementCoordinator.ReplicaView> replicas) {
    /** What a not-ready version shows first: the cause a user can act on before the transient ones. */
    private static final List<ReplicaState> HOLD_BACK =
        List.of(ReplicaState.QUOTA_EXCEEDED, ReplicaState.FAILED, ReplicaState.DEGRADED, ReplicaState.PENDING,
            ReplicaState.LOADING);

    static ModelView of(ModelEntity.Summary s, List<PlacementCoordinator.ReplicaView> replicas) {
      DeploymentView deployment = DeploymentView.of(s.deployment());
      return new ModelView(s.model(), s.createdAt(), s.versions(), deployment, status(deployment, replicas), replicas);
    }

    /**
     * The deployment at a glance (GET of one model): {@code ready} when every version with traffic has a
     * ready replica, else what holds the first one back that is not: {@code quota_exceeded}, {@code failed},
     * {@code pending} or {@code loading}; {@code not_deployed} without a deployment.
     */
    static String status(DeploymentView deployment, List<PlacementCoordinator.ReplicaView> replicas) {
      if (replicas == null) {
        return null;
      }
      if (deployment == null) {
        return "not_deployed";
      }
      ReplicaState worst = null;
      for (Map.Entry<String, Integer> split : deployment.traffic().entrySet()) {
        int version = Integer.parseInt(split.getKey());
        List<ReplicaState> states =
            replicas.stream().filter(r -> r.version() == version).map(PlacementCoordinator.ReplicaView::state).toList();
        if (split.getValue() == 0 || states.contains(ReplicaState.READY)) {
          continue;
        }
        for (ReplicaState state : states.isEmpty() ? List.of(ReplicaState.LOADING) : states) {
          if (worst == null || HOLD_BACK.indexOf(state) < HOLD_BACK.indexOf(worst)) {
            worst = state;
          }
        }
      }
      return worst == null ? "ready" : worst.name().toLowerCase(Locale.ROOT);
    }
  }

  record VersionCreatedView(String model, int version, String sha256, long sizeBytes) {}

  private final ControlPlane controlPlane;
  private final VersionUpload upload;
  private final DeploymentFeed deployments;
  private final ApiSettings settings;

  ModelRoutes(ControlPlane controlPlane, VersionUpload upload, DeploymentFeed deployments, ApiSettings settings) {
    this.controlPlane = controlPlane;
    this.upload = upload;
    this.deployments = deployments;
    this.settings = settings;
  }

  Route routes(Principal principal, TenantId tenant) {
    return pathPrefix("models", () -> concat(
        pathEnd(() -> get(() -> authorized(principal, Action.READ_MODELS, tenant, () ->
            respond(list(principal, tenant))))),
        pathPrefix(segment(), name -> {
          if (!ModelId.isValid(name)) {
            return complete(Json.error(modelNotFound(name)));
          }
          ModelKey key = new ModelKey(tenant, ModelId.of(name));
          return one(principal, key);
        })));
  }

  private Route one(Principal principal, ModelKey key) {
    TenantId tenant = key.tenant();
    return concat(
        pathEnd(() -> get(() -> authorized(principal, Action.READ_MODELS, tenant, () ->
            respond(summary(key).thenCombine(deployments.replicas(key), (s, replicas) ->
                Json.response(StatusCodes.OK, ModelView.of(s, replicas))))))),
        pathPrefix("versions", () -> concat(
            pathEnd(() -> concat(
                post(() -> authorized(principal, Action.WRITE_MODELS, tenant, () -> uploadVersion(principal, key))),
                get(() -> authorized(principal, Action.READ_MODELS, tenant, () -> respond(summary(key).thenApply(s ->
                    Json.response(StatusCodes.OK, Map.of("versions", s.versions())))))))),
            pathPrefix(integerSegment(), version -> concat(
                pathEnd(() -> get(() -> authorized(principal, Action.READ_MODELS, tenant, () ->
                    respond(summary(key).thenApply(s -> Json.response(StatusCodes.OK, version(s, version))))))),
                path("archive", () -> post(() -> authorized(principal, Action.WRITE_MODELS, tenant, () ->
                    respond(controlPlane.model(key, r -> new ModelEntity.ArchiveVersion(version, principal.subject(), r),
                            ModelEntity.Summary.class)
                        .thenApply(s -> Json.response(StatusCodes.OK, version(s, version))))))))))),
        pathPrefix("deployment", () -> concat(
            pathEnd(() -> concat(
                put(() -> authorized(principal, Action.WRITE_MODELS, tenant, () ->
                    jsonBody(settings.maxJsonBytes(), body -> respond(deploy(principal, key, body))))),
                get(() -> authorized(principal, Action.READ_MODELS, tenant, () -> respond(summary(key).thenApply(s -> {
                  if (s.deployment() == null) {
                    throw ApiError.notFound("deployment_not_found", "model " + key.model() + " has no deployment");
                  }
                  return Json.response(StatusCodes.OK, DeploymentView.of(s.deployment()));
                })))))),
            path("rollback", () -> post(() -> authorized(principal, Action.WRITE_MODELS, tenant, () ->
                respond(controlPlane.model(key, r -> new ModelEntity.Rollback(principal.subject(), r), ModelEntity.Deployed.class)
                    .thenApply(d -> Json.response(StatusCodes.ACCEPTED, deployedView(d))))))))),
        path("history", () -> get(() -> authorized(principal, Action.READ_MODELS, tenant, () ->
            respond(controlPlane.history(key).thenApply(events -> {
              if (events.isEmpty()) {
                throw modelNotFound(key.model().value());
              }
              return Json.response(StatusCodes.OK, Map.of("model", key.model().value(), "events", events));
            }))))));
  }

  private static ApiError modelNotFound(String name) {
    return ApiError.notFound("model_not_found", "model " + name + " does not exist");
  }

  private CompletionStage<ModelEntity.Summary> summary(ModelKey key) {
    return controlPlane.readModel(key, ModelEntity.Get::new, ModelEntity.Summary.class);
  }

  private static ModelEntity.VersionInfo version(ModelEntity.Summary s, int version) {
    return s.versions().stream().filter(v -> v.version() == version).findFirst()
        .orElseThrow(() -> ApiError.notFound("version_not_found",
            "version " + version + " of model " + s.model() + " does not exist"));
  }

  private CompletionStage<HttpResponse> list(Principal principal, TenantId tenant) {
    return controlPlane.tenantSummary(tenant).thenCompose(t -> {
      List<CompletableFuture<ModelView>> models = t.models().stream()
          .map(m -> summary(new ModelKey(tenant, ModelId.of(m)))
              .thenApply(s -> ModelView.of(s, null))
              // a name reserved by an upload that then failed (or was cut short) has no version: not a
              // model; its reservation is given up in the background
              .exceptionally(failure -> {
                if (ErrorHandling.refusal(failure).filter(e -> "model_not_found".equals(e.code())).isPresent()) {
                  controlPlane.releaseIfVacant(new ModelKey(tenant, ModelId.of(m)),
                      t.modelReservations().getOrDefault(m, 0L), principal.subject());
                }
                return null;
              })
              .toCompletableFuture())
          .toList();
      return CompletableFuture.allOf(models.toArray(CompletableFuture[]::new)).thenApply(done ->
          Json.response(StatusCodes.OK, Map.of("models",
              models.stream().map(CompletableFuture::join).filter(java.util.Objects::nonNull).toList())));
    });
  }

  /**
   * Upload: the tenant must exist (and, for a new model, have room) before a byte is stored; then
   * the artifact streams to the store; then the tenant reserves the model and the model registers
   * the version. A refusal at either step removes the newly stored artifact again.
   */
  private Route uploadVersion(Principal principal, ModelKey key) {
    // a 2 GiB upload outlasts the default request timeout
    return withRequestTimeout(scala.concurrent.duration.Duration.create(30, java.util.concurrent.TimeUnit.MINUTES), () ->
        withSizeLimit(settings.maxArtifactBytes() + settings.maxManifestBytes() + 64 * 1024, () ->
        entity(Unmarshaller.entityToMultipartFormData(), form -> extractMaterializer(mat ->
            respond(controlPlane.tenantSummary(key.tenant())
                .thenCompose(tenant -> roomFor(principal, tenant, key))
                .thenCompose(tenant -> upload.receive(form, mat).thenCompose(received ->
                    register(principal, key, received).whenComplete((ok, failure) -> {
                      // only a refusal is sure to have registered nothing; after a timeout the
                      // version may exist, and the orphan sweep removes the file if it does not
                      boolean refused = failure != null
                          && ErrorHandling.refusal(failure).filter(e -> e.status().intValue() < 500).isPresent();
                      upload.release(received.artifact(), !refused);
                    }))))))));
  }

  /**
   * Refuses early, before any upload, when a new model would exceed the tenant's maxModels; at the limit,
   * names reserved by uploads that never registered a version are given up first, so they never count.
   */
  private CompletionStage<TenantEntity.Summary> roomFor(Principal principal, TenantEntity.Summary tenant, ModelKey key) {
    if (!atModelLimit(tenant, key)) {
      return CompletableFuture.completedFuture(tenant);
    }
    return controlPlane.releaseVacantModels(tenant, principal.subject()).thenApply(healed -> {
      if (atModelLimit(healed, key)) {
        throw ApiError.of(io.modelplane.common.Rejection.quotaExceeded("model_quota_exceeded",
            "tenant " + healed.id() + " may hold at most " + healed.quota().maxModels() + " models"));
      }
      return healed;
    });
  }

  private static boolean atModelLimit(TenantEntity.Summary tenant, ModelKey key) {
    Integer maxModels = tenant.quota().maxModels();
    boolean newModel = !tenant.models().contains(key.model().value());
    return newModel && maxModels != null && tenant.models().size() >= maxModels;
  }

  /**
   * The tenant reserves the name, then the model registers the version under that reservation (its
   * number comes from the model's journal, so an acknowledged number is never given out again). When
   * the registration fails, a reservation whose model has no version is given up again.
   */
  private CompletionStage<HttpResponse> register(Principal principal, ModelKey key, VersionUpload.Result received) {
    return registerUnderReservation(principal, key, received, RESERVATION_ATTEMPTS)
        .thenApply(added -> Json.response(StatusCodes.CREATED, new VersionCreatedView(key.model().value(),
                added.version().version(), added.version().sha256(), added.version().sizeBytes()))
            .addHeader(akka.http.javadsl.model.headers.Location.create("/api/v1/tenants/" + key.tenant()
                + "/models/" + key.model() + "/versions/" + added.version().version())));
  }

  /**
   * One reservation and registration. The release of an abandoned reservation of the same name (see
   * {@link ControlPlane#releaseIfVacant}) may overtake a first upload between its two steps: the model
   * then refuses the old reservation, and the upload completes that release and reserves the name again.
   */
  private CompletionStage<ModelEntity.VersionAdded> registerUnderReservation(Principal principal, ModelKey key,
      VersionUpload.Result received, int attemptsLeft) {
    VersionManifest m = received.manifest();
    String name = key.model().value();
    return controlPlane.tenant(key.tenant(), r -> new TenantEntity.AddModel(name, principal.subject(), r),
            TenantEntity.Summary.class)
        .thenCompose(t -> {
          long reservation = t.modelReservations().getOrDefault(name, 0L);
          return controlPlane.model(key, r -> new ModelEntity.RegisterVersion(
                  received.artifact().sha256(), received.artifact().sizeBytes(), m.format(), m.inputs(), m.outputs(),
                  m.description(), t.quota().maxVersionsPerModel(), reservation, principal.subject(), r),
              ModelEntity.VersionAdded.class)
              .handle((added, failure) -> {
                if (failure == null) {
                  return CompletableFuture.completedFuture(added);
                }
                boolean overtaken = ErrorHandling.refusal(failure)
                    .filter(e -> "model_reservation_released".equals(e.code())).isPresent();
                if (overtaken && attemptsLeft > 1) {
                  // finish that release in the tenant too (idempotent), so that the name is reserved anew
                  return controlPlane.releaseIfVacant(key, reservation, principal.subject())
                      .thenCompose(released -> registerUnderReservation(principal, key, received, attemptsLeft - 1));
                }
                controlPlane.releaseIfVacant(key, reservation, principal.subject());
                return CompletableFuture.<ModelEntity.VersionAdded>failedFuture(failure);
              })
              .thenCompose(java.util.function.Function.identity());
        });
  }

  private CompletionStage<HttpResponse> deploy(Principal principal, ModelKey key, JsonNode body) {
    body.path("traffic").forEach(percent -> {
      if (percent.isNumber() && !percent.isIntegralNumber()) {
        throw ApiError.badRequest("invalid_traffic_split", "traffic percents are whole numbers; " + percent
            + " is not");
      }
    });
    DeployRequest request = Json.bind(body, DeployRequest.class);
    if (request.traffic() == null || request.traffic().isEmpty()) {
      throw ApiError.badRequest("invalid_traffic_split", "traffic must map versions to percents, e.g. {\"1\": 100}");
    }
    Map<Integer, Integer> traffic = new TreeMap<>();
    request.traffic().forEach((version, percent) -> {
      // canonical numbers only: "+1", "01" or " 1" would name version 1 in a way nobody reads back
      if (!VERSION_NUMBER.matcher(version).matches()) {
        throw ApiError.badRequest("invalid_traffic_split", "traffic key '" + version + "' is not a version number");
      }
      int v = Integer.parseInt(version);
      if (percent == null) {
        throw ApiError.badRequest("invalid_traffic_split", "traffic for version " + version + " needs a percent");
      }
      traffic.put(v, percent);
    });
    ModelEntity.DeploymentSpec spec = new ModelEntity.DeploymentSpec(traffic,
        orDefault(request.replicas(), DEFAULT_REPLICAS),
        orDefault(request.maxBatchSize(), DEFAULT_MAX_BATCH_SIZE),
        orDefault(request.maxBatchDelayMs(), DEFAULT_MAX_BATCH_DELAY_MS),
        request.engineThreads());
    return controlPlane.model(key, r -> new ModelEntity.Deploy(spec, request.expectedRevision(), principal.subject(), r),
            ModelEntity.Deployed.class)
        .thenApply(d -> Json.response(StatusCodes.ACCEPTED, deployedView(d)));
  }

  private static Map<String, Object> deployedView(ModelEntity.Deployed d) {
    Map<String, Object> view = Json.MAPPER.convertValue(DeploymentView.of(d.revision()),
        new com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>>() {});
    view.put("previousRevision", d.previousRevision());
    return view;
  }

  private static int orDefault(Integer value, int fallback) {
    return value == null ? fallback : value;
  }
}
