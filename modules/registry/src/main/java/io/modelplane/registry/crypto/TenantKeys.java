package io.modelplane.registry.crypto;

import io.modelplane.common.TenantId;
import java.util.concurrent.CompletionStage;

/**
 * Each tenant's data key, stored wrapped by the platform KEK in a mutable table (never in the
 * journal, which keeps everything forever); the journal records only that a key was created,
 * re-wrapped or destroyed.
 */
public interface TenantKeys {

  /**
   * The tenant's data key, created and durably stored on first use. Fails with
   * {@link KeyUnavailableException} when the tenant's key was destroyed (until {@link #forget} is
   * called for a released id) or its KEK is not available.
   */
  CompletionStage<DataKey> keyOf(TenantId tenant);

  /** Crypto-shreds the tenant's data key (its artifacts become unreadable); true if a key existed. Idempotent. */
  CompletionStage<Boolean> destroy(TenantId tenant);

  /**
   * Forgets a destroyed tenant's key entirely, so that a released tenant id created again gets a
   * fresh key (with a new key id, so the old artifacts still cannot be read with it).
   */
  CompletionStage<Boolean> forget(TenantId tenant);

  /** Re-wraps every data key under the active KEK, without touching artifacts; journaled with {@code actor}. */
  CompletionStage<RotationResult> rotate(String actor);
}
