package io.modelplane.metering;

/**
 * The fixed log-scale latency buckets of the usage tables: bucket 0 holds calls of up to 250 µs, bucket i
 * those of (250·2^(i-1), 250·2^i] µs, the last one everything slower than 250·2^18 µs (65.5 s). Counts of
 * several writers, minutes or nodes merge by adding them bucket by bucket.
 */
public final class LatencyBuckets {
  public static final int COUNT = 20;
  private static final long FIRST_UPPER_MICROS = 250;

  private LatencyBuckets() {}

  /** The bucket of a call that took {@code micros}; O(1), no allocation. */
  public static int of(long micros) {
    if (micros <= FIRST_UPPER_MICROS) {
      return 0;
    }
    long q = (micros + FIRST_UPPER_MICROS - 1) / FIRST_UPPER_MICROS; // >= 2
    return Math.min(COUNT - 1, 64 - Long.numberOfLeadingZeros(q - 1));
  }

  /** The bucket's upper bound in µs (inclusive); the last bucket has none (Long.MAX_VALUE). */
  public static long upperMicros(int bucket) {
    return bucket >= COUNT - 1 ? Long.MAX_VALUE : FIRST_UPPER_MICROS << bucket;
  }

  /** The bucket's lower bound in µs (exclusive; 0 for the first). */
  public static long lowerMicros(int bucket) {
    return bucket == 0 ? 0 : FIRST_UPPER_MICROS << (bucket - 1);
  }

  /** The column of the usage tables that holds the bucket's count. */
  public static String column(int bucket) {
    return String.format("lat_%02d", bucket);
  }

  /**
   * The {@code q}-quantile (0 < q <= 1) in milliseconds estimated from merged counts: the bucket holding
   * the call of rank ceil(q·total), interpolated linearly inside it (the last bucket answers its lower
   * bound); null when the counts are all zero.
   */
  public static Double quantileMillis(long[] counts, double q) {
    if (counts.length != COUNT || !(q > 0 && q <= 1)) {
      throw new IllegalArgumentException("need " + COUNT + " counts and 0 < q <= 1");
    }
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    if (total == 0) {
      return null;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long below = 0;
    for (int i = 0; i < COUNT; i++) {
      if (below + counts[i] >= rank) {
        long lower = lowerMicros(i);
        if (i == COUNT - 1) {
          return lower / 1000.0;
        }
        double share = (double) (rank - below) / counts[i];
        double micros = lower + share * (upperMicros(i) - lower);
        return Math.round(micros) / 1000.0;
      }
      below += counts[i];
    }
    throw new AssertionError("rank beyond total");
  }
}
