package io.modelplane.registry;

import io.modelplane.common.TenantId;

/** Where an artifact is stored: its tenant and the SHA-256 of its plaintext (no dedup across tenants). */
public record ArtifactAddress(TenantId tenant, String sha256) {

  /** For logs and pending-upload bookkeeping only. */
  @Override
  public String toString() {
    return tenant.value() + "/" + sha256;
  }
}
