package io.modelplane.api;

import io.modelplane.control.readside.ReadSide;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpCharsets;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.modelplane.api.predict.PredictRoutes;
import io.modelplane.api.view.MeView;
import io.modelplane.common.TenantId;
import io.modelplane.control.ControlPlane;
import io.modelplane.control.offboarding.TenantExport;
import io.modelplane.control.offboarding.TenantOffboarding;
import io.modelplane.control.Plans;
import io.modelplane.control.billing.Billing;
import io.modelplane.control.billing.PlatformOverview;
import io.modelplane.control.placement.DeploymentFeed;
import io.modelplane.control.IdentityProvisioning;
import io.modelplane.control.changes.TenantChanges;
import io.modelplane.identity.Authenticator;
import io.modelplane.identity.Principal;
import io.modelplane.inference.gateway.PredictPipeline;
import io.modelplane.metering.UsageMeter;
import io.modelplane.metering.UsageStore;
import io.modelplane.registry.TenantArtifacts;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import static akka.http.javadsl.server.PathMatchers.segment;

/**
 * The whole HTTP surface of a node: health, the management API, its OpenAPI document, the tenant portal and
 * the operator console.
 */
public final class HttpApi extends ApiDirectives {
  private final Authenticator authenticator;
  private final Supplier<CompletionStage<Boolean>> readiness;
  private final TenantRoutes tenants;
  private final ModelRoutes models;
  private final PredictRoutes predict;
  private final ClusterRoutes cluster;
  private final UsageRoutes usage;
  private final BillingRoutes billing;
  private final AuditRoutes audit;
  private final KeyRoutes keys;
  private final PlanRoutes plans;
  private final IdentityRoutes identity;
  private final Map<String, String> authConfig;
  private final Metrics metrics;
  private final FailedAuthentications failures;
  private final WebAppRoutes portal;
  private final WebAppRoutes console;
  // built once: the route's suppliers run on every request
  private final akka.http.javadsl.server.ExceptionHandler exceptions = ErrorHandling.exceptionHandler();
  private final akka.http.javadsl.server.RejectionHandler rejections = ErrorHandling.rejectionHandler();
  private final byte[] openApi;

  /**
   * @param pipeline this node's predict calls; null on nodes without the gateway role (no predict API)
   * @param usage where usage is read
   * @param provisioning Keycloak provisioning; null when Keycloak is off (API keys only)
   * @param failures the per-address limit on failed authentications
   * @param readSide the read tables: lists, histories and the audit log
   * @param uploadDisk keeps uploads from filling the artifact directory's disk
   */
  public HttpApi(ControlPlane controlPlane, Authenticator authenticator, TenantArtifacts artifacts,
      DeploymentFeed deployments, PredictPipeline pipeline, TenantChanges changes,
      Usage usage, IdentityProvisioning provisioning, ApiSettings settings, Metrics metrics,
      FailedAuthentications failures, Supplier<CompletionStage<Boolean>> readiness, ReadSide readSide,
      DiskGuard uploadDisk) {
    this.metrics = metrics;
    this.failures = failures;
    this.authenticator = authenticator;
    this.readiness = readiness;
    Plans planCatalog = new Plans(controlPlane, readSide, changes);
    this.plans = new PlanRoutes(planCatalog, settings);
    java.util.concurrent.Executor blocking = controlPlane.system().dispatchers()
        .lookup(akka.actor.typed.DispatcherSelector.blocking());
    this.tenants = new TenantRoutes(controlPlane, planCatalog, readSide, changes, provisioning, settings,
        new TenantExport(controlPlane, readSide, usage.store(), artifacts, blocking, Clock.systemUTC()),
        new TenantOffboarding(controlPlane, changes, provisioning, artifacts));
    this.identity = new IdentityRoutes(controlPlane, changes, provisioning, settings);
    this.authConfig = provisioning == null ? Map.of("mode", "api-key") : Map.of("mode", "keycloak",
        "issuer", provisioning.settings().issuer(), "clientId", io.modelplane.identity.keycloak.KeycloakProvisioner.WEB_CLIENT);
    this.models = new ModelRoutes(controlPlane, readSide, new VersionUpload(artifacts, settings), deployments, settings,
        uploadDisk);
    this.audit = new AuditRoutes(readSide.audit());
    this.keys = new KeyRoutes(artifacts.keys());
    this.predict = pipeline == null ? null : new PredictRoutes(controlPlane, pipeline, settings, metrics);
    this.usage = new UsageRoutes(controlPlane, usage.store(), usage.queries(), java.time.Clock.systemUTC());
    this.billing = new BillingRoutes(controlPlane,
        new Billing(readSide.tenants(), usage.store(), usage.queries(), controlPlane::planOf),
        new PlatformOverview(readSide.tenants(), readSide.models(), usage.store(), usage.queries(), Clock.systemUTC()),
        Clock.systemUTC());
    this.cluster = new ClusterRoutes(new ClusterView(controlPlane.system(), deployments), deployments);
    this.openApi = resource("openapi.yaml");
    String issuer = provisioning == null ? null : provisioning.settings().issuer();
    this.portal = WebAppRoutes.portal(issuer);
    this.console = WebAppRoutes.console(issuer);
  }

