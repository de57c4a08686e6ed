package io.modelplane.bench;

import java.util.Arrays;

/** Every latency of a phase, in nanoseconds, sorted once: exact percentiles, no histogram buckets. */
final class Latencies {

  private final long[] sorted;

  private Latencies(long[] sorted) {
    this.sorted = sorted;
  }

  /** Sorts {@code nanos[0..count)} (in place). */
  static Latencies of(long[] nanos, int count) {
    long[] copy = count == nanos.length ? nanos : Arrays.copyOf(nanos, count);
    Arrays.sort(copy);
    return new Latencies(copy);
  }

  int count() {
    return sorted.length;
  }

  /** The nearest-rank percentile {@code p} (0..100) in milliseconds; NaN without samples. */
  double percentileMs(double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] / 1e6;
  }

  double p50() {
    return percentileMs(50);
  }

  double p99() {
    return percentileMs(99);
  }

  /** The mean in milliseconds; NaN without samples. */
  double meanMs() {
    return sorted.length == 0 ? Double.NaN : Arrays.stream(sorted).average().orElse(Double.NaN) / 1e6;
  }

  double maxMs() {
    return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6;
  }

  /** The middle of {@code values} (left as they are), or the mean of the two middle ones. */
  static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** Grows {@code array} to hold at least one more element. */
  static long[] ensure(long[] array, int size) {
    return size < array.length ? array : Arrays.copyOf(array, Math.max(16, array.length * 2));
  }
}
