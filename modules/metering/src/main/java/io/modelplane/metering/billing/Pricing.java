package io.modelplane.metering.billing;

import io.modelplane.common.Plan;
import io.modelplane.metering.BillableUsage;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.YearMonth;
import java.util.List;

/**
 * Prices a month's usage at a plan: a pure function of the exact metered integers and the plan, so the same
 * month gives the same statement however often and wherever it is computed.
 *
 * <p>Lines, in this order: {@code base} (the plan's monthly base, once per month the tenant existed in), {@code requests} (requests
 * answered without error, per million), {@code compute} (model compute time, per hour) and {@code resident}
 * (GiB kept resident, per hour: the sum over the month's minutes of bytes / 2^30, divided by 60). Each line's
 * amount is its exact quantity times the unit price, rounded half up to a whole minor unit; the total is the
 * sum of the rounded lines.
 */
public final class Pricing {
  private static final BigInteger MILLION = BigInteger.valueOf(1_000_000L);
  private static final BigInteger MICROS_PER_HOUR = BigInteger.valueOf(3_600_000_000L);
  /** Bytes per GiB times minutes per hour: byte-minutes per GiB-hour. */
  private static final BigInteger BYTE_MINUTES_PER_GIB_HOUR = BigInteger.ONE.shiftLeft(30).multiply(BigInteger.valueOf(60));

  private Pricing() {}

  /** The statement of a tenant that existed in the month. */
  public static Statement statement(YearMonth month, BillableUsage usage, Plan plan) {
    return statement(month, usage, plan, true);
  }

  /** {@code existed}: whether the tenant existed in the month (else it owes no monthly base). */
  public static Statement statement(YearMonth month, BillableUsage usage, Plan plan, boolean existed) {
    Plan.Prices prices = plan.prices();
    long billable = Math.max(0, usage.requests() - usage.errors());
    List<Statement.Line> lines = List.of(
        line("base", "Monthly base of plan " + plan.displayName(), existed ? BigInteger.ONE : BigInteger.ZERO,
            BigInteger.ONE, "month", prices.monthlyBase()),
        line("requests", "Predict requests answered without error", BigInteger.valueOf(billable), MILLION,
            "million requests", prices.perMillionRequests()),
        line("compute", "Model compute time", BigInteger.valueOf(usage.computeMicros()), MICROS_PER_HOUR,
            "compute hour", prices.perComputeHour()),
        line("resident", "Model memory kept resident", BigInteger.valueOf(usage.residentByteMinutes()),
            BYTE_MINUTES_PER_GIB_HOUR, "GiB-hour", prices.perGiBHourResident()));
    long total = lines.stream().mapToLong(Statement.Line::amount).sum();
    Statement.Usage totals = new Statement.Usage(usage.requests(), usage.errors(), usage.items(),
        ratio(BigInteger.valueOf(usage.computeMicros()), MILLION),
        ratio(BigInteger.valueOf(usage.residentByteMinutes()), BYTE_MINUTES_PER_GIB_HOUR));
    return new Statement(usage.tenant(), month.toString(), plan.id(), plan.currency(), totals,
        Statement.Prices.of(prices), lines, total);
  }

  /** A line of quantity {@code numerator / denominator} units at {@code unitPrice}. */
  private static Statement.Line line(String item, String description, BigInteger numerator, BigInteger denominator,
      String unit, long unitPrice) {
    long amount = new BigDecimal(numerator.multiply(BigInteger.valueOf(unitPrice)))
        .divide(new BigDecimal(denominator), 0, RoundingMode.HALF_UP)
        .longValueExact();
    return new Statement.Line(item, description, ratio(numerator, denominator), unit, unitPrice, amount);
  }

  private static double ratio(BigInteger numerator, BigInteger denominator) {
    return new BigDecimal(numerator).divide(new BigDecimal(denominator), java.math.MathContext.DECIMAL128).doubleValue();
  }
}
