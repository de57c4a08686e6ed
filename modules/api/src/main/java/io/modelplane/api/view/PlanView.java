package io.modelplane.api.view;

import io.modelplane.control.readside.PlanDirectory;
import java.time.Instant;
import java.util.List;

/**
 * A plan as the API shows it: prices in minor units of {@code currency}; {@code tenants} on it now;
 * {@code createdAt}/{@code updatedAt} null for the built-in plan never changed.
 */
public record PlanView(String id, String displayName, QuotaView quota, PricesView prices, String currency,
    long tenants, Instant createdAt, Instant updatedAt) {

  public static PlanView from(PlanDirectory.PlanRow row) {
    var plan = row.plan();
    var p = plan.prices();
    return new PlanView(plan.id(), plan.displayName(), QuotaView.from(plan.quota()),
        new PricesView(p.perMillionRequests(), p.perComputeHour(), p.perGiBHourResident(), p.monthlyBase()),
        plan.currency(), row.tenants(), row.createdAt(), row.updatedAt());
  }

  /** A plan's prices on the wire, each in minor units (cents for USD). */
  public record PricesView(long perMillionRequests, long perComputeHour, long perGiBHourResident, long monthlyBase) {}

  /** A page of {@code GET /api/v1/admin/plans}; {@code next} null on the last. */
  public record PlanList(List<PlanView> items, String next) {}
}
