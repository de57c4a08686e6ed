package io.modelplane.identity;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Remembers asynchronous lookups for a short time so the request path does not ask an entity on
 * every request. Negative answers are remembered like any other (so random ids cannot flood the
 * entities); failed lookups are not (the next request asks again).
 *
 * <p>With a stale-if-error window, a lookup that fails (the entity did not answer, e.g. while its
 * shard moves after a node crash) answers with the last successful answer for that key instead,
 * if that was confirmed within the window; until a lookup succeeds again, requests get that answer
 * at once while one lookup at a time retries in the background. {@link #invalidateIf} forgets the
 * last good answers too: an explicit change is never overridden by a stale answer.
 */
public final class ShortLivedCache<K, V> {
  private static final int MAX_ENTRIES = 100_000;

  private record Entry<V>(CompletableFuture<V> value, long expiresAtNanos) {}

  /** The last successful answer; {@code failing}: the latest lookup for it failed. */
  private record Good<V>(V value, long confirmedAtNanos, boolean failing) {}

  private final long ttlNanos;
  private final long staleNanos;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<K, Good<V>> lastGood = new ConcurrentHashMap<>();
  // a lookup started before an invalidation must not bring its answer back as a last good one
  private final AtomicLong invalidations = new AtomicLong();

  public ShortLivedCache(Duration ttl) {
    this(ttl, System::nanoTime);
  }

  public ShortLivedCache(Duration ttl, LongSupplier nanoClock) {
    this(ttl, Duration.ZERO, nanoClock);
  }

  /** {@code staleIfError}: how long after it was last confirmed an answer may stand in for a failed lookup. */
  public ShortLivedCache(Duration ttl, Duration staleIfError, LongSupplier nanoClock) {
    this.ttlNanos = ttl.toNanos();
    this.staleNanos = staleIfError.toNanos();
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
      lastGood.values().removeIf(g -> now - g.confirmedAtNanos() >= staleNanos);
    }
    Good<V> good = usable(key, now);
    long epoch = invalidations.get();
    if (good != null && good.failing()) {
      // the source is out of reach: answer at once, one lookup in the background to see if it is back
      Entry<V> stale = new Entry<>(CompletableFuture.completedFuture(good.value()), now + ttlNanos);
      if (cached == null ? entries.putIfAbsent(key, stale) == null : entries.replace(key, cached, stale)) {
        load.get().whenComplete((found, failure) -> {
          if (failure == null) {
            remember(key, found, epoch);
            entries.replace(key, stale, new Entry<>(CompletableFuture.completedFuture(found),
                nanoClock.getAsLong() + ttlNanos));
          }
        });
        return stale.value();
      }
      return get(key, load); // another request got there first
    }
    // a plain JDK future: callers chaining on a cached answer then run at once, on their own thread
    // (the loader's stage may be one that runs every callback through another pool)
    CompletableFuture<V> lookup = new CompletableFuture<>();
    Entry<V> fresh = new Entry<>(lookup, now + ttlNanos);
    entries.put(key, fresh);
    load.get().whenComplete((found, failure) -> {
      if (failure != null) {
        Good<V> fallback = usable(key, nanoClock.getAsLong());
        if (fallback != null && invalidations.get() == epoch
            && lastGood.replace(key, fallback, new Good<>(fallback.value(), fallback.confirmedAtNanos(), true))) {
          // remembered for the time-to-live, as a fresh answer would be
          lookup.complete(fallback.value());
          return;
        }
        entries.remove(key, fresh); // not remembered: the next request asks again
        lookup.completeExceptionally(failure);
      } else {
        remember(key, found, epoch);
        lookup.complete(found);
      }
    });
    return lookup;
  }

  /** Forgets every remembered answer whose key matches: the next use asks again. */
  public void invalidateIf(Predicate<? super K> matching) {
    invalidations.incrementAndGet();
    lastGood.keySet().removeIf(matching);
    entries.keySet().removeIf(matching);
  }

  private Good<V> usable(K key, long now) {
    Good<V> good = staleNanos > 0 ? lastGood.get(key) : null;
    if (good != null && now - good.confirmedAtNanos() >= staleNanos) {
      lastGood.remove(key, good);
      return null;
    }
    return good;
  }

  private void remember(K key, V found, long epoch) {
    if (staleNanos > 0 && invalidations.get() == epoch) {
      Good<V> good = new Good<>(found, nanoClock.getAsLong(), false);
      lastGood.put(key, good);
      if (invalidations.get() != epoch) {
        lastGood.remove(key, good); // invalidated meanwhile
      }
    }
  }
}
