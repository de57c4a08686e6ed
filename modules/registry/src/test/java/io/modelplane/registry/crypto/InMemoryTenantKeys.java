package io.modelplane.registry.crypto;

import io.modelplane.common.TenantId;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A hand-written {@link TenantKeys} for tests: keys in memory, wrapped by a real {@link KeySource}. */
public final class InMemoryTenantKeys implements TenantKeys {
  private record Wrapped(String kekId, byte[] bytes, int generation) {}

  private final KeySource kek;
  private final Map<TenantId, Wrapped> keys = new HashMap<>();
  private final Set<TenantId> destroyed = new HashSet<>();
  private final Map<TenantId, Integer> generations = new HashMap<>();

  public InMemoryTenantKeys(KeySource kek) {
    this.kek = kek;
  }

  @Override
  public synchronized CompletionStage<DataKey> keyOf(TenantId tenant) {
    try {
      if (destroyed.contains(tenant)) {
        throw new KeyUnavailableException("the data key of tenant " + tenant.value() + " was destroyed");
      }
      Wrapped wrapped = keys.get(tenant);
      if (wrapped == null) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        int generation = generations.merge(tenant, 1, Integer::sum);
        wrapped = new Wrapped(kek.activeKekId(), kek.wrap(kek.activeKekId(), key, tenant.value().getBytes()), generation);
        keys.put(tenant, wrapped);
      }
      return CompletableFuture.completedFuture(new DataKey(tenant, tenant.value() + "/" + wrapped.generation(),
          kek.unwrap(wrapped.kekId(), wrapped.bytes(), tenant.value().getBytes())));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public synchronized CompletionStage<Boolean> destroy(TenantId tenant) {
    destroyed.add(tenant);
    return CompletableFuture.completedFuture(keys.remove(tenant) != null);
  }

  @Override
  public synchronized CompletionStage<Boolean> forget(TenantId tenant) {
    return CompletableFuture.completedFuture(destroyed.remove(tenant));
  }

  @Override
  public synchronized CompletionStage<RotationResult> rotate(String actor) {
    String active = kek.activeKekId();
    int count = 0;
    String before = active;
    for (Map.Entry<TenantId, Wrapped> e : keys.entrySet()) {
      Wrapped w = e.getValue();
      if (!w.kekId().equals(active)) {
        before = w.kekId();
        byte[] key = kek.unwrap(w.kekId(), w.bytes(), e.getKey().value().getBytes());
        e.setValue(new Wrapped(active, kek.wrap(active, key, e.getKey().value().getBytes()), w.generation()));
        count++;
      }
    }
    return CompletableFuture.completedFuture(new RotationResult(before, active, count));
  }
}
