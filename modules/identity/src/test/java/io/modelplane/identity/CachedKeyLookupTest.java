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
  final CachedKeyLookup cached = new CachedKeyLookup(store, Duration.ofMillis(500), now::get);

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
        : store.find(k), Duration.ofSeconds(1), now::get);
    assertThat(flaky.find(key).toCompletableFuture().isCompletedExceptionally()).isTrue();
    assertThat(flaky.find(key).toCompletableFuture().join()).isPresent();
    assertThat(attempts).hasValue(2);
  }
}
