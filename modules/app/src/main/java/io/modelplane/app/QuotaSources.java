package io.modelplane.app;

import io.modelplane.api.ControlPlane;
import io.modelplane.common.Quota;
import io.modelplane.common.TenantId;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.admission.QuotaEntity;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Where the quota entities read limits (the tenant entity) and compute used (the usage store). */
final class QuotaSources implements QuotaEntity.Sources {
  private final ControlPlane controlPlane;

  QuotaSources(ControlPlane controlPlane) {
    this.controlPlane = controlPlane;
  }

  @Override
  public CompletionStage<Quota> quota(TenantId tenant) {
    return controlPlane.tenantSummary(tenant).thenApply(TenantEntity.Summary::quota);
  }

  @Override
  public CompletionStage<Long> computeMicrosThisMonth(TenantId tenant) {
    return CompletableFuture.completedFuture(0L);
  }
}
