package io.modelplane.control.billing;

import io.modelplane.control.readside.ModelDirectory;
import io.modelplane.control.readside.TenantDirectory;
import io.modelplane.metering.LatencyBuckets;
import io.modelplane.metering.TenantActivity;
import io.modelplane.metering.UsageStore;
import io.modelplane.tenancy.TenantEntity;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The platform at a glance for the operator: tenants and models by status (read tables) and the last hour's
 * calls per tenant with their latency percentiles (usage tables, every node's calls merged).
 */
public final class PlatformOverview {
  /** How many tenants {@code topByCompute} lists. */
  public static final int TOP = 10;
  private static final long MINUTE_MS = 60_000L;

  public record Overview(Tenants tenants, Models models, LastHour lastHour, List<Compute> topByCompute) {}

  public record Tenants(long total, long active, long suspended) {}

  public record Models(long total, Map<String, Long> byStatus) {}

  /** The minutes of [from, to); {@code tenants}: those with calls, busiest first. */
  public record LastHour(Instant from, Instant to, List<TenantHour> tenants) {}

  /** {@code p50Ms}/{@code p99Ms}: null without a call to measure (4xx refusals are not measured). */
  public record TenantHour(String tenant, long requests, long errors, Double p50Ms, Double p99Ms,
      double computeSeconds) {}

  public record Compute(String tenant, double computeSeconds) {}

  private final TenantDirectory tenants;
  private final ModelDirectory models;
  private final UsageStore usage;
  private final Executor blocking;
  private final Clock clock;

  public PlatformOverview(TenantDirectory tenants, ModelDirectory models, UsageStore usage, Executor blocking,
      Clock clock) {
    this.tenants = tenants;
    this.models = models;
    this.usage = usage;
    this.blocking = blocking;
    this.clock = clock;
  }

  public CompletionStage<Overview> overview() {
    // the current minute counts: the hour ends where the current minute does
    Instant to = Instant.ofEpochMilli(Math.floorDiv(clock.millis(), MINUTE_MS) * MINUTE_MS + MINUTE_MS);
    Instant from = to.minus(Duration.ofHours(1));
    CompletableFuture<List<TenantActivity>> activity = CompletableFuture.supplyAsync(() -> {
      try {
        return usage.activity(from, to);
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
    return tenants.countByStatus().thenCombine(models.countByStatus(), (tenantCounts, modelCounts) -> {
      long active = tenantCounts.getOrDefault(TenantEntity.Status.ACTIVE, 0L);
      long suspended = tenantCounts.getOrDefault(TenantEntity.Status.SUSPENDED, 0L);
      long modelTotal = modelCounts.values().stream().mapToLong(Long::longValue).sum();
      return new Overview(new Tenants(active + suspended, active, suspended), new Models(modelTotal, modelCounts),
          null, null);
    }).thenCombine(activity, (counts, calls) -> {
      List<TenantHour> hour = calls.stream()
          .map(a -> new TenantHour(a.tenant(), a.requests(), a.errors(),
              LatencyBuckets.quantileMillis(a.latency(), 0.5), LatencyBuckets.quantileMillis(a.latency(), 0.99),
              a.computeMicros() / 1e6))
          .sorted(Comparator.comparingLong(TenantHour::requests).reversed().thenComparing(TenantHour::tenant))
          .toList();
      List<Compute> top = calls.stream().filter(a -> a.computeMicros() > 0)
          .sorted(Comparator.comparingLong(TenantActivity::computeMicros).reversed()
              .thenComparing(TenantActivity::tenant))
          .limit(TOP)
          .map(a -> new Compute(a.tenant(), a.computeMicros() / 1e6))
          .toList();
      return new Overview(counts.tenants(), counts.models(), new LastHour(from, to, hour), top);
    });
  }
}
