package io.modelplane.control;

import io.modelplane.common.Quota;
import io.modelplane.common.TenantId;
import io.modelplane.metering.UsageStore;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.admission.QuotaEntity;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** Where the quota entities read limits (the tenant entity) and compute used (the usage tables). */
public final class QuotaSources implements QuotaEntity.Sources {
  private final ControlPlane controlPlane;
  private final UsageStore usage;
  private final Executor blocking;

  public QuotaSources(ControlPlane controlPlane, UsageStore usage, Executor blocking) {
    this.controlPlane = controlPlane;
    this.usage = usage;
    this.blocking = blocking;
  }

  @Override
  public CompletionStage<Quota> quota(TenantId tenant) {
    return controlPlane.tenantSummary(tenant).thenApply(TenantEntity.Summary::quota);
  }

  @Override
  public CompletionStage<Long> computeMicrosThisMonth(TenantId tenant) {
    Instant monthStart = LocalDate.now(ZoneOffset.UTC).withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    return CompletableFuture.supplyAsync(() -> {
      try {
        return usage.computeMicrosSince(tenant.value(), monthStart);
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }
}
