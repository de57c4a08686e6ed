package io.modelplane.api;

import io.modelplane.control.ControlPlane;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.modelplane.common.TenantId;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import io.modelplane.metering.Step;
import io.modelplane.metering.TenantUsageRow;
import io.modelplane.metering.UsageRow;
import io.modelplane.metering.UsageStore;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * {@code GET /tenants/{tenant}/usage?from&to&step}: the tenant's metered predict usage per minute,
 * hour or day and per model and version; {@code GET /admin/usage?from&to&step}: every tenant's, per
 * tenant (what the platform bills). Read from the usage tables, which lag the predict path by at most
 * the meter's flush interval.
 */
final class UsageRoutes extends ApiDirectives {
  /** At most this many time buckets per query of one tenant (a week of minutes). */
  static final long MAX_BUCKETS = 7 * 24 * 60;
  /** At most this many per query of all tenants, whose rows multiply by the tenants (a day of minutes). */
  static final long MAX_PLATFORM_BUCKETS = 24 * 60;

  record UsageView(String tenant, Instant from, Instant to, String step, List<UsageRow> rows) {}

  record PlatformUsageView(Instant from, Instant to, String step, List<TenantUsageRow> rows) {}

  private record Range(Instant from, Instant to, Step step) {}

  private final ControlPlane controlPlane;
  private final UsageStore store;
  private final Executor blocking;
  private final Clock clock;

  UsageRoutes(ControlPlane controlPlane, UsageStore store, Executor blocking, Clock clock) {
    this.controlPlane = controlPlane;
    this.store = store;
    this.blocking = blocking;
    this.clock = clock;
  }

  Route routes(Principal principal, TenantId tenant) {
    return path("usage", () -> get(() -> authorized(principal, Action.READ_USAGE, tenant, () ->
        parameterOptional("from", from -> parameterOptional("to", to -> parameterOptional("step", step ->
            respond(usage(tenant, range(from, to, step, MAX_BUCKETS)))))))));
  }

  /** {@code /admin/usage}, for the operator. */
  Route platformRoutes(Principal principal) {
    return path(segment("admin").slash("usage"), () -> get(() -> authorized(principal, Action.MANAGE_TENANTS, null, () ->
        parameterOptional("from", from -> parameterOptional("to", to -> parameterOptional("step", step ->
            respond(platformUsage(range(from, to, step, MAX_PLATFORM_BUCKETS)))))))));
  }

  private CompletionStage<HttpResponse> usage(TenantId tenant, Range range) {
    // the tenant must exist (an unknown one is 404, as everywhere)
    return controlPlane.tenantSummary(tenant)
        .thenCompose(summary -> read(() -> store.query(tenant.value(), range.from(), range.to(), range.step())))
        .thenApply(rows -> Json.response(StatusCodes.OK, new UsageView(tenant.value(), range.from(), range.to(),
            range.step().name().toLowerCase(), rows)));
  }

  private CompletionStage<HttpResponse> platformUsage(Range range) {
    return read(() -> store.queryTenants(range.from(), range.to(), range.step()))
        .thenApply(rows -> Json.response(StatusCodes.OK, new PlatformUsageView(range.from(), range.to(),
            range.step().name().toLowerCase(), rows)));
  }

  private interface Query<T> {
    T run() throws SQLException;
  }

  private <T> CompletionStage<T> read(Query<T> query) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return query.run();
      } catch (SQLException e) {
        throw new CompletionException(new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "usage_unavailable",
            "the usage store is not reachable; retry shortly", 2));
      }
    }, blocking);
  }

  /** The query's [from, to) and step: defaults, and 400s for what cannot be read or is too large. */
  private Range range(Optional<String> fromParam, Optional<String> toParam, Optional<String> stepParam,
      long maxBuckets) {
    Step step;
    try {
      step = Step.parse(stepParam.orElse("hour"));
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("invalid_step", "step must be minute, hour or day");
    }
    Instant to = toParam.map(v -> instant("to", v))
        .orElseGet(() -> Instant.ofEpochMilli(ceil(clock.millis(), step.millis())));
    Instant from = fromParam.map(v -> instant("from", v))
        .orElseGet(() -> to.minus(Duration.ofMillis(step.millis() * (step == Step.MINUTE ? 60 : step == Step.HOUR ? 24 : 30))));
    if (!from.isBefore(to)) {
      throw ApiError.badRequest("invalid_range", "from must be before to");
    }
    long buckets = (Duration.between(from, to).toMillis() + step.millis() - 1) / step.millis();
    if (buckets > maxBuckets) {
      throw ApiError.badRequest("range_too_large", "at most " + maxBuckets + " " + step.name().toLowerCase()
          + " buckets per query; narrow from/to or use a larger step");
    }
    return new Range(from, to, step);
  }

  private static Instant instant(String name, String value) {
    try {
      // 2026-11-26T08:00:00Z, or with an offset: 2026-11-26T09:00:00+01:00
      return java.time.OffsetDateTime.parse(value).toInstant().truncatedTo(ChronoUnit.MILLIS);
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest("invalid_time", name + " must be an ISO-8601 instant such as 2026-11-26T08:00:00Z");
    }
  }

  private static long ceil(long millis, long unit) {
    return (millis + unit - 1) / unit * unit;
  }
}
