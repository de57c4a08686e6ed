package io.modelplane.api.view;

import io.modelplane.common.Quota;

/** A tenant's limits on the wire (responses, and the body of a quota in requests); null: unlimited. */
public record QuotaView(
    Double requestsPerSecond,
    Integer burst,
    Integer maxConcurrentRequests,
    Integer maxModels,
    Integer maxVersionsPerModel,
    Long maxResidentBytes,
    Long monthlyComputeSeconds) {

  public static QuotaView from(Quota q) {
    return new QuotaView(q.requestsPerSecond(), q.burst(), q.maxConcurrentRequests(), q.maxModels(),
        q.maxVersionsPerModel(), q.maxResidentBytes(), q.monthlyComputeSeconds());
  }

  public Quota toQuota() {
    return new Quota(requestsPerSecond, burst, maxConcurrentRequests, maxModels, maxVersionsPerModel,
        maxResidentBytes, monthlyComputeSeconds);
  }
}
