package io.modelplane.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The fixed buckets and the quantiles read from merged counts. */
class LatencyBucketsTest {

  @Test
  void eachLatencyFallsInTheBucketWhoseBoundsHoldIt() {
    assertThat(LatencyBuckets.of(0)).isZero();
    assertThat(LatencyBuckets.of(250)).isZero();
    assertThat(LatencyBuckets.of(251)).isEqualTo(1);
    assertThat(LatencyBuckets.of(500)).isEqualTo(1);
    assertThat(LatencyBuckets.of(501)).isEqualTo(2);
    assertThat(LatencyBuckets.of(1_000)).isEqualTo(2);
    assertThat(LatencyBuckets.of(1_001)).isEqualTo(3);
    assertThat(LatencyBuckets.of(65_536_000)).isEqualTo(18);
    assertThat(LatencyBuckets.of(65_536_001)).isEqualTo(19);
    assertThat(LatencyBuckets.of(Long.MAX_VALUE)).isEqualTo(19);
    for (long micros = 1; micros < 100_000_000L; micros = micros * 3 + 1) {
      int b = LatencyBuckets.of(micros);
      assertThat(micros).as("bucket %d", b).isGreaterThan(LatencyBuckets.lowerMicros(b))
          .isLessThanOrEqualTo(LatencyBuckets.upperMicros(b));
    }
    assertThat(LatencyBuckets.column(7)).isEqualTo("lat_07");
  }

  @Test
  void quantilesInterpolateInsideTheBucketOfTheirRank() {
    long[] counts = new long[LatencyBuckets.COUNT];
    counts[2] = 50; // (0.5, 1] ms
    counts[5] = 49; // (4, 8] ms
    counts[10] = 1; // (128, 256] ms
    // rank 50 of 100: the last call of bucket 2, its upper bound
    assertThat(LatencyBuckets.quantileMillis(counts, 0.5)).isEqualTo(1.0);
    // rank 99: the last of bucket 5
    assertThat(LatencyBuckets.quantileMillis(counts, 0.99)).isEqualTo(8.0);
    // rank 25: halfway through bucket 2
    assertThat(LatencyBuckets.quantileMillis(counts, 0.25)).isEqualTo(0.75);
    assertThat(LatencyBuckets.quantileMillis(counts, 1.0)).isEqualTo(256.0);
  }

  @Test
  void theOpenLastBucketAnswersItsLowerBoundAndNoCallsAnswerNull() {
    long[] counts = new long[LatencyBuckets.COUNT];
    assertThat(LatencyBuckets.quantileMillis(counts, 0.5)).isNull();
    counts[LatencyBuckets.COUNT - 1] = 3;
    assertThat(LatencyBuckets.quantileMillis(counts, 0.99)).isEqualTo(65_536.0);
    assertThatThrownBy(() -> LatencyBuckets.quantileMillis(counts, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LatencyBuckets.quantileMillis(new long[3], 0.5))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
