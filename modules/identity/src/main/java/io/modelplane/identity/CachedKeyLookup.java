package io.modelplane.identity;

import io.modelplane.common.TenantId;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * Remembers key lookups for a short time so the predict path does not ask the tenant entity on
 * every request. The time-to-live bounds how long a revoked key or a suspended tenant may still
 * pass on a node; unknown keys are remembered too, so random keys cannot flood the entities.
 * While the tenant entity does not answer (its shard moving after a node crash), a key's last
 * answer stands for up to {@code staleIfError} after it was last confirmed; {@link #invalidate}
 * forgets it at once.
 */
public final class CachedKeyLookup implements ApiKeyAuthenticator.KeyLookup {
  private final ApiKeyAuthenticator.KeyLookup delegate;
  // keyed by key id, not the whole key: a flood of guessed secrets for one id asks the store once
  private final ShortLivedCache<String, Optional<ApiKeyAuthenticator.StoredKey>> cache;

  public CachedKeyLookup(ApiKeyAuthenticator.KeyLookup delegate, Duration ttl, Duration staleIfError) {
    this(delegate, ttl, staleIfError, System::nanoTime);
  }

  CachedKeyLookup(ApiKeyAuthenticator.KeyLookup delegate, Duration ttl, Duration staleIfError, LongSupplier nanoClock) {
    this.delegate = delegate;
    this.cache = new ShortLivedCache<>(ttl, staleIfError, nanoClock);
  }

  /** Forgets the tenant's keys (revoked, or the tenant suspended or resumed): the next use asks again. */
  public void invalidate(TenantId tenant) {
    String prefix = tenant.value() + ".";
    cache.invalidateIf(keyId -> keyId.startsWith(prefix));
  }

  @Override
  public CompletionStage<Optional<ApiKeyAuthenticator.StoredKey>> find(ApiKeyCredential key) {
    return cache.get(key.keyId(), () -> delegate.find(key));
  }
}
