package io.modelplane.api;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.TenantId;
import io.modelplane.identity.AccessPolicy;
import io.modelplane.identity.Action;
import io.modelplane.identity.Authenticator;
import io.modelplane.identity.Principal;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/** Directives shared by the API's routes: authentication, authorization, JSON bodies, async answers. */
public abstract class ApiDirectives extends AllDirectives {

  /**
   * Requires a valid bearer credential: 401 when there is none or it is not valid, told to
   * {@code failed} (reason, the credential or null) for the metrics.
   */
  Route authenticated(Authenticator authenticator, BiConsumer<String, String> failed, Function<Principal, Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      Optional<String> credential = bearer(header.orElse(null));
      if (credential.isEmpty()) {
        failed.accept("missing_credential", null);
        return complete(unauthorized("missing_credential", "send Authorization: Bearer <API key or access token>"));
      }
      return onSuccess(authenticator.authenticate(credential.get()), principal -> principal
          .map(inner)
          .orElseGet(() -> {
            failed.accept("invalid_credential", credential.get());
            return complete(unauthorized("invalid_credential", "the credential is not valid"));
          }));
    });
  }

  /** The credential of an {@code Authorization: Bearer …} value; empty when there is none. */
  public static Optional<String> bearer(String authorization) {
    return Optional.ofNullable(authorization)
        .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(h -> h.substring(7).trim())
        .filter(c -> !c.isEmpty());
  }

  private static akka.http.javadsl.model.HttpResponse unauthorized(String code, String message) {
    return Json.error(new ApiError(StatusCodes.UNAUTHORIZED, code, message))
        .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"modelplane\""));
  }

  /** Runs {@code inner} if the policy allows {@code action}; another tenant's resources answer 404. */
  protected Route authorized(Principal principal, Action action, TenantId tenant, Supplier<Route> inner) {
    ApiError refused = refusal(principal, action, tenant);
    return refused == null ? inner.get() : complete(Json.error(refused));
  }

  /** Why the policy refuses {@code action} (another tenant's resources: 404), or null when it allows it. */
  public static ApiError refusal(Principal principal, Action action, TenantId tenant) {
    return switch (AccessPolicy.decide(principal, action, tenant)) {
      case ALLOW -> null;
      case NOT_FOUND -> ApiError.tenantNotFound(tenant.value());
      case SUSPENDED -> new ApiError(StatusCodes.FORBIDDEN, "tenant_suspended",
          "tenant " + principal.tenant() + " is suspended");
      case FORBIDDEN -> new ApiError(StatusCodes.FORBIDDEN, "forbidden",
          "role " + principal.role().wireName() + " may not do this");
    };
  }

  /** Reads the request's JSON object body (at most {@code maxBytes}) and continues with it. */
  Route jsonBody(long maxBytes, Function<JsonNode, Route> inner) {
    return extractMaterializer(mat -> extractRequestEntity(entity ->
        onSuccess(Json.readObject(entity, maxBytes, mat), inner)));
  }

  /** Completes with the response, or with the JSON error of whatever failed on the way. */
  protected Route respond(CompletionStage<akka.http.javadsl.model.HttpResponse> response) {
    return completeWithFuture(response.exceptionally(ErrorHandling::toResponse));
  }
}
