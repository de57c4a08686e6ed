package io.modelplane.api;

import io.modelplane.control.IdentityProvisioning;
import io.modelplane.control.changes.TenantChanges;
import io.modelplane.control.ControlPlane;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import io.modelplane.identity.keycloak.KeycloakProvisioner;
import io.modelplane.tenancy.TenantEntity;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * {@code /tenants/{tenant}/members} and {@code /tenants/{tenant}/service-accounts} (Keycloak
 * mode; tenant-admin or operator). Without Keycloak they answer 404 {@code keycloak_not_configured}.
 */
final class IdentityRoutes extends ApiDirectives {
  record MemberRequest(String username, String email, String role) {}

  record RoleRequest(String role) {}

  record ServiceAccountRequest(String name, String role) {}

  record NewServiceAccountView(String id, String clientId, String clientSecret, String tokenUrl, Role role) {}

  /** A member as the API shows it; the invitation fields only in the answer that added them. */
  record MemberView(String id, String username, String email, Role role,
      @JsonInclude(JsonInclude.Include.NON_NULL) String invitation,
      @JsonInclude(JsonInclude.Include.NON_NULL) String invitationNote) {
    static MemberView of(KeycloakProvisioner.Member m) {
      return new MemberView(m.id(), m.username(), m.email(), m.role(), m.invitation(), m.invitationNote());
    }
  }

  private final ControlPlane controlPlane;
  private final TenantChanges changes;
  private final IdentityProvisioning provisioning;
  private final KeycloakProvisioner keycloak;
  private final ApiSettings settings;

  /** {@code provisioning} null when Keycloak is off. */
  IdentityRoutes(ControlPlane controlPlane, TenantChanges changes, IdentityProvisioning provisioning,
      ApiSettings settings) {
    this.controlPlane = controlPlane;
    this.changes = changes;
    this.provisioning = provisioning;
    this.keycloak = provisioning == null ? null : provisioning.keycloak();
    this.settings = settings;
  }

