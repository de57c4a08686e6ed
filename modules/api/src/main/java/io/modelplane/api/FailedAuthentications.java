package io.modelplane.api;

import io.modelplane.tenancy.admission.TokenBucket;
import java.net.InetAddress;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The limit on requests that fail authentication, per client address: each failure takes a token
 * from the address's bucket; while it is empty, the address's requests are refused before any
 * credential is looked at, so a flood of guessed keys costs the node next to nothing. Time is
 * passed in (nanoseconds), so the policy needs no sleeps in tests.
 */
public final class FailedAuthentications {
  private static final int MAX_TRACKED = 100_000;

  private final double perSecond;
  private final double burst;
  private final ConcurrentHashMap<InetAddress, TokenBucket> buckets = new ConcurrentHashMap<>();

  public FailedAuthentications(double perSecond, double burst) {
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** Empty when {@code client} may try to authenticate now, else how long (nanoseconds) until it may. */
  public OptionalLong refusal(InetAddress client, long nowNanos) {
    TokenBucket bucket = buckets.get(client);
    if (bucket == null) {
      return OptionalLong.empty();
    }
    long wait = bucket.nanosUntil(1, nowNanos);
    return wait == 0 ? OptionalLong.empty() : OptionalLong.of(wait);
  }

  /** A request of {@code client} failed authentication. */
  public void failed(InetAddress client, long nowNanos) {
    if (buckets.size() >= MAX_TRACKED) {
      // addresses whose bucket has refilled owe nothing: forget them
      buckets.values().removeIf(b -> b.nanosUntilFull(nowNanos) == 0);
    }
    buckets.computeIfAbsent(client, c -> new TokenBucket(perSecond, burst, nowNanos)).tryAcquire(nowNanos);
  }
}
