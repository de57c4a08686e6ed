package io.modelplane.identity.token;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.TenantId;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CachedTenantAccessTest {
  final TenantId acme = TenantId.of("acme");
  final AtomicInteger calls = new AtomicInteger();
  final AtomicBoolean suspended = new AtomicBoolean();
  final AtomicLong now = new AtomicLong();
  final CachedTenantAccess cached = new CachedTenantAccess(tenant -> {
    calls.incrementAndGet();
    return CompletableFuture.completedFuture(
        tenant.equals(acme) ? Optional.of(new TenantAccess(!suspended.get(), Map.of())) : Optional.empty());
  }, CachedTenantAccess.DEFAULT_TTL, CachedTenantAccess.DEFAULT_STALE_IF_ERROR, now::get);

  Optional<Boolean> status(TenantId tenant) {
    return cached.apply(tenant).toCompletableFuture().join().map(TenantAccess::active);
  }

  @Test
  void aSuspensionIsSeenOnceTheTtlHasPassed() {
    assertThat(status(acme)).contains(true);
    suspended.set(true);
    now.addAndGet(Duration.ofMillis(499).toNanos());
    assertThat(status(acme)).contains(true);
    now.addAndGet(Duration.ofMillis(1).toNanos());
    assertThat(status(acme)).contains(false);
    assertThat(calls).hasValue(2);
  }

  @Test
  void unknownTenantsAreRememberedToo() {
    TenantId ghost = TenantId.of("ghost");
    assertThat(status(ghost)).isEmpty();
    assertThat(status(ghost)).isEmpty();
    assertThat(calls).hasValue(1);
  }

  @Test
  void invalidatingATenantForgetsOnlyItsStatusAtOnce() {
    TenantId other = TenantId.of("acme-two");
    status(acme);
    status(other);
    suspended.set(true);
    cached.invalidate(acme);
    assertThat(status(acme)).contains(false);
    status(other);
    assertThat(calls).hasValue(3);
  }

  @Test
  void whileTheEntityDoesNotAnswerTheLastStatusStandsUntilAnInvalidation() {
    AtomicBoolean outOfReach = new AtomicBoolean();
    CachedTenantAccess moving = new CachedTenantAccess(tenant -> outOfReach.get()
        ? CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("ask timed out"))
        : CompletableFuture.completedFuture(Optional.of(new TenantAccess(!suspended.get(), Map.of()))),
        CachedTenantAccess.DEFAULT_TTL, CachedTenantAccess.DEFAULT_STALE_IF_ERROR, now::get);
    assertThat(moving.apply(acme).toCompletableFuture().join()).map(TenantAccess::active).contains(true);
    outOfReach.set(true);
    now.addAndGet(Duration.ofSeconds(5).toNanos());
    assertThat(moving.apply(acme).toCompletableFuture().join()).map(TenantAccess::active).contains(true);
    moving.invalidate(acme); // suspended meanwhile: the last status must not stand for it
    assertThat(moving.apply(acme).toCompletableFuture()).isCompletedExceptionally();
  }
}
