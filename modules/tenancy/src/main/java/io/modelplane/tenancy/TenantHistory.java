package io.modelplane.tenancy;

import io.modelplane.common.HistoryEntry;
import io.modelplane.common.Quota;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Describes a tenant's events as history entries: the audit log of its profile, quota, status,
 * API keys (never their hashes), models and who may call it in Keycloak.
 */
public final class TenantHistory {

  private TenantHistory() {}

  /** The entry of the event stored at {@code sequenceNr}; empty for API key use (not a change). */
  public static Optional<HistoryEntry> describe(long sequenceNr, TenantEntity.Event event) {
    Map<String, Object> d = new LinkedHashMap<>();
    if (event instanceof TenantEntity.TenantCreated e) {
      d.put("displayName", e.displayName());
      d.put("quota", quota(e.quota()));
      if (e.plan() != null) {
        d.put("plan", e.plan());
        d.put("quotaOverrides", e.overrides() == null ? Map.of() : Collections.unmodifiableMap(e.overrides().asMap()));
      }
      return entry(sequenceNr, "tenant_created", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.DisplayNameChanged e) {
      d.put("displayName", e.displayName());
      return entry(sequenceNr, "display_name_changed", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.QuotaChanged e) {
      d.put("quota", quota(e.quota()));
      return entry(sequenceNr, "quota_changed", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.PlanTermsChanged e) {
      d.put("plan", e.plan());
      d.put("quotaOverrides", Collections.unmodifiableMap(e.overrides().asMap()));
      d.put("quota", quota(e.quota()));
      return entry(sequenceNr, "plan_terms_changed", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.TenantSuspended e) {
      return entry(sequenceNr, "tenant_suspended", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.TenantResumed e) {
      return entry(sequenceNr, "tenant_resumed", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.ApiKeyAdded e) {
      d.put("keyId", e.keyId());
      d.put("name", e.name());
      d.put("role", e.role().wireName());
      return entry(sequenceNr, "api_key_created", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.ApiKeyRevoked e) {
      d.put("keyId", e.keyId());
      return entry(sequenceNr, "api_key_revoked", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.ModelAdded e) {
      d.put("model", e.modelId());
      return entry(sequenceNr, "model_added", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.ModelReleased e) {
      d.put("model", e.modelId());
      return entry(sequenceNr, "model_released", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.IdentityProvisioned e) {
      d.put("organizationId", e.identity().organizationId());
      d.put("groupIds", new java.util.TreeMap<>(e.identity().groupIds()));
      return entry(sequenceNr, "identity_provisioned", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.AccessChanged e) {
      d.put("keycloakId", e.keycloakId());
      d.put("detail", e.detail());
      return entry(sequenceNr, e.kind(), e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.WorkerPoolChanged e) {
      d.put("workerPool", e.workerPool());
      return entry(sequenceNr, "worker_pool_changed", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.DeletionStarted e) {
      d.put("releaseId", e.releaseId());
      return entry(sequenceNr, "tenant_deletion_started", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.TenantDeleted e) {
      d.put("artifactsDeleted", e.artifactsDeleted());
      d.put("dataKeyDestroyed", true);
      d.put("idReleased", e.idReleased());
      return entry(sequenceNr, "tenant_deleted", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.TenantExported e) {
      d.put("exportId", e.exportId());
      return entry(sequenceNr, "tenant_exported", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.ExportFinished e) {
      d.put("exportId", e.exportId());
      d.put("complete", e.complete());
      d.put("artifacts", e.artifacts());
      return entry(sequenceNr, "tenant_export_finished", e.at(), e.actor(), d);
    }
    if (event instanceof TenantEntity.ApiKeysUsed) {
      return Optional.empty();
    }
    throw new IllegalArgumentException("no history mapping for " + event.getClass().getName());
  }

  private static Optional<HistoryEntry> entry(long sequenceNr, String type, Instant at, String actor, Map<String, Object> d) {
    return Optional.of(new HistoryEntry(sequenceNr, type, at, actor, Collections.unmodifiableMap(d)));
  }

  private static Map<String, Object> quota(Quota q) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("requestsPerSecond", q.requestsPerSecond());
    m.put("burst", q.burst());
    m.put("maxConcurrentRequests", q.maxConcurrentRequests());
    m.put("maxModels", q.maxModels());
    m.put("maxVersionsPerModel", q.maxVersionsPerModel());
    m.put("maxResidentBytes", q.maxResidentBytes());
    m.put("monthlyComputeSeconds", q.monthlyComputeSeconds());
    return Collections.unmodifiableMap(m);
  }
}
