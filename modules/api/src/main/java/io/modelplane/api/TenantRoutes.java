package io.modelplane.api;

import io.modelplane.control.IdentityProvisioning;
import io.modelplane.control.changes.TenantChanges;
import io.modelplane.control.ControlPlane;
import io.modelplane.control.Plans;
import io.modelplane.control.offboarding.TenantExport;
import io.modelplane.control.offboarding.TenantOffboarding;
import io.modelplane.api.view.TenantList;
import io.modelplane.control.readside.PageRequest;
import io.modelplane.control.readside.ReadSide;
import io.modelplane.control.readside.TenantDirectory;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.api.view.ApiKeyView;
import io.modelplane.api.view.CreateApiKeyRequest;
import io.modelplane.api.view.CreateTenantRequest;
import io.modelplane.api.view.HistoryView;
import io.modelplane.api.view.QuotaView;
import io.modelplane.api.view.TenantView;
import io.modelplane.common.Plan;
import io.modelplane.common.QuotaOverrides;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import io.modelplane.identity.Action;
import io.modelplane.identity.ApiKeyCredential;
import io.modelplane.identity.Principal;
import io.modelplane.tenancy.TenantEntity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@code /api/v1/tenants}: tenants, their status and quota, and their API keys. */
final class TenantRoutes extends ApiDirectives {
  private static final Set<String> PATCHABLE = Set.of("displayName", "quota", "quotaOverrides", "plan", "workerPool");
  private static final int MAX_SEARCH_LENGTH = 200;

  private TenantView view(TenantEntity.Summary s) {
    return TenantView.from(s, provisioning != null);
  }

  private final ControlPlane controlPlane;
  private final Plans plans;
  private final ReadSide readSide;
  private final ApiSettings settings;
  private final TenantChanges changes;
  private final IdentityProvisioning provisioning;
  private final TenantExport export;
  private final TenantOffboarding offboarding;

  /** {@code provisioning} null when Keycloak is off. */
  TenantRoutes(ControlPlane controlPlane, Plans plans, ReadSide readSide, TenantChanges changes,
      IdentityProvisioning provisioning, ApiSettings settings, TenantExport export, TenantOffboarding offboarding) {
    this.export = export;
    this.offboarding = offboarding;
    this.plans = plans;
    this.readSide = readSide;
    this.provisioning = provisioning;
    this.changes = changes;
    this.controlPlane = controlPlane;
    this.settings = settings;
  }

  /** {@code /tenants} itself: create and list (operator). */
  Route collection(Principal principal) {
    return pathEnd(() -> authorized(principal, Action.MANAGE_TENANTS, null, () -> concat(
        post(() -> jsonBody(settings.maxJsonBytes(), body -> respond(create(principal, body)))),
        get(() -> parameterMap(params -> respond(list(filter(params),
            PageRequest.parse(params.get("limit"), params.get("after")))))))));
  }

