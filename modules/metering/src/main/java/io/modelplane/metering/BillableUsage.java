package io.modelplane.metering;

import java.util.Objects;

/**
 * One tenant's metered totals over a time range, as exact integers: what a statement prices.
 *
 * @param errors requests answered with a status >= 400
 * @param residentByteMinutes the sum over the range's minutes of the bytes resident for the tenant
 */
public record BillableUsage(String tenant, long requests, long errors, long items, long computeMicros,
                            long residentByteMinutes) {
  public BillableUsage {
    Objects.requireNonNull(tenant, "tenant");
  }

  public static BillableUsage none(String tenant) {
    return new BillableUsage(tenant, 0, 0, 0, 0, 0);
  }
}
