package io.modelplane.identity;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Remembers asynchronous lookups for a short time so the request path does not ask an entity on
 * every request. Negative answers are remembered like any other (so random ids cannot flood the
 * entities); failed lookups are not (the next request asks again).
 */
public final class ShortLivedCache<K, V> {
  private static final int MAX_ENTRIES = 100_000;

  private record Entry<V>(CompletableFuture<V> value, long expiresAtNanos) {}

  private final long ttlNanos;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();

  public ShortLivedCache(Duration ttl) {
    this(ttl, System::nanoTime);
  }

  public ShortLivedCache(Duration ttl, LongSupplier nanoClock) {
    this.ttlNanos = ttl.toNanos();
    this.nanoClock = nanoClock;
  }

  /** The remembered answer for {@code key} while it is fresh, else the answer of {@code lookup}. */
  public CompletionStage<V> get(K key, Supplier<? extends CompletionStage<V>> load) {
    long now = nanoClock.getAsLong();
    Entry<V> cached = entries.get(key);
    if (cached != null && now - cached.expiresAtNanos() < 0) {
      return cached.value();
    }
    if (entries.size() >= MAX_ENTRIES) {
      entries.values().removeIf(e -> now - e.expiresAtNanos() >= 0);
    }
    // a plain JDK future: callers chaining on a cached answer then run at once, on their own thread
    // (the loader's stage may be one that runs every callback through another pool)
    CompletableFuture<V> lookup = new CompletableFuture<>();
    Entry<V> fresh = new Entry<>(lookup, now + ttlNanos);
    entries.put(key, fresh);
    load.get().whenComplete((found, failure) -> {
      if (failure != null) {
        entries.remove(key, fresh); // not remembered: the next request asks again
        lookup.completeExceptionally(failure);
      } else {
        lookup.complete(found);
      }
    });
    return lookup;
  }

  /** Forgets every remembered answer whose key matches: the next use asks again. */
  public void invalidateIf(Predicate<? super K> matching) {
    entries.keySet().removeIf(matching);
  }
}
