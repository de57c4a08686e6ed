package io.modelplane.identity;

import io.modelplane.common.Role;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Authenticates {@code mp_…} API keys against their stored hash, found through a {@link KeyLookup}. */
public final class ApiKeyAuthenticator implements Authenticator {

  /** What the store knows of a key: its hash, role and whether its tenant is active. */
  public record StoredKey(String keyId, Role role, String secretHash, boolean tenantActive) {}

  /** Finds an active key by id; empty when unknown or revoked. */
  @FunctionalInterface
  public interface KeyLookup {
    CompletionStage<Optional<StoredKey>> find(ApiKeyCredential key);
  }

  // the hash of a secret nobody holds, compared against when the key is unknown
  private static final String UNKNOWN_KEY_HASH = Secrets.sha256Hex(Secrets.randomHex(32));

  private final KeyLookup lookup;
  private final java.util.function.Consumer<String> onUse;

  public ApiKeyAuthenticator(KeyLookup lookup) {
    this(lookup, keyId -> { });
  }

  /** @param onUse told the key id of every successful authentication (for last-used times) */
  public ApiKeyAuthenticator(KeyLookup lookup, java.util.function.Consumer<String> onUse) {
    this.lookup = lookup;
    this.onUse = onUse;
  }

  @Override
  public CompletionStage<Optional<Principal>> authenticate(String bearerCredential) {
    Optional<ApiKeyCredential> parsed = ApiKeyCredential.parse(bearerCredential);
    if (parsed.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    ApiKeyCredential key = parsed.get();
    return lookup.find(key).thenApply(stored -> {
      // an unknown key costs the same hash and compare as a wrong secret: the time tells nothing
      boolean matches = Secrets.matches(key.secret(), stored.map(StoredKey::secretHash).orElse(UNKNOWN_KEY_HASH));
      return stored
          .filter(s -> matches)
          .map(s -> {
            onUse.accept(key.keyId());
            return Principal.apiKey(key.keyId(), s.role(), key.tenant(), s.tenantActive());
          });
    });
  }
}
