package io.modelplane.control;

import io.modelplane.common.TenantId;
import io.modelplane.tenancy.TenantEntity;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API keys' last-used times without a write per request: each authentication only notes the time
 * in memory; {@link #report()} (every 30 s) sends each tenant the keys used since, which its
 * entity records to the minute. A crash loses at most one report period of last-used times.
 */
public final class KeyUsage {
  private static final Logger log = LoggerFactory.getLogger(KeyUsage.class);

  private final ControlPlane controlPlane;
  private final Clock clock;
  private final ConcurrentHashMap<String, Instant> used = new ConcurrentHashMap<>();

  public KeyUsage(ControlPlane controlPlane, Clock clock) {
    this.controlPlane = controlPlane;
    this.clock = clock;
  }

  /** A request authenticated with the key {@code keyId} ({@code <tenant>.<id>}: never the secret). */
  public void used(String keyId) {
    used.put(keyId, clock.instant());
  }

  /** Sends what was noted since the last report, one message per tenant. */
  public void report() {
    Map<TenantId, Map<String, Instant>> byTenant = new HashMap<>();
    for (String keyId : used.keySet()) {
      Instant at = used.remove(keyId);
      if (at != null) {
        TenantId tenant = TenantId.of(keyId.substring(0, keyId.indexOf('.')));
        byTenant.computeIfAbsent(tenant, t -> new HashMap<>()).put(keyId, at);
      }
    }
    byTenant.forEach((tenant, keys) -> controlPlane.tenant(tenant, r -> new TenantEntity.RecordKeyUse(keys, r),
            TenantEntity.Summary.class)
        .exceptionally(failure -> {
          log.debug("last-used times of {} keys of {} not recorded: {}", keys.size(), tenant, failure.toString());
          return null;
        }));
  }
}
