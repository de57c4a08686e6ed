package io.modelplane.metering;

import java.util.Objects;

/**
 * The cumulative counts of one writer for one (tenant, model, version, minute, status): a row of
 * {@code usage_minute}. Cumulative, not a delta, so writing the same row twice changes nothing.
 */
public record MinuteCount(String tenant, String model, String version, long minuteEpochMillis, int status, String writer,
                          long requests, long items, long computeMicros) {

  public MinuteCount {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(writer, "writer");
    if (minuteEpochMillis % 60_000L != 0) {
      throw new IllegalArgumentException("minuteEpochMillis must start a UTC minute, was " + minuteEpochMillis);
    }
  }
}
