package io.modelplane.api;

import io.modelplane.control.placement.DeploymentFeed;
import io.modelplane.control.ControlPlane;
import io.modelplane.api.view.ModelList;
import io.modelplane.control.readside.PageRequest;
import io.modelplane.control.readside.ReadSide;
import static akka.http.javadsl.server.PathMatchers.integerSegment;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.unmarshalling.Unmarshaller;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.api.view.DeployRequest;
import io.modelplane.api.view.DeploymentView;
import io.modelplane.api.view.HistoryView;
import io.modelplane.api.view.ModelView;
import io.modelplane.api.view.VersionView;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@code /api/v1/tenants/{tenant}/models}: models, versions (uploads), deployments, rollback, history. */
final class ModelRoutes extends ApiDirectives {
  static final int DEFAULT_REPLICAS = 1;
  static final int DEFAULT_MIN_REPLICAS = 1;
  static final int DEFAULT_TARGET_IN_FLIGHT = 4;
  static final int DEFAULT_IDLE_UNLOAD_SECONDS = 600;
  /** A version number as the API writes it: 1, 2, … without sign, leading zeros or spaces. */
  private static final java.util.regex.Pattern VERSION_NUMBER = java.util.regex.Pattern.compile("[1-9][0-9]{0,8}");
  static final int DEFAULT_MAX_BATCH_SIZE = 32;
  // 0: a batch takes whatever queued while the model was busy, so load alone forms batches and an idle
  // model adds no wait; a positive delay trades latency for fuller batches
  static final int DEFAULT_MAX_BATCH_DELAY_MS = 0;
  /** Reservations a first upload makes at most when releases of abandoned ones overtake it. */
  static final int RESERVATION_ATTEMPTS = 5;

  private final ControlPlane controlPlane;
  private final ReadSide readSide;
  private final VersionUpload upload;
  private final DeploymentFeed deployments;
  private final ApiSettings settings;
  private final DiskGuard disk;

  ModelRoutes(ControlPlane controlPlane, ReadSide readSide, VersionUpload upload, DeploymentFeed deployments,
      ApiSettings settings, DiskGuard disk) {
    this.controlPlane = controlPlane;
    this.readSide = readSide;
    this.upload = upload;
    this.deployments = deployments;
    this.settings = settings;
    this.disk = disk;
  }

