package io.modelplane.api.view;

import io.modelplane.identity.Principal;

/**
 * The caller as {@code GET /api/v1/me} shows it: tenant (null for the operator), role, the kind of
 * credential and its name (an API key's id, a token's user or client, or "operator").
 */
public record MeView(String tenant, String role, String credential, String name) {

  public static MeView of(Principal principal) {
    return new MeView(principal.tenant() == null ? null : principal.tenant().value(), principal.role().wireName(),
        principal.credential().wireName(), principal.name());
  }
}
