package io.modelplane.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CachedKeyLookupTest {
  final ApiKeyCredential key = ApiKeyCredential.generate(TenantId.of("acme"));
  final AtomicInteger calls = new AtomicInteger();
  final AtomicBoolean revoked = new AtomicBoolean();
  final AtomicLong now = new AtomicLong();
  final ApiKeyAuthenticator.KeyLookup store = k -> {
    calls.incrementAndGet();
    return CompletableFuture.completedFuture(revoked.get()
        ? Optional.empty()
        : Optional.of(new ApiKeyAuthenticator.StoredKey(k.keyId(), Role.DEVELOPER, key.secretHash(), true)));
  };
  final CachedKeyLookup cached = new CachedKeyLookup(store, Duration.ofMillis(500), Duration.ofSeconds(60), now::get);

  @Test
  void answersFromMemoryWithinTheTtl() {
    assertThat(cached.find(key).toCompletableFuture().join()).isPresent();
    now.addAndGet(Duration.ofMillis(499).toNanos());
    assertThat(cached.find(key).toCompletableFuture().join()).isPresent();
    assertThat(calls).hasValue(1);
  }

  @Test
  void aRevocationIsSeenOnceTheTtlHasPassed() {
    assertThat(cached.find(key).toCompletableFuture().join()).isPresent();
    revoked.set(true);
    now.addAndGet(Duration.ofMillis(500).toNanos());
    assertThat(cached.find(key).toCompletableFuture().join()).isEmpty();
    assertThat(calls).hasValue(2);
  }

  @Test
  void invalidatingTheTenantForgetsOnlyItsKeysAtOnce() {
    ApiKeyCredential other = ApiKeyCredential.generate(TenantId.of("acme-two"));
    cached.find(key).toCompletableFuture().join();
    cached.find(other).toCompletableFuture().join();
    revoked.set(true);
    cached.invalidate(TenantId.of("acme"));
    assertThat(cached.find(key).toCompletableFuture().join()).isEmpty();
    assertThat(cached.find(other).toCompletableFuture().join()).isPresent(); // still remembered
    assertThat(calls).hasValue(3);
  }

  @Test
  void failedLookupsAreNotRemembered() {
    AtomicInteger attempts = new AtomicInteger();
    CachedKeyLookup flaky = new CachedKeyLookup(k -> attempts.incrementAndGet() == 1
        ? CompletableFuture.failedFuture(new IllegalStateException("entity unavailable"))
        : store.find(k), Duration.ofSeconds(1), Duration.ofSeconds(60), now::get);
    assertThat(flaky.find(key).toCompletableFuture().isCompletedExceptionally()).isTrue();
    assertThat(flaky.find(key).toCompletableFuture().join()).isPresent();
    assertThat(attempts).hasValue(2);
  }

  /** The tenant entity answers, then does not (its shard moving): a failed ask, like an ask timeout. */
  final AtomicBoolean outOfReach = new AtomicBoolean();
  final AtomicInteger asks = new AtomicInteger();
  /** When the failed ask fails: at once unless a test holds it back. */
  final java.util.concurrent.atomic.AtomicReference<CompletableFuture<Void>> askFails =
      new java.util.concurrent.atomic.AtomicReference<>(CompletableFuture.completedFuture(null));
  final CachedKeyLookup moving = new CachedKeyLookup(k -> {
    asks.incrementAndGet();
    return outOfReach.get()
        ? askFails.get().thenCompose(v -> CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("ask timed out")))
        : store.find(k);
  }, Duration.ofMillis(500), Duration.ofSeconds(60), now::get);

  Optional<ApiKeyAuthenticator.StoredKey> findMoving() {
    return moving.find(key).toCompletableFuture().join();
  }

  @Test
  void whileTheEntityDoesNotAnswerTheLastAnswerStandsWithoutWaitingForIt() {
    assertThat(findMoving()).isPresent();
    outOfReach.set(true);
    CompletableFuture<Void> timesOut = new CompletableFuture<>();
    askFails.set(timesOut);
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    CompletableFuture<Optional<ApiKeyAuthenticator.StoredKey>> first = moving.find(key).toCompletableFuture();
    assertThat(first).isNotDone(); // the first refresh waits for the ask
    timesOut.complete(null); // ... which times out
    assertThat(first.join()).isPresent(); // the last answer
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    // at once from the last answer, while one lookup per time-to-live tries the entity again
    assertThat(findMoving()).isPresent();
    assertThat(findMoving()).isPresent();
    assertThat(asks).hasValue(3);
    outOfReach.set(false);
    revoked.set(true); // a definite answer once the entity is back wins over the last one
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    findMoving(); // still the last answer; the lookup behind it hears the new one
    assertThat(findMoving()).isEmpty();
  }

  @Test
  void theLastAnswerStandsOnlyForTheStaleWindow() {
    assertThat(findMoving()).isPresent();
    outOfReach.set(true);
    now.addAndGet(Duration.ofSeconds(59).toNanos());
    assertThat(findMoving()).isPresent();
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(moving.find(key).toCompletableFuture()).isCompletedExceptionally();
  }

  @Test
  void anInvalidationDropsTheLastAnswerSoARevokedKeyIsNeverServedStale() {
    assertThat(findMoving()).isPresent();
    outOfReach.set(true);
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(findMoving()).isPresent(); // stale, the entity out of reach
    moving.invalidate(TenantId.of("acme")); // e.g. the key was revoked
    assertThat(moving.find(key).toCompletableFuture()).isCompletedExceptionally();
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(moving.find(key).toCompletableFuture()).isCompletedExceptionally();
  }

  @Test
  void anUnknownKeyIsADefiniteAnswerAndStandsInForNothingLater() {
    revoked.set(true);
    assertThat(findMoving()).isEmpty();
    outOfReach.set(true);
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(findMoving()).isEmpty(); // the last answer was "unknown": still unknown, never a match
  }
}
