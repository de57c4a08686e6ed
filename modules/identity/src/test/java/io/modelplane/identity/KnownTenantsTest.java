package io.modelplane.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class KnownTenantsTest {
  final List<String> journal = new ArrayList<>(List.of("acme"));
  final AtomicInteger reads = new AtomicInteger();
  final AtomicInteger lookups = new AtomicInteger();
  final AtomicLong now = new AtomicLong();
  final KnownTenants known = new KnownTenants(() -> {
    reads.incrementAndGet();
    return CompletableFuture.<Collection<String>>completedFuture(List.copyOf(journal));
  }, Duration.ofSeconds(1), now::get);
  final ApiKeyAuthenticator.KeyLookup store = k -> {
    lookups.incrementAndGet();
    return CompletableFuture.completedFuture(Optional.empty());
  };

  @Test
  void keysOfTenantsOutsideTheSetAreRefusedWithoutAskingTheStore() {
    known.reload();
    ApiKeyAuthenticator.KeyLookup guarded = known.guard(store);
    for (int i = 0; i < 100; i++) {
      assertThat(guarded.find(ApiKeyCredential.generate(TenantId.of("t" + i + "-nobody"))).toCompletableFuture().join())
          .isEmpty();
    }
    assertThat(lookups).hasValue(0);
    guarded.find(ApiKeyCredential.generate(TenantId.of("acme")));
    assertThat(lookups).hasValue(1);
  }

  @Test
  void beforeTheFirstReadEveryTenantMayExist() {
    known.guard(store).find(ApiKeyCredential.generate(TenantId.of("nobody")));
    assertThat(lookups).hasValue(1);
  }

  @Test
  void aCreatedTenantIsKnownAtOnceAndAMissedOneAfterAReadAtMostOnceASecond() {
    known.reload();
    known.add(TenantId.of("heard"));
    assertThat(known.unknown(TenantId.of("heard"))).isFalse();

    journal.add("missed"); // created elsewhere, its news lost
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(known.unknown(TenantId.of("missed"))).isTrue(); // this miss triggers a read
    assertThat(known.unknown(TenantId.of("missed"))).isFalse();
    int readsSoFar = reads.get();
    for (int i = 0; i < 50; i++) {
      known.unknown(TenantId.of("nobody"));
    }
    assertThat(reads.get()).as("reads triggered by a flood of misses within a second").isEqualTo(readsSoFar);
  }

  @Test
  void anUnknownKeyCostsTheHashAndCompareOfAWrongSecret() {
    // nothing to observe but the answer: the authenticator still answers "not valid" for both
    ApiKeyCredential real = ApiKeyCredential.generate(TenantId.of("acme"));
    ApiKeyAuthenticator authenticator = new ApiKeyAuthenticator(k -> CompletableFuture.completedFuture(
        k.keyId().equals(real.keyId())
            ? Optional.of(new ApiKeyAuthenticator.StoredKey(real.keyId(), Role.DEVELOPER, real.secretHash(), true))
            : Optional.empty()));
    assertThat(authenticator.authenticate(real.token()).toCompletableFuture().join()).isPresent();
    assertThat(authenticator.authenticate(ApiKeyCredential.generate(TenantId.of("other")).token())
        .toCompletableFuture().join()).isEmpty();
  }
}
