package io.modelplane.metering;

import java.util.Objects;

/** The bytes one worker keeps resident for one (tenant, model, version) when it was asked. */
public record ResidentSample(String worker, String tenant, String model, String version, long bytes) {
  public ResidentSample {
    Objects.requireNonNull(worker, "worker");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must not be negative");
    }
  }
}
