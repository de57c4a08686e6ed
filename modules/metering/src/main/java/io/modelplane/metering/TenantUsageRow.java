package io.modelplane.metering;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** One tenant's usage in one time bucket, over all its models (errors = requests with status >= 400). */
public record TenantUsageRow(Instant start, String tenant, long requests, long items, long errors,
                             double computeMillis, Map<Integer, Long> statuses) {

  /** {@code statuses}: HTTP status to request count, kept sorted by status and unmodifiable. */
  public TenantUsageRow {
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(tenant, "tenant");
    statuses = Collections.unmodifiableSortedMap(new TreeMap<>(statuses));
  }
}
