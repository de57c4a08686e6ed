package io.modelplane.common;

import java.util.regex.Pattern;

/**
 * A named quota template with prices: a tenant on the plan gets its quota (unless it overrides a limit) and is billed
 * at its prices.
 *
 * @param id lowercase letters, digits and '-', 2–40 characters
 * @param currency ISO 4217 code; every amount of the plan is in this currency's minor units
 */
public record Plan(String id, String displayName, Quota quota, Prices prices, String currency)
    implements CborSerializable {
  /** The plan every tenant is on unless it is given another; it always exists. */
  public static final String DEFAULT_ID = "default";
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{1,39}");
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

  /** The built-in default plan as first created: the default quota, free. */
  public static Plan builtInDefault() {
    return new Plan(DEFAULT_ID, "Default", Quota.defaults(), Prices.FREE, "USD");
  }

  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  /** The first rule this plan breaks, or null when it is valid. */
  public String violation() {
    if (!isValidId(id)) {
      return "plan id must be 2-40 characters of lowercase letters, digits and '-', starting with a letter or digit";
    }
    if (displayName == null || displayName.isBlank() || displayName.length() > 200) {
      return "displayName must be 1-200 characters";
    }
    if (quota == null) {
      return "quota is required";
    }
    String quotaProblem = quota.violation();
    if (quotaProblem != null) {
      return quotaProblem;
    }
    if (prices == null) {
      return "prices is required";
    }
    String pricesProblem = prices.violation();
    if (pricesProblem != null) {
      return pricesProblem;
    }
    if (currency == null || !CURRENCY.matcher(currency).matches()) {
      return "currency must be an ISO 4217 code of three capital letters, like USD";
    }
    return null;
  }

  /**
   * A plan's prices, each in minor units of the plan's currency (cents for USD).
   *
   * @param perMillionRequests per million predict requests
   * @param perComputeHour per hour of model compute time
   * @param perGiBHourResident per GiB of model memory kept resident for an hour
   * @param monthlyBase per calendar month the tenant exists
   */
  public record Prices(long perMillionRequests, long perComputeHour, long perGiBHourResident, long monthlyBase)
      implements CborSerializable {
    public static final Prices FREE = new Prices(0, 0, 0, 0);
    /** Keeps every line item far from overflow: 10^12 minor units is ten billion dollars. */
    public static final long MAX = 1_000_000_000_000L;

    public String violation() {
      if (perMillionRequests < 0 || perComputeHour < 0 || perGiBHourResident < 0 || monthlyBase < 0) {
        return "prices must not be negative";
      }
      if (perMillionRequests > MAX || perComputeHour > MAX || perGiBHourResident > MAX || monthlyBase > MAX) {
        return "prices must be at most " + MAX + " minor units";
      }
      return null;
    }
  }
}
