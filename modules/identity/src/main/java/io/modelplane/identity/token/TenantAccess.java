package io.modelplane.identity.token;

import java.time.Instant;
import java.util.Map;

/**
 * What a token check needs to know of its tenant: whether it is active, and whose tokens were
 * revoked when (a member removed or given another role, a service account deleted).
 *
 * @param tokensRevokedBefore per token subject ({@code sub}): tokens issued before this are refused
 */
public record TenantAccess(boolean active, Map<String, Instant> tokensRevokedBefore) {
  public TenantAccess {
    tokensRevokedBefore = Map.copyOf(tokensRevokedBefore);
  }

  /**
   * Whether a token of {@code subject} issued at {@code issuedAt} was revoked. Tokens carry their
   * issue time in whole seconds, so one issued in the second of the revocation, before it, stays valid;
   * one without an issue time is refused once its subject has any revocation.
   */
  public boolean revoked(String subject, Instant issuedAt) {
    Instant before = subject == null ? null : tokensRevokedBefore.get(subject);
    return before != null && (issuedAt == null || issuedAt.getEpochSecond() < before.getEpochSecond());
  }
}
