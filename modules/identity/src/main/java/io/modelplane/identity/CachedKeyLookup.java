package io.modelplane.identity;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Remembers key lookups for a short time so the predict path does not ask the tenant entity on
 * every request. The time-to-live bounds how long a revoked key or a suspended tenant may still
 * pass on a node; unknown keys are remembered too, so random keys cannot flood the entities.
 */
public final class CachedKeyLookup implements ApiKeyAuthenticator.KeyLookup {
  private static final int MAX_ENTRIES = 100_000;

  private record Entry(CompletableFuture<Optional<ApiKeyAuthenticator.StoredKey>> key, long expiresAtNanos) {}

  private final ApiKeyAuthenticator.KeyLookup delegate;
  private final long ttlNanos;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  public CachedKeyLookup(ApiKeyAuthenticator.KeyLookup delegate, Duration ttl) {
    this(delegate, ttl, System::nanoTime);
  }

  CachedKeyLookup(ApiKeyAuthenticator.KeyLookup delegate, Duration ttl, LongSupplier nanoClock) {
    this.delegate = delegate;
    this.ttlNanos = ttl.toNanos();
    this.nanoClock = nanoClock;
  }

  /** Forgets the tenant's keys (revoked, or the tenant suspended or resumed): the next use asks again. */
  public void invalidate(io.modelplane.common.TenantId tenant) {
    String prefix = tenant.value() + ".";
    entries.keySet().removeIf(keyId -> keyId.startsWith(prefix));
  }

  @Override
  public CompletionStage<Optional<ApiKeyAuthenticator.StoredKey>> find(ApiKeyCredential key) {
    long now = nanoClock.getAsLong();
    Entry cached = entries.get(key.keyId());
    if (cached != null && now - cached.expiresAtNanos() < 0) {
      return cached.key();
    }
    if (entries.size() >= MAX_ENTRIES) {
      entries.values().removeIf(e -> now - e.expiresAtNanos() >= 0);
    }
    // a plain JDK future: callers chaining on a cached answer then run at once, on their own thread
    // (the delegate's stage may be one that runs every callback through another pool)
    CompletableFuture<Optional<ApiKeyAuthenticator.StoredKey>> lookup = new CompletableFuture<>();
    Entry fresh = new Entry(lookup, now + ttlNanos);
    entries.put(key.keyId(), fresh);
    delegate.find(key).whenComplete((found, failure) -> {
      if (failure != null) {
        entries.remove(key.keyId(), fresh); // not remembered: the next request asks again
        lookup.completeExceptionally(failure);
      } else {
        lookup.complete(found);
      }
    });
    return lookup;
  }
}