  /** {@code /tenants/{tenant}/…} for one tenant. */
  Route one(Principal principal, TenantId tenant) {
    return concat(
        pathEnd(() -> concat(
            get(() -> authorized(principal, Action.READ_TENANT, tenant, () ->
                respond(controlPlane.tenantSummary(tenant).thenApply(s -> Json.response(StatusCodes.OK, view(s)))))),
            patch(() -> authorized(principal, Action.ADMINISTER_TENANT, tenant, () ->
                jsonBody(settings.maxJsonBytes(), body -> respond(changed(tenant, update(principal, tenant, body)))))),
            delete(() -> authorized(principal, Action.MANAGE_TENANTS, null, () ->
                parameterOptional("confirm", confirm -> parameterOptional("releaseId", releaseId ->
                    respond(delete(principal, tenant, confirm.orElse(null), releaseId.orElse(null))))))))),
        path("export", () -> post(() -> authorized(principal, Action.EXPORT_TENANT, tenant, () ->
            respond(export.begin(tenant, principal.subject()).thenApply(TenantRoutes::archive))))),
        path("suspend", () -> post(() -> authorized(principal, Action.ADMINISTER_TENANT, tenant, () ->
            respond(changed(tenant, statusChanged(tenant, false,
                tenantReply(tenant, r -> new TenantEntity.Suspend(principal.subject(), r)))))))),
        path("history", () -> get(() -> authorized(principal, Action.MANAGE_ACCESS, tenant, () ->
            respond(controlPlane.tenantSummary(tenant).thenCompose(s -> readSide.audit().tenantHistory(tenant))
                .thenApply(events -> Json.response(StatusCodes.OK, new HistoryView.OfTenant(tenant.value(), HistoryView.from(events)))))))),
        path("resume", () -> post(() -> authorized(principal, Action.ADMINISTER_TENANT, tenant, () ->
            respond(changed(tenant, statusChanged(tenant, true,
                tenantReply(tenant, r -> new TenantEntity.Resume(principal.subject(), r)))))))),
        pathPrefix("api-keys", () -> authorized(principal, Action.MANAGE_ACCESS, tenant, () -> concat(
            pathEnd(() -> concat(
                post(() -> jsonBody(settings.maxJsonBytes(), body -> respond(createApiKey(principal, tenant, body)))),
                get(() -> respond(controlPlane.tenantSummary(tenant).thenApply(s ->
                    Json.response(StatusCodes.OK, Map.of("apiKeys", s.apiKeys().stream().map(ApiKeyView::from).toList()))))))),
            path(segment(), keyId -> delete(() -> respond(changed(tenant,
                controlPlane.tenant(tenant, r -> new TenantEntity.RevokeApiKey(keyId, principal.subject(), r), TenantEntity.Summary.class)
                    .thenApply(s -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT))))))))));
  }

  /** {@code DELETE /tenants/{t}?confirm={t}[&releaseId=true]}: the confirmation must name the tenant. */
  private CompletionStage<HttpResponse> delete(Principal principal, TenantId tenant, String confirm, String releaseId) {
    if (!tenant.value().equals(confirm)) {
      throw ApiError.badRequest("confirmation_required",
          "deleting a tenant cannot be undone: repeat its id as ?confirm=" + tenant.value());
    }
    if (releaseId != null && !releaseId.equals("true") && !releaseId.equals("false")) {
      throw ApiError.badRequest("invalid_request", "releaseId must be true or false");
    }
    return offboarding.delete(tenant, "true".equals(releaseId), principal.subject())
        .thenApply(d -> Json.response(StatusCodes.OK, new DeletionView(d.tenant(), "deleted", d.deletedAt(),
            d.artifactsDeleted(), true, d.idReleased())));
  }

  /** What a deletion answers: the tenant's data key is always destroyed by the time it is deleted. */
  record DeletionView(String tenant, String status, java.time.Instant deletedAt, int artifactsDeleted,
      boolean dataKeyDestroyed, boolean idReleased) {}

  /** The export's zip, sent as it is written (chunked: its length is not known up front). */
  private static HttpResponse archive(TenantExport.Archive archive) {
    return HttpResponse.create().withStatus(StatusCodes.OK)
        .addHeader(akka.http.javadsl.model.headers.ContentDisposition.create(
            akka.http.javadsl.model.headers.ContentDispositionTypes.ATTACHMENT, Map.of("filename", archive.fileName())))
        .withEntity(akka.http.javadsl.model.HttpEntities.createChunked(ZIP, archive.bytes()));
  }

  private static final akka.http.javadsl.model.ContentType ZIP =
      akka.http.javadsl.model.ContentTypes.create(akka.http.javadsl.model.MediaTypes.APPLICATION_ZIP);

  private CompletionStage<HttpResponse> create(Principal principal, JsonNode body) {
    CreateTenantRequest request = Json.bind(body, CreateTenantRequest.class);
    if (request.id() == null) {
      throw ApiError.badRequest("invalid_tenant_id", "field 'id' is required");
    }
    if (!TenantId.isValid(request.id())) {
      throw ApiError.badRequest("invalid_tenant_id",
          "tenant id must be 3-40 characters of lowercase letters, digits and '-'");
    }
    TenantId tenant = TenantId.of(request.id());
    QuotaOverrides overrides = QuotaRequest.overrides(request.quota());
    return plans.forTenant(request.plan())
        .thenCompose(plan -> controlPlane.tenant(tenant, r -> new TenantEntity.Create(request.displayName(), plan.id(),
            plan.quota(), overrides, principal.subject(), r, request.workerPool()), TenantEntity.Summary.class))
        // this node learns that the tenant exists (its keys are refused unheard of); the others from the journal
        .thenCompose(s -> changes.changedHere(tenant).thenApply(told -> s))
        // Keycloak mode: usually provisioned before the answer; if Keycloak is slow or down the
        // tenant is answered as "provisioning" and the periodic resync completes it
        .thenCompose(s -> provisioning == null ? CompletableFuture.completedFuture(s)
            : provisioning.provisionWithin(tenant, s, Duration.ofSeconds(5)))
        .thenApply(s -> Json.response(StatusCodes.CREATED, view(s))
            .addHeader(akka.http.javadsl.model.headers.Location.create("/api/v1/tenants/" + s.id())));
  }

  /** A page of the tenants table, by id. */
  private CompletionStage<HttpResponse> list(TenantDirectory.Filter filter, PageRequest page) {
    return readSide.tenants().page(filter, page).thenApply(p -> Json.response(StatusCodes.OK,
        new TenantList(p.items().stream().map(this::view).toList(), p.next())));
  }

  /** {@code ?plan=<id>&status=active|suspended|deleting|deleted&q=<text>}: each given narrows the list. */
  private static TenantDirectory.Filter filter(Map<String, String> params) {
    String status = params.get("status");
    TenantEntity.Status wanted = null;
    if (status != null) {
      wanted = java.util.Arrays.stream(TenantEntity.Status.values()).filter(s -> s.wireName().equals(status))
          .findFirst().orElseThrow(() -> ApiError.badRequest("invalid_status",
              "status must be active, suspended, deleting or deleted"));
    }
    String q = params.get("q");
    if (q != null && q.length() > MAX_SEARCH_LENGTH) {
      throw ApiError.badRequest("invalid_request", "q must be at most " + MAX_SEARCH_LENGTH + " characters");
    }
    return new TenantDirectory.Filter(params.get("plan"), wanted, q == null || q.isBlank() ? null : q.strip());
  }

  private TenantView view(TenantDirectory.TenantRow r) {
    return new TenantView(r.id(), r.displayName(), r.status().wireName(), QuotaView.from(r.quota()), r.createdAt(),
        r.updatedAt(), r.models(),
        provisioning == null ? null : r.organizationId() == null ? new TenantView.IdentityView("provisioning", null)
            : new TenantView.IdentityView("provisioned", r.organizationId()),
        r.workerPool(), r.plan(), r.quotaOverrides().asMap());
  }

  /**
   * PATCH: fields present replace; {@code quota} names limits to override (null = unlimited), keeping the other
   * overrides; {@code quotaOverrides} replaces the whole set ({@code {}}: none, the plan's quota as it is).
   */
  private CompletionStage<HttpResponse> update(Principal principal, TenantId tenant, JsonNode body) {
    body.fieldNames().forEachRemaining(field -> {
      if (!PATCHABLE.contains(field)) {
        throw ApiError.badRequest("invalid_request",
            "unknown field '" + field + "'; patchable: displayName, plan, quota, quotaOverrides, workerPool");
      }
    });
    JsonNode poolNode = body.get("workerPool");
    if (poolNode != null && !poolNode.isTextual() && !poolNode.isNull()) {
      throw ApiError.badRequest("invalid_worker_pool", "workerPool must be a string, or null for the shared workers");
    }
    if (poolNode != null && poolNode.isTextual() && !io.modelplane.common.WorkerPool.isValid(poolNode.textValue())) {
      // checked before anything is written: a PATCH is applied whole or not at all
      throw ApiError.badRequest("invalid_worker_pool", io.modelplane.common.WorkerPool.RULE_TEXT);
    }
    JsonNode nameNode = body.get("displayName");
    if (nameNode != null && !nameNode.isTextual()) {
      throw ApiError.badRequest("invalid_display_name", "displayName must be a string");
    }
    JsonNode quotaPatch = body.get("quota");
    if (quotaPatch != null && !quotaPatch.isObject()) {
      throw ApiError.badRequest("invalid_quota", "quota must be an object");
    }
    JsonNode overridesNode = body.get("quotaOverrides");
    if (overridesNode != null && !overridesNode.isObject()) {
      throw ApiError.badRequest("invalid_quota", "quotaOverrides must be an object");
    }
    JsonNode planNode = body.get("plan");
    if (planNode != null && !planNode.isTextual()) {
      throw ApiError.badRequest("unknown_plan", "plan must be the id of a plan");
    }
    // parsed before anything is written: a PATCH is applied whole or not at all
    QuotaOverrides replaced = overridesNode == null ? null : QuotaRequest.overrides(overridesNode);
    QuotaOverrides named = quotaPatch == null ? null : QuotaRequest.overrides(quotaPatch);
    String displayName = nameNode == null ? null : nameNode.asText();
    boolean termsChange = planNode != null || replaced != null || named != null;
    CompletionStage<TenantEntity.Summary> change = !termsChange
        ? controlPlane.tenant(tenant, r -> new TenantEntity.Update(displayName, null, null, null, principal.subject(), r),
            TenantEntity.Summary.class)
        : controlPlane.tenantSummary(tenant).thenCompose(current -> {
          QuotaOverrides overrides = replaced != null ? replaced : current.quotaOverrides();
          QuotaOverrides next = named == null ? overrides : overrides.and(named);
          CompletionStage<Plan> plan = planNode != null ? plans.forTenant(planNode.textValue())
              : controlPlane.planOf(tenant);
          return plan.thenCompose(p -> controlPlane.tenant(tenant, r -> new TenantEntity.Update(displayName, p.id(),
              p.quota(), next, principal.subject(), r), TenantEntity.Summary.class));
        });
    return change
        .thenCompose(s -> poolNode == null ? CompletableFuture.completedFuture(s)
            : controlPlane.tenant(tenant, r -> new TenantEntity.SetWorkerPool(poolNode.isNull() ? null : poolNode.asText(),
                principal.subject(), r), TenantEntity.Summary.class))
        // placement hears of a new maxResidentBytes or worker pool from the journal
        .thenApply(s -> Json.response(StatusCodes.OK, view(s)));
  }

  /** In Keycloak mode the tenant's service accounts follow its status (best effort; tokens are checked anyway). */
  private CompletionStage<HttpResponse> statusChanged(TenantId tenant, boolean active, CompletionStage<HttpResponse> change) {
    return provisioning == null ? change : change.thenCompose(response ->
        provisioning.statusChanged(tenant, active).thenApply(done -> response));
  }

  /**
   * Once the change is recorded, this node forgets what it cached of the tenant before answering; the
   * other nodes hear of it from the journal (see {@link TenantChanges}).
   */
  private CompletionStage<HttpResponse> changed(TenantId tenant, CompletionStage<HttpResponse> change) {
    return change.thenCompose(response -> changes.changedHere(tenant).thenApply(told -> response));
  }

  private CompletionStage<HttpResponse> tenantReply(TenantId tenant,
      java.util.function.Function<akka.actor.typed.ActorRef<TenantEntity.Reply>, TenantEntity.Command> command) {
    return controlPlane.tenant(tenant, command, TenantEntity.Summary.class)
        .thenApply(s -> Json.response(StatusCodes.OK, view(s)));
  }

  private CompletionStage<HttpResponse> createApiKey(Principal principal, TenantId tenant, JsonNode body) {
    CreateApiKeyRequest request = Json.bind(body, CreateApiKeyRequest.class);
    Role role = Role.fromWire(request.role())
        .filter(Role::isTenantRole)
        .orElseThrow(() -> ApiError.badRequest("invalid_role",
            "role must be one of tenant-admin, developer, viewer, predictor"));
    ApiKeyCredential key = ApiKeyCredential.generate(tenant);
    return controlPlane.tenant(tenant,
            r -> new TenantEntity.CreateApiKey(key.keyId(), request.name(), role, key.secretHash(), principal.subject(), r),
            TenantEntity.ApiKeyCreated.class)
        // a second chance for a node that missed the tenant's creation to learn of it before the key is used
        .thenCompose(created -> changes.changedHere(tenant).thenApply(told -> created))
        .thenApply(created -> {
          return Json.response(StatusCodes.CREATED, ApiKeyView.Created.from(created.key(), key.token()));
        });
  }
}
