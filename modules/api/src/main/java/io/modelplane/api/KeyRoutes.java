package io.modelplane.api;

import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import io.modelplane.registry.crypto.TenantKeys;
import java.util.Map;

/**
 * {@code POST /api/v1/admin/keys/rotate} (operator): re-wraps every tenant's data key under the
 * active key-encryption key, without touching artifacts; the rotation is journaled.
 */
final class KeyRoutes extends ApiDirectives {
  private final TenantKeys keys;

  KeyRoutes(TenantKeys keys) {
    this.keys = keys;
  }

  Route routes(Principal principal) {
    return path(segment("admin").slash("keys").slash("rotate"), () -> post(() ->
        authorized(principal, Action.MANAGE_TENANTS, null, () ->
            respond(keys.rotate(principal.subject()).thenApply(result -> Json.response(StatusCodes.OK, Map.of(
                "previousKek", result.previousKek(), "activeKek", result.activeKek(),
                "rewrapped", result.rewrapped())))))));
  }
}
