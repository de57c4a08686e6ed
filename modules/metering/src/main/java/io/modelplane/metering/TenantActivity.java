package io.modelplane.metering;

import java.util.Objects;

/**
 * One tenant's predict calls over a time range, all nodes merged.
 *
 * @param latency calls per {@link LatencyBuckets} bucket, of calls not refused as the caller's fault (status
 *     below 400 or from 500)
 */
public record TenantActivity(String tenant, long requests, long errors, long computeMicros, long[] latency) {
  public TenantActivity {
    Objects.requireNonNull(tenant, "tenant");
    latency = latency.clone();
  }

  @Override
  public long[] latency() {
    return latency.clone();
  }
}
