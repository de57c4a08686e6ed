package io.modelplane.api;

import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.EntityTag;
import akka.http.javadsl.server.Route;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.VersionKey;
import io.modelplane.control.placement.DeploymentFeed;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import io.modelplane.inference.placement.PlacementCoordinator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The operator's cluster routes: {@code GET /api/v1/admin/cluster} (with an ETag, so a console polling it
 * gets 304 while nothing changed), draining and undraining a worker, and evicting a resident version.
 */
final class ClusterRoutes extends ApiDirectives {
  private final ClusterView view;
  private final DeploymentFeed placement;

  ClusterRoutes(ClusterView view, DeploymentFeed placement) {
    this.view = view;
    this.placement = placement;
  }

  Route routes(Principal principal) {
    return pathPrefix("admin", () -> concat(
        path("cluster", () -> get(() -> authorized(principal, Action.MANAGE_TENANTS, null, () ->
            onSuccess(view.snapshot().thenApply(snapshot -> Json.response(StatusCodes.OK, snapshot)), response ->
                conditional(EntityTag.create(tag(response), false), () -> complete(response)))))),
        pathPrefix(segment("workers").slash(segment()), worker -> concat(
            path("drain", () -> post(() -> authorized(principal, Action.MANAGE_TENANTS, null, () ->
                respond(drain(worker, true))))),
            path("undrain", () -> post(() -> authorized(principal, Action.MANAGE_TENANTS, null, () ->
                respond(drain(worker, false))))),
            pathPrefix(segment("residents").slash(segment()).slash(segment()), (tenant, model) ->
                path(segment(), version -> delete(() -> authorized(principal, Action.MANAGE_TENANTS, null, () ->
                    respond(evict(worker, tenant, model, version))))))))));
  }

  private CompletionStage<HttpResponse> drain(String worker, boolean draining) {
    return placement.setDraining(worker, draining).thenApply(set -> switch (set.outcome()) {
      case DONE -> Json.response(draining ? StatusCodes.ACCEPTED : StatusCodes.OK,
          Map.of("worker", worker, "draining", draining));
      case WORKER_NOT_FOUND -> throw workerNotFound(worker);
      case RESIDENT_NOT_FOUND, NOT_READY -> throw ApiError.unavailable(
          set.error() == null ? "placement is not ready; retry shortly" : set.error());
    });
  }

  private CompletionStage<HttpResponse> evict(String worker, String tenant, String model, String version) {
    VersionKey key = versionKey(tenant, model, version);
    if (key == null) {
      return java.util.concurrent.CompletableFuture.failedFuture(residentNotFound(worker, tenant, model, version));
    }
    return placement.evict(worker, key).thenApply(evicted -> switch (evicted.outcome()) {
      case DONE -> {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("worker", worker);
        body.put("tenant", tenant);
        body.put("model", model);
        body.put("version", key.version());
        body.put("evicted", true);
        yield Json.response(StatusCodes.ACCEPTED, body);
      }
      case WORKER_NOT_FOUND -> throw workerNotFound(worker);
      case RESIDENT_NOT_FOUND -> throw residentNotFound(worker, tenant, model, version);
      case NOT_READY -> throw ApiError.unavailable("placement is not ready; retry shortly");
    });
  }

  /** The version the path names; null when no version could have that name. */
  private static VersionKey versionKey(String tenant, String model, String version) {
    if (!TenantId.isValid(tenant) || !ModelId.isValid(model) || !version.matches("[1-9][0-9]{0,8}")) {
      return null;
    }
    return new VersionKey(new ModelKey(TenantId.of(tenant), ModelId.of(model)), Integer.parseInt(version));
  }

  private static ApiError workerNotFound(String worker) {
    return ApiError.notFound("worker_not_found", "no worker " + worker + " is in the cluster (GET /api/v1/admin/cluster lists them)");
  }

  private static ApiError residentNotFound(String worker, String tenant, String model, String version) {
    return ApiError.notFound("resident_not_found",
        "version " + version + " of model " + tenant + "/" + model + " is not placed on worker " + worker);
  }

  /** The tag of a view: a digest of its JSON, so that equal views give equal tags on every node. */
  private static String tag(HttpResponse response) {
    try {
      byte[] body = ((akka.http.javadsl.model.HttpEntity.Strict) response.entity()).getData().toArray();
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
