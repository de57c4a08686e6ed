package io.modelplane.identity.token;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import io.modelplane.identity.Authenticator;
import io.modelplane.identity.Principal;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Authenticates Keycloak access tokens. Only credentials shaped like a signed JWT are tried, so API
 * keys and the operator key are never parsed as tokens. A tenant token also needs its tenant to
 * exist and must not be revoked there (its subject removed or given another role after it was
 * issued); a suspended tenant still authenticates (with {@code tenantActive} false) so the access
 * policy can answer "tenant suspended" rather than "bad credential".
 */
public final class TokenAuthenticator implements Authenticator {
  /** Three base64url segments; Keycloak's tokens are 1–3 KB, anything far larger is not one. */
  private static final Pattern SIGNED_JWT =
      Pattern.compile("[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}");
  private static final int MAX_TOKEN_CHARS = 16 * 1024;

  private final TokenVerifier verifier;
  private final Function<TenantId, CompletionStage<Optional<TenantAccess>>> tenantAccess;

  /**
   * @param tenantAccess a tenant's status and token revocations: empty when it does not exist (the
   *                     token is then not valid); see {@link CachedTenantAccess} for the request path
   */
  public TokenAuthenticator(TokenVerifier verifier,
                            Function<TenantId, CompletionStage<Optional<TenantAccess>>> tenantAccess) {
    this.verifier = verifier;
    this.tenantAccess = tenantAccess;
  }

  /** Whether {@code credential} has the shape of a signed JWT (not whether it is valid). */
  public static boolean looksLikeJwt(String credential) {
    return credential != null && credential.length() <= MAX_TOKEN_CHARS
        && SIGNED_JWT.matcher(credential).matches();
  }

  @Override
  public CompletionStage<Optional<Principal>> authenticate(String bearerCredential) {
    Optional<VerifiedToken> verified =
        looksLikeJwt(bearerCredential) ? verifier.verify(bearerCredential) : Optional.empty();
    if (verified.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    VerifiedToken token = verified.get();
    if (token.tenant() == null) {
      return CompletableFuture.completedFuture(Optional.of(Principal.token(token.name(), Role.OPERATOR, null, true)));
    }
    return tenantAccess.apply(token.tenant()).thenApply(access -> access
        .filter(a -> !a.revoked(token.keycloakSubject(), token.issuedAt()))
        .map(a -> Principal.token(token.name(), token.role(), token.tenant(), a.active())));
  }
}
