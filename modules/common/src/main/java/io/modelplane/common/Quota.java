package io.modelplane.common;

/**
 * A tenant's limits (API.md's quota object). A null field means unlimited.
 *
 * @param requestsPerSecond sustained predict rate
 * @param burst token-bucket depth above the sustained rate
 * @param maxConcurrentRequests predict requests in flight at once
 * @param maxModels models the tenant may register
 * @param maxVersionsPerModel versions one model may hold (archived ones included)
 * @param maxResidentBytes bytes the tenant's models may keep resident on workers
 * @param monthlyComputeSeconds compute budget per calendar month
 */
public record Quota(
    Double requestsPerSecond,
    Integer burst,
    Integer maxConcurrentRequests,
    Integer maxModels,
    Integer maxVersionsPerModel,
    Long maxResidentBytes,
    Long monthlyComputeSeconds)
    implements CborSerializable {

  /** The plan a tenant gets when it is created without a quota. */
  public static Quota defaults() {
    return new Quota(100.0, 200, 32, 20, 50, 4L * 1024 * 1024 * 1024, null);
  }

  public static Quota unlimited() {
    return new Quota(null, null, null, null, null, null, null);
  }

  /** The first rule this quota breaks, or null when it is valid. */
  public String violation() {
    if (requestsPerSecond != null && !(requestsPerSecond > 0 && Double.isFinite(requestsPerSecond))) {
      return "quota.requestsPerSecond must be a positive number";
    }
    if (burst != null && burst < 0) {
      return "quota.burst must not be negative";
    }
    if (maxConcurrentRequests != null && maxConcurrentRequests < 1) {
      return "quota.maxConcurrentRequests must be at least 1";
    }
    if (maxModels != null && maxModels < 0) {
      return "quota.maxModels must not be negative";
    }
    if (maxVersionsPerModel != null && maxVersionsPerModel < 1) {
      return "quota.maxVersionsPerModel must be at least 1";
    }
    if (maxResidentBytes != null && maxResidentBytes < 0) {
      return "quota.maxResidentBytes must not be negative";
    }
    if (monthlyComputeSeconds != null && monthlyComputeSeconds < 0) {
      return "quota.monthlyComputeSeconds must not be negative";
    }
    return null;
  }
}
