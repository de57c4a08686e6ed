package io.modelplane.identity.token;

import io.modelplane.common.TenantId;
import io.modelplane.identity.ShortLivedCache;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Remembers a tenant's {@link TenantAccess} (or that it does not exist) for a short time, so token
 * requests do not ask the tenant entity every time. The time-to-live bounds how long a suspension or
 * a token revocation may go unnoticed on a node; {@link #invalidate} makes it immediate on the node
 * that hears of it. While the tenant entity does not answer, the last answer stands for up to
 * {@link #DEFAULT_STALE_IF_ERROR} after it was last confirmed (see {@link ShortLivedCache}).
 */
public final class CachedTenantAccess implements Function<TenantId, CompletionStage<Optional<TenantAccess>>> {
  public static final Duration DEFAULT_TTL = Duration.ofMillis(500);
  public static final Duration DEFAULT_STALE_IF_ERROR = Duration.ofSeconds(60);

  private final Function<TenantId, ? extends CompletionStage<Optional<TenantAccess>>> delegate;
  private final ShortLivedCache<TenantId, Optional<TenantAccess>> cache;

  public CachedTenantAccess(Function<TenantId, ? extends CompletionStage<Optional<TenantAccess>>> delegate) {
    this(delegate, DEFAULT_TTL, DEFAULT_STALE_IF_ERROR, System::nanoTime);
  }

  public CachedTenantAccess(Function<TenantId, ? extends CompletionStage<Optional<TenantAccess>>> delegate,
                            Duration ttl, Duration staleIfError, LongSupplier nanoClock) {
    this.delegate = delegate;
    this.cache = new ShortLivedCache<>(ttl, staleIfError, nanoClock);
  }

  /** Forgets the tenant's status (suspended, resumed, created, tokens revoked): the next use asks again. */
  public void invalidate(TenantId tenant) {
    cache.invalidateIf(tenant::equals);
  }

  @Override
  public CompletionStage<Optional<TenantAccess>> apply(TenantId tenant) {
    return cache.get(tenant, () -> delegate.apply(tenant));
  }
}
