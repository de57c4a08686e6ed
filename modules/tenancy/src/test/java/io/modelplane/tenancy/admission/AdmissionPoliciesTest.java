package io.modelplane.tenancy.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AdmissionPoliciesTest {
  static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  void aFullBucketAdmitsTheBurstThenRefusesWithRetryAfter() {
    TokenBucket bucket = new TokenBucket(10, 5, 0);
    for (int i = 0; i < 5; i++) {
      TokenBucket.Decision d = bucket.tryAcquire(0);
      assertThat(d.admitted()).isTrue();
      assertThat(d.remaining()).isEqualTo(4 - i);
    }
    TokenBucket.Decision refused = bucket.tryAcquire(0);
    assertThat(refused.admitted()).isFalse();
    assertThat(refused.retryAfterNanos()).isEqualTo(100 * MS); // one token at 10/s
    assertThat(refused.resetNanos()).isEqualTo(500 * MS);
  }

  @Test
  void tokensRefillAtTheRateUpToTheBurst() {
    TokenBucket bucket = new TokenBucket(10, 5, 0);
    for (int i = 0; i < 5; i++) {
      bucket.tryAcquire(0);
    }
    assertThat(bucket.tryAcquire(99 * MS).admitted()).isFalse();
    assertThat(bucket.tryAcquire(100 * MS).admitted()).isTrue();
    assertThat(bucket.tokens(10 * SECOND)).isEqualTo(5.0); // never above the burst
  }

  @Test
  void overTimeAdmissionsFollowTheRatePlusTheBurst() {
    TokenBucket bucket = new TokenBucket(50, 20, 0);
    int admitted = 0;
    for (long t = 0; t < 10 * SECOND; t += MS) { // a request every millisecond for 10 s
      if (bucket.tryAcquire(t).admitted()) {
        admitted++;
      }
    }
    assertThat(admitted).isBetween(500, 520); // 50/s * 10 s + a burst of 20
  }

  @Test
  void reconfiguringTakesEffectAtOnce() {
    TokenBucket bucket = new TokenBucket(1, 1, 0);
    assertThat(bucket.tryAcquire(0).admitted()).isTrue();
    assertThat(bucket.tryAcquire(0).admitted()).isFalse();
    bucket.reconfigure(1000, 100, 0);
    assertThat(bucket.tryAcquire(10 * MS).admitted()).isTrue(); // 10 tokens earned at the new rate
    bucket.reconfigure(1, 1, 10 * MS);
    assertThat(bucket.tokens(10 * MS)).isLessThanOrEqualTo(1.0); // lowered capacity caps what was earned
  }

  @Test
  void invalidLimitsAreRefused() {
    assertThatThrownBy(() -> new TokenBucket(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TokenBucket(Double.NaN, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ConcurrencyLimit(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(new TokenBucket(1, 0, 0).tryAcquire(0).admitted()).isTrue(); // burst 0 still admits the rate
  }

  @Test
  void concurrencyLimitAdmitsUpToTheLimitAndFreesOnRelease() {
    ConcurrencyLimit limit = new ConcurrencyLimit(2);
    assertThat(limit.tryAcquire()).isTrue();
    assertThat(limit.tryAcquire()).isTrue();
    assertThat(limit.tryAcquire()).isFalse();
    limit.release();
    assertThat(limit.tryAcquire()).isTrue();
    limit.reconfigure(1);
    limit.release();
    assertThat(limit.tryAcquire()).isFalse(); // still 1 in flight, limit 1
    limit.release();
    assertThat(limit.inFlight()).isZero();
    assertThatThrownBy(limit::release).isInstanceOf(IllegalStateException.class);
  }
}