  Route routes(Principal principal, TenantId tenant) {
    return pathPrefix("models", () -> concat(
        pathEnd(() -> get(() -> authorized(principal, Action.READ_MODELS, tenant, () ->
            parameterOptional("limit", limit -> parameterOptional("after", after ->
                respond(list(principal, tenant, PageRequest.parse(limit.orElse(null), after.orElse(null))))))))),
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
                Json.response(StatusCodes.OK, ModelView.from(s, replicas))))))),
        pathPrefix("versions", () -> concat(
            pathEnd(() -> concat(
                post(() -> authorized(principal, Action.WRITE_MODELS, tenant, () -> uploadVersion(principal, key))),
                get(() -> authorized(principal, Action.READ_MODELS, tenant, () -> respond(summary(key).thenApply(s ->
                    Json.response(StatusCodes.OK, new VersionView.Listed(VersionView.from(s.versions()))))))))),
            pathPrefix(integerSegment(), version -> concat(
                pathEnd(() -> get(() -> authorized(principal, Action.READ_MODELS, tenant, () ->
                    respond(summary(key).thenApply(s -> Json.response(StatusCodes.OK, VersionView.from(version(s, version)))))))),
                path("archive", () -> post(() -> authorized(principal, Action.WRITE_MODELS, tenant, () ->
                    respond(controlPlane.model(key, r -> new ModelEntity.ArchiveVersion(version, principal.subject(), r),
                            ModelEntity.Summary.class)
                        .thenApply(s -> Json.response(StatusCodes.OK, VersionView.from(version(s, version)))))))))))),
        pathPrefix("deployment", () -> concat(
            pathEnd(() -> concat(
                put(() -> authorized(principal, Action.WRITE_MODELS, tenant, () ->
                    jsonBody(settings.maxJsonBytes(), body -> respond(deploy(principal, key, body))))),
                get(() -> authorized(principal, Action.READ_MODELS, tenant, () -> respond(summary(key).thenApply(s -> {
                  if (s.deployment() == null) {
                    throw ApiError.notFound("deployment_not_found", "model " + key.model() + " has no deployment");
                  }
                  return Json.response(StatusCodes.OK, DeploymentView.current(s));
                })))))),
            path("rollback", () -> post(() -> authorized(principal, Action.WRITE_MODELS, tenant, () ->
                respond(controlPlane.model(key, r -> new ModelEntity.Rollback(principal.subject(), r), ModelEntity.Deployed.class)
                    .thenApply(d -> Json.response(StatusCodes.ACCEPTED, DeploymentView.Deployed.from(d))))))))),
        path("history", () -> get(() -> authorized(principal, Action.READ_MODELS, tenant, () ->
            respond(readSide.audit().modelHistory(key).thenCompose(events -> events.isEmpty()
                // none yet: the model does not exist (404), or was created just now and its history is on its way
                ? summary(key).thenApply(s -> events)
                : CompletableFuture.completedFuture(events))
                .thenApply(events -> Json.response(StatusCodes.OK, new HistoryView.OfModel(key.model().value(), HistoryView.from(events)))))))));
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

  /**
   * A page of the tenant's models from the models table. Names reserved by uploads that failed (or were
   * cut short) have no version: they are no models, and their reservations are given up in the background.
   */
  private CompletionStage<HttpResponse> list(Principal principal, TenantId tenant, PageRequest page) {
    return controlPlane.tenantSummary(tenant).thenCompose(t -> {
      readSide.models().vacant(tenant).thenAccept(vacant -> vacant.forEach(row -> controlPlane.releaseIfVacant(
          new ModelKey(tenant, ModelId.of(row.model())), row.reservation(), principal.subject())));
      return readSide.models().page(tenant, page);
    }).thenApply(p -> Json.response(StatusCodes.OK, new ModelList(p.items().stream()
        .map(row -> ModelView.listed(new ModelEntity.Summary(row.tenant(), row.model(), row.createdAt(), row.versions(),
            row.deployment())))
        .toList(), p.next())));
  }

  /**
   * Upload: the tenant must exist (and, for a new model, have room) before a byte is stored; then
   * the artifact streams to the store; then the tenant reserves the model and the model registers
   * the version. A refusal at either step removes the newly stored artifact again. A disk nearly full
   * refuses the upload before a byte is read, and cuts it when it fills up meanwhile ({@link DiskGuard}).
   */
  private Route uploadVersion(Principal principal, ModelKey key) {
    // a 2 GiB upload outlasts the default request timeout
    return withRequestTimeout(scala.concurrent.duration.Duration.create(30, java.util.concurrent.TimeUnit.MINUTES), () ->
        extractRequestEntity(sent -> {
          disk.checkRoom(sent.getContentLengthOption());
          // the javadsl entity has no transformDataBytes; every entity is a scaladsl one, which keeps its kind and length
          return mapRequest(request -> request.withEntity(
                  ((akka.http.scaladsl.model.RequestEntity) request.entity()).transformDataBytes(disk.watch().<Object>mapMaterializedValue(m -> m).asScala())),
              () -> receiveVersion(principal, key));
        }));
  }

  private Route receiveVersion(Principal principal, ModelKey key) {
    return withSizeLimit(settings.maxArtifactBytes() + settings.maxManifestBytes() + 64 * 1024, () ->
        entity(Unmarshaller.entityToMultipartFormData(), form -> extractMaterializer(mat ->
            respond(controlPlane.tenantSummary(key.tenant())
                .thenCompose(tenant -> roomFor(principal, tenant, key))
                .thenCompose(tenant -> upload.receive(key.tenant(), form, mat).thenCompose(received ->
                    register(principal, key, received).whenComplete((ok, failure) -> {
                      // only a refusal is sure to have registered nothing; after a timeout the
                      // version may exist, and the orphan sweep removes the file if it does not
                      boolean refused = failure != null
                          && ErrorHandling.refusal(failure).filter(e -> e.status().intValue() < 500).isPresent();
                      upload.release(received.artifact(), !refused);
                    })))))));
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
        .thenApply(added -> Json.response(StatusCodes.CREATED, new VersionView.Created(key.model().value(),
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
    // counted against the tenant's quota on its plan as the plan is now
    return controlPlane.tenantSummary(key.tenant())
        .thenCompose(now -> controlPlane.tenant(key.tenant(),
            r -> new TenantEntity.AddModel(name, principal.subject(), r, now.quota()), TenantEntity.Summary.class))
        .thenCompose(t -> {
          long reservation = t.modelReservations().getOrDefault(name, 0L);
          return controlPlane.model(key, r -> new ModelEntity.RegisterVersion(
                  received.artifact().sha256(), received.artifact().sizeBytes(), m.format(), m.inputSpecs(), m.outputSpecs(),
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
    ModelEntity.Autoscaling autoscaling = autoscaling(request);
    int replicas = orDefault(request.replicas(),
        autoscaling == null ? DEFAULT_REPLICAS : Math.max(1, autoscaling.minReplicas()));
    ModelEntity.DeploymentSpec spec = new ModelEntity.DeploymentSpec(traffic, replicas,
        orDefault(request.maxBatchSize(), DEFAULT_MAX_BATCH_SIZE),
        orDefault(request.maxBatchDelayMs(), DEFAULT_MAX_BATCH_DELAY_MS),
        request.engineThreads(), autoscaling);
    return controlPlane.unlessDeleting(key.tenant())
        .thenCompose(live -> controlPlane.model(key, r -> new ModelEntity.Deploy(spec, request.expectedRevision(),
            principal.subject(), r), ModelEntity.Deployed.class))
        .thenApply(d -> Json.response(StatusCodes.ACCEPTED, DeploymentView.Deployed.from(d)));
  }

  /** Null without {@code maxReplicas}: its companions alone are a mistake, not a fixed deployment. */
  private static ModelEntity.Autoscaling autoscaling(DeployRequest request) {
    if (request.maxReplicas() == null) {
      if (request.minReplicas() != null || request.targetInFlight() != null || request.idleUnloadSeconds() != null) {
        throw ApiError.badRequest("invalid_autoscaling",
            "minReplicas, targetInFlight and idleUnloadSeconds apply to autoscaling: give maxReplicas too");
      }
      return null;
    }
    return new ModelEntity.Autoscaling(orDefault(request.minReplicas(), DEFAULT_MIN_REPLICAS), request.maxReplicas(),
        orDefault(request.targetInFlight(), DEFAULT_TARGET_IN_FLIGHT),
        orDefault(request.idleUnloadSeconds(), DEFAULT_IDLE_UNLOAD_SECONDS));
  }

  private static int orDefault(Integer value, int fallback) {
    return value == null ? fallback : value;
  }
}
