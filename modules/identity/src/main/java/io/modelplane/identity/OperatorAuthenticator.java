package io.modelplane.identity;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Authenticates the bootstrap operator key, known only by its hash. */
public final class OperatorAuthenticator implements Authenticator {
  private final String keyHash;

  public OperatorAuthenticator(String keyHash) {
    this.keyHash = keyHash;
  }

  @Override
  public CompletionStage<Optional<Principal>> authenticate(String bearerCredential) {
    return CompletableFuture.completedFuture(Secrets.matches(bearerCredential, keyHash)
        ? Optional.of(Principal.operatorKey())
        : Optional.empty());
  }
}
