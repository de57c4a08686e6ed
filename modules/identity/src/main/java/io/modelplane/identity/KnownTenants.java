package io.modelplane.identity;

import io.modelplane.common.TenantId;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The ids of every tenant that exists, as this node knows them: read (from the tenants read table) at
 * start and again now and then, and added to as tenants are created (every node hears of it). A key naming a
 * tenant outside the set is refused at once, without waking an entity or reading the journal, so
 * random keys create no work and an unknown tenant answers as fast as a wrong secret.
 */
public final class KnownTenants {
  private final Supplier<CompletionStage<? extends Collection<String>>> journal;
  private final long minReloadNanos;
  private final LongSupplier nanoClock;
  private final Set<String> ids = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean reloading = new AtomicBoolean();
  private final AtomicLong lastReloadNanos;
  private volatile boolean loaded;

  /**
   * @param journal every tenant id (the control plane's tenants table)
   * @param minReload the least time between two reads of the journal that a miss triggers (a tenant
   *     created on another node whose news did not arrive is known after at most this long)
   */
  public KnownTenants(Supplier<CompletionStage<? extends Collection<String>>> journal, Duration minReload) {
    this(journal, minReload, System::nanoTime);
  }

  KnownTenants(Supplier<CompletionStage<? extends Collection<String>>> journal, Duration minReload,
      LongSupplier nanoClock) {
    this.journal = journal;
    this.minReloadNanos = minReload.toNanos();
    this.nanoClock = nanoClock;
    this.lastReloadNanos = new AtomicLong(nanoClock.getAsLong() - minReloadNanos);
  }

  /**
   * Reads the journal's tenants; until a first read has succeeded, every tenant may exist. Fails
   * as the read failed (the set stays as it was).
   */
  public CompletionStage<Void> reload() {
    if (!reloading.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    lastReloadNanos.set(nanoClock.getAsLong());
    CompletionStage<? extends Collection<String>> read;
    try {
      read = journal.get();
    } catch (RuntimeException e) {
      read = CompletableFuture.failedFuture(e);
    }
    return read.whenComplete((all, failure) -> {
      reloading.set(false);
      if (failure == null) {
        ids.addAll(all); // union: a tenant heard of while reading stays
        loaded = true;
      }
    }).thenApply(all -> null);
  }

  /** {@code tenant} exists (it was just created, or changed). */
  public void add(TenantId tenant) {
    ids.add(tenant.value());
  }

  /** True only when the tenant certainly does not exist as far as this node knows; then a reload may follow. */
  public boolean unknown(TenantId tenant) {
    if (!loaded || ids.contains(tenant.value())) {
      return false;
    }
    long now = nanoClock.getAsLong();
    long last = lastReloadNanos.get();
    if (now - last >= minReloadNanos && lastReloadNanos.compareAndSet(last, now)) {
      reload();
    }
    return true;
  }

  /** {@code lookup}, asked only for keys of tenants that may exist; the others are unknown keys. */
  public ApiKeyAuthenticator.KeyLookup guard(ApiKeyAuthenticator.KeyLookup lookup) {
    CompletableFuture<Optional<ApiKeyAuthenticator.StoredKey>> none = CompletableFuture.completedFuture(Optional.empty());
    return key -> unknown(key.tenant()) ? none : lookup.find(key);
  }
}
