package io.modelplane.identity;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Turns a bearer credential into a principal; empty when the credential is not valid. */
@FunctionalInterface
public interface Authenticator {

  CompletionStage<Optional<Principal>> authenticate(String bearerCredential);

  /** Tries each authenticator in order and takes the first principal found. */
  static Authenticator firstOf(java.util.List<Authenticator> authenticators) {
    return credential -> {
      CompletionStage<Optional<Principal>> result =
          java.util.concurrent.CompletableFuture.completedFuture(Optional.empty());
      for (Authenticator next : authenticators) {
        result = result.thenCompose(found -> found.isPresent()
            ? java.util.concurrent.CompletableFuture.completedFuture(found)
            : next.authenticate(credential));
      }
      return result;
    };
  }
}
