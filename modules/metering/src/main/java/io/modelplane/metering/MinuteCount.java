package io.modelplane.metering;

import java.util.Arrays;
import java.util.Objects;

/**
 * The cumulative counts of one writer for one (tenant, model, version, minute, status): a row of
 * {@code usage_minute}. Cumulative, not a delta, so writing the same row twice changes nothing.
 *
 * @param latency requests per {@link LatencyBuckets} bucket ({@link LatencyBuckets#COUNT} counts)
 */
public record MinuteCount(String tenant, String model, String version, long minuteEpochMillis, int status, String writer,
                          long requests, long items, long computeMicros, long[] latency) {

  public MinuteCount {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(writer, "writer");
    if (minuteEpochMillis % 60_000L != 0) {
      throw new IllegalArgumentException("minuteEpochMillis must start a UTC minute, was " + minuteEpochMillis);
    }
    if (latency.length != LatencyBuckets.COUNT) {
      throw new IllegalArgumentException("latency must have " + LatencyBuckets.COUNT + " buckets");
    }
    latency = latency.clone();
  }

  /** A row without latencies (all buckets zero). */
  public MinuteCount(String tenant, String model, String version, long minuteEpochMillis, int status, String writer,
      long requests, long items, long computeMicros) {
    this(tenant, model, version, minuteEpochMillis, status, writer, requests, items, computeMicros,
        new long[LatencyBuckets.COUNT]);
  }

  @Override
  public long[] latency() {
    return latency.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MinuteCount m && tenant.equals(m.tenant) && model.equals(m.model) && version.equals(m.version)
        && minuteEpochMillis == m.minuteEpochMillis && status == m.status && writer.equals(m.writer)
        && requests == m.requests && items == m.items && computeMicros == m.computeMicros
        && Arrays.equals(latency, m.latency);
  }

  @Override
  public int hashCode() {
    return Objects.hash(tenant, model, version, minuteEpochMillis, status, writer, requests, items, computeMicros)
        * 31 + Arrays.hashCode(latency);
  }

  @Override
  public String toString() {
    return "MinuteCount[" + tenant + "/" + model + ":" + version + " @" + minuteEpochMillis + " status " + status
        + " by " + writer + ": requests=" + requests + ", items=" + items + ", computeMicros=" + computeMicros
        + ", latency=" + Arrays.toString(latency) + "]";
  }
}