  /** Metering as the API uses it: the node's meter, the usage tables and a pool for their blocking queries. */
  public record Usage(UsageMeter meter, UsageStore store, java.util.concurrent.Executor queries) {}

  public Route route() {
    return withRequestTimeoutResponse(ServerErrors::requestTimeout, () -> handleExceptions(exceptions, () ->
        handleRejections(rejections, () -> concat(
            health(),
            portal.route(),
            console.route(),
            path("metrics", () -> get(() -> authenticated(principal ->
                authorized(principal, io.modelplane.identity.Action.MANAGE_TENANTS, null, () ->
                    complete(HttpResponse.create().withEntity(ContentTypes.TEXT_PLAIN_UTF8, metrics.scrape())))))),
            pathPrefix(segment("api").slash("v1"), () -> concat(
                path("openapi.yaml", () -> get(() -> complete(HttpResponse.create().withEntity(
                    ContentTypes.create(MediaTypes.applicationWithFixedCharset("yaml", HttpCharsets.UTF_8)), openApi)))),
                path(segment("auth").slash("config"), () -> get(() ->
                    complete(Json.response(StatusCodes.OK, authConfig)))),
                authenticated(this::management))),
            predict == null ? reject() : pathPrefix("v2", () -> concat(
                predict.serverMetadata(),
                // server metadata and health need no credential: another method there is a 405, never a 401
                extractUnmatchedPath(rest -> rest.isEmpty() || rest.equals("/health") || rest.startsWith("/health/")
                    ? reject()
                    : predict.traced(trace -> authenticated(predict.traced(authenticator, trace),
                        principal -> predict.routes(principal, trace))))))))));
  }

  /**
   * Authentication, unless the client's address failed it too often lately (429 before any
   * credential is looked at); a failure counts against the address.
   */
  private Route authenticated(java.util.function.Function<Principal, Route> inner) {
    return authenticated(authenticator, inner);
  }

  private Route authenticated(Authenticator authenticator, java.util.function.Function<Principal, Route> inner) {
    return extractRequest(request -> {
      java.net.InetAddress client = request.getAttribute(akka.http.javadsl.model.AttributeKeys.remoteAddress)
          .flatMap(akka.http.javadsl.model.RemoteAddress::getAddress)
          .orElse(null);
      if (client != null) {
        java.util.OptionalLong wait = failures.refusal(client, System.nanoTime());
        if (wait.isPresent()) {
          int seconds = (int) Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(wait.getAsLong() + 999_999_999L));
          return complete(Json.error(new ApiError(StatusCodes.TOO_MANY_REQUESTS, "too_many_failed_authentications",
              "too many requests from your address failed authentication; retry later", seconds)));
        }
      }
      return authenticated(authenticator, (reason, credential) -> {
        metrics.authenticationFailed(reason, credential);
        if (client != null) {
          failures.failed(client, System.nanoTime());
        }
      }, inner);
    });
  }

  private Route management(Principal principal) {
    return concat(
        path("me", () -> get(() -> complete(Json.response(StatusCodes.OK, MeView.of(principal))))),
        cluster.routes(principal),
        usage.platformRoutes(principal),
        billing.platformRoutes(principal),
        audit.routes(principal),
        keys.routes(principal),
        plans.routes(principal),
        tenantRoutes(principal));
  }

  private Route tenantRoutes(Principal principal) {
    return pathPrefix("tenants", () -> concat(
        tenants.collection(principal),
        pathPrefix(segment(), id -> {
          if (!TenantId.isValid(id)) {
            return complete(Json.error(ApiError.tenantNotFound(id)));
          }
          TenantId tenant = TenantId.of(id);
          return concat(tenants.one(principal, tenant), usage.routes(principal, tenant), billing.routes(principal, tenant),
              identity.routes(principal, tenant), models.routes(principal, tenant));
        })));
  }

  private Route health() {
    return pathPrefix(segment("v2").slash("health"), () -> concat(
        path("live", () -> get(() -> complete(Json.response(StatusCodes.OK, Map.of("live", true))))),
        path("ready", () -> get(() -> onSuccess(readiness.get().exceptionally(failure -> false), ready -> ready
            ? complete(Json.response(StatusCodes.OK, Map.of("ready", true)))
            : complete(Json.response(StatusCodes.SERVICE_UNAVAILABLE, Map.of("ready", false,
                "error", "this node cannot serve yet (starting, not joined, or shutting down)", "code", "not_ready"))
                .addHeader(akka.http.javadsl.model.headers.RawHeader.create("Retry-After", "2"))))))));
  }

  private static byte[] resource(String name) {
    try (InputStream in = HttpApi.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
