package io.modelplane.metering;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** One aggregated row as the usage API returns it (errors = requests with status >= 400). */
public record UsageRow(Instant start, String model, String version, long requests, long items, long errors,
                       double computeMillis, Map<Integer, Long> statuses) {

  /** {@code statuses}: HTTP status to request count, kept sorted by status and unmodifiable. */
  public UsageRow {
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    statuses = Collections.unmodifiableSortedMap(new TreeMap<>(statuses));
  }
}
