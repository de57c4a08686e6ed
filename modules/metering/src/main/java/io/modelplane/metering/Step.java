package io.modelplane.metering;

/** The bucket width of a usage query; buckets are aligned to the epoch, so to UTC. */
public enum Step {
  MINUTE(60_000L),
  HOUR(3_600_000L),
  DAY(86_400_000L);

  private final long millis;

  Step(long millis) {
    this.millis = millis;
  }

  public long millis() {
    return millis;
  }

  /** {@code "minute"}, {@code "hour"} or {@code "day"}, as the usage API spells them. */
  public static Step parse(String s) {
    if (s != null) {
      switch (s) {
        case "minute":
          return MINUTE;
        case "hour":
          return HOUR;
        case "day":
          return DAY;
        default:
          break;
      }
    }
    throw new IllegalArgumentException("step must be minute, hour or day, was " + s);
  }
}