  Route routes(Principal principal, TenantId tenant) {
    return concat(
        pathPrefix("members", () -> authorized(principal, Action.MANAGE_ACCESS, tenant, () -> keycloakOnly(() -> concat(
            pathEnd(() -> concat(
                get(() -> respond(existing(tenant).thenCompose(s -> provisioning.call(() -> keycloak.members(tenant)))
                    .thenApply(members -> Json.response(StatusCodes.OK,
                        Map.of("members", members.stream().map(MemberView::of).toList()))))),
                post(() -> jsonBody(settings.maxJsonBytes(), body -> respond(addMember(principal, tenant, body)))))),
            path(segment(), id -> concat(
                patch(() -> jsonBody(settings.maxJsonBytes(), body -> respond(changeRole(principal, tenant, id, body)))),
                delete(() -> respond(existing(tenant).thenCompose(s -> provisioning.call(() -> keycloak.removeMember(tenant, id)))
                    .thenCompose(removed -> {
                      if (!removed) {
                        throw memberNotFound(id);
                      }
                      return audited(tenant, principal, "member_removed", x -> id, x -> "", x -> id,
                          CompletableFuture.completedFuture(id));
                    })
                    .thenApply(x -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)))))))))),
        pathPrefix("service-accounts", () -> authorized(principal, Action.MANAGE_ACCESS, tenant, () -> keycloakOnly(() -> concat(
            pathEnd(() -> concat(
                get(() -> respond(existing(tenant).thenCompose(s -> provisioning.call(() -> keycloak.serviceAccounts(tenant)))
                    .thenApply(accounts -> Json.response(StatusCodes.OK, Map.of("serviceAccounts", accounts))))),
                post(() -> jsonBody(settings.maxJsonBytes(), body -> respond(createServiceAccount(principal, tenant, body)))))),
            path(segment(), id -> delete(() -> respond(existing(tenant)
                .thenCompose(s -> provisioning.call(() -> keycloak.deleteServiceAccount(tenant, id)))
                .thenCompose(deleted -> audited(tenant, principal, "service_account_deleted", x -> id, x -> "", x -> x,
                    CompletableFuture.completedFuture(deleted.orElseThrow(() -> serviceAccountNotFound(id)))))
                .thenApply(x -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT))))),
            path(segment().slash("secret"), id -> post(() -> respond(existing(tenant)
                .thenCompose(s -> provisioning.call(() -> keycloak.rotateSecret(tenant, id)))
                .thenCompose(rotated -> audited(tenant, principal, "service_account_secret_rotated",
                    KeycloakProvisioner.NewServiceAccount::id, a -> a.clientId(), a -> null,
                    CompletableFuture.completedFuture(rotated.orElseThrow(() -> serviceAccountNotFound(id)))))
                .thenApply(a -> Json.response(StatusCodes.OK, newServiceAccountView(a)))))))))));
  }

  private static ApiError serviceAccountNotFound(String id) {
    return ApiError.notFound("service_account_not_found", "service account " + id + " does not exist");
  }

  private NewServiceAccountView newServiceAccountView(KeycloakProvisioner.NewServiceAccount a) {
    return new NewServiceAccountView(a.id(), a.clientId(), a.clientSecret(), keycloak.settings().tokenUrl(), a.role());
  }

  private Route keycloakOnly(java.util.function.Supplier<Route> inner) {
    if (keycloak == null) {
      return complete(Json.error(ApiError.notFound("keycloak_not_configured",
          "members and service accounts need Keycloak (MODELPLANE_KEYCLOAK_URL); use API keys")));
    }
    return inner.get();
  }

  /** The tenant exists and its Keycloak resources are in place (else 404 or 503 while provisioning). */
  private CompletionStage<io.modelplane.tenancy.TenantEntity.Summary> existing(TenantId tenant) {
    return controlPlane.tenantSummary(tenant).thenApply(s -> {
      if (s.identity() == null) {
        provisioning.provision(tenant); // try now; the periodic resync would too
        throw new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "tenant_provisioning",
            "the tenant is still being provisioned in the identity provider; retry shortly", 5);
      }
      return s;
    });
  }

  private CompletionStage<HttpResponse> addMember(Principal principal, TenantId tenant, JsonNode body) {
    MemberRequest request = Json.bind(body, MemberRequest.class);
    String who = request.email() != null ? request.email() : request.username();
    if (who == null || who.isBlank() || who.length() > 254 || (request.email() != null && request.username() != null)) {
      throw ApiError.badRequest("invalid_member", "give exactly one of username or email");
    }
    if (request.email() != null && !request.email().matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
      throw ApiError.badRequest("invalid_member", "email is not an email address");
    }
    if (request.username() != null && !request.username().matches("[A-Za-z0-9._-]{1,100}")) {
      throw ApiError.badRequest("invalid_member", "username may hold letters, digits, '.', '_' and '-'");
    }
    Role role = tenantRole(request.role());
    return audited(tenant, principal, "member_added", KeycloakProvisioner.Member::id,
            m -> m.username() + " as " + m.role().wireName(), m -> null,
            existing(tenant).thenCompose(s -> provisioning.call(() -> keycloak.addMember(tenant, who, role))))
        .thenApply(member -> Json.response(StatusCodes.CREATED, MemberView.of(member)));
  }

  private CompletionStage<HttpResponse> changeRole(Principal principal, TenantId tenant, String id, JsonNode body) {
    Role role = tenantRole(Json.bind(body, RoleRequest.class).role());
    return audited(tenant, principal, "member_role_changed", KeycloakProvisioner.Member::id,
            m -> m.username() + " to " + m.role().wireName(), KeycloakProvisioner.Member::id,
            existing(tenant).thenCompose(s -> provisioning.call(() -> keycloak.changeRole(tenant, id, role)))
                .thenApply(member -> member.orElseThrow(() -> memberNotFound(id))))
        .thenApply(member -> Json.response(StatusCodes.OK, MemberView.of(member)));
  }

  private CompletionStage<HttpResponse> createServiceAccount(Principal principal, TenantId tenant, JsonNode body) {
    ServiceAccountRequest request = Json.bind(body, ServiceAccountRequest.class);
    if (request.name() == null || !request.name().matches("[a-z0-9][a-z0-9-]{0,39}")) {
      throw ApiError.badRequest("invalid_name", "name must be 1-40 lowercase letters, digits and '-'");
    }
    Role role = tenantRole(request.role());
    return audited(tenant, principal, "service_account_created", KeycloakProvisioner.NewServiceAccount::id,
            a -> a.clientId() + " as " + a.role().wireName(), a -> null,
            existing(tenant).thenCompose(s -> provisioning.call(() -> keycloak.createServiceAccount(tenant, request.name(), role))))
        .thenApply(created -> Json.response(StatusCodes.CREATED, newServiceAccountView(created)));
  }

  /**
   * Journals a change made in Keycloak (after it succeeded); the answer waits for the record. A change
   * that revokes a subject's tokens (a role changed, a member or service account gone) is refused on this
   * node before the answer, and on the others once they read it from the journal.
   */
  private <T> CompletionStage<T> audited(TenantId tenant, Principal principal, String kind, Function<T, String> keycloakId,
      Function<T, String> detail, Function<T, String> revokesTokensOf, CompletionStage<T> change) {
    return change.thenCompose(result -> {
      String revoked = revokesTokensOf.apply(result);
      CompletionStage<TenantEntity.Summary> recorded = controlPlane.tenant(tenant, r -> new TenantEntity.RecordAccessChange(
          kind, keycloakId.apply(result), detail.apply(result), revoked, principal.subject(), r), TenantEntity.Summary.class);
      return (revoked == null ? recorded.thenApply(s -> result)
          : recorded.thenCompose(s -> changes.changedHere(tenant)).thenApply(told -> result));
    });
  }

  private static Role tenantRole(String wire) {
    return Role.fromWire(wire).filter(Role::isTenantRole).orElseThrow(() -> ApiError.badRequest("invalid_role",
        "role must be one of tenant-admin, developer, viewer, predictor"));
  }

  private static ApiError memberNotFound(String id) {
    return ApiError.notFound("member_not_found", "member " + id + " does not exist");
  }
}
