package io.modelplane.identity.token;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import java.time.Instant;

/**
 * What a verified access token says about its bearer.
 *
 * @param subject for audit: {@code token:<preferred_username | client_id | azp | sub>}
 * @param tenant  the one tenant the token grants a role in; null for the operator
 * @param role    {@link Role#OPERATOR} or the strongest tenant role the token grants
 * @param keycloakSubject the token's {@code sub} (a Keycloak user id), which revocations name; may be null
 * @param issuedAt the token's {@code iat}; may be null
 */
public record VerifiedToken(String subject, TenantId tenant, Role role, Instant expiresAt, String keycloakSubject,
    Instant issuedAt) {}
