package io.modelplane.identity.token;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import java.time.Instant;

/**
 * What a verified access token says about its bearer.
 *
 * @param name    the bearer's name: its {@code preferred_username}, {@code client_id}, {@code azp} or {@code sub}
 * @param tenant  the one tenant the token grants a role in; null for the operator
 * @param role    {@link Role#OPERATOR} or the strongest tenant role the token grants
 * @param keycloakSubject the token's {@code sub} (a Keycloak user id), which revocations name; may be null
 * @param issuedAt the token's {@code iat}; may be null
 */
public record VerifiedToken(String name, TenantId tenant, Role role, Instant expiresAt, String keycloakSubject,
    Instant issuedAt) {

  /** For audit: {@code token:<name>}. */
  public String subject() {
    return "token:" + name;
  }
}
