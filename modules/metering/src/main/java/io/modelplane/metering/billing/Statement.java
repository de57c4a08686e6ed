package io.modelplane.metering.billing;

import io.modelplane.common.Plan;
import java.util.List;
import java.util.Objects;

/**
 * A tenant's bill for one calendar month (UTC): its metered usage, its plan's prices, one line per item and
 * the total, every amount in integer minor units of {@code currency}.
 *
 * @param month {@code YYYY-MM}
 * @param plan the plan's id
 */
public record Statement(String tenant, String month, String plan, String currency, Usage usage, Prices prices,
                        List<Line> lines, long total) {
  public Statement {
    Objects.requireNonNull(tenant, "tenant");
    lines = List.copyOf(lines);
  }

  /** The plan's prices the statement applies, in minor units (a copy of the plan's: statements are no plans). */
  public record Prices(long perMillionRequests, long perComputeHour, long perGiBHourResident, long monthlyBase) {
    public static Prices of(Plan.Prices p) {
      return new Prices(p.perMillionRequests(), p.perComputeHour(), p.perGiBHourResident(), p.monthlyBase());
    }
  }

  /**
   * The month's metered totals.
   *
   * @param errors requests answered with a status >= 400 (not billed)
   * @param computeSeconds model compute time
   * @param residentGiBHours the sum over the month's minutes of the GiB resident, divided by 60
   */
  public record Usage(long requests, long errors, long items, double computeSeconds, double residentGiBHours) {}

  /**
   * One priced item: {@code amount} = {@code quantity} × {@code unitPrice} rounded half up to a minor unit
   * (computed from the exact quantity; {@code quantity} is shown as a double).
   *
   * @param item {@code base}, {@code requests}, {@code compute} or {@code resident}
   */
  public record Line(String item, String description, double quantity, String unit, long unitPrice, long amount) {}
}
