package io.modelplane.inference.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrafficSplitTest {

  @Test
  void rollsMapToTheVersionsShares() {
    Map<Integer, Integer> split = Map.of(1, 90, 2, 10);
    assertThat(TrafficSplit.pick(split, 0.0)).isEqualTo(1);
    assertThat(TrafficSplit.pick(split, 0.8999)).isEqualTo(1);
    assertThat(TrafficSplit.pick(split, 0.9)).isEqualTo(2);
    assertThat(TrafficSplit.pick(split, 0.99999)).isEqualTo(2);
    assertThat(TrafficSplit.pick(Map.of(3, 100), 0.5)).isEqualTo(3);
  }

  @Test
  void sharesHoldOverManyRequests() {
    Map<Integer, Integer> split = Map.of(1, 70, 2, 20, 3, 10);
    Random random = new Random(42);
    int[] counts = new int[4];
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      counts[TrafficSplit.pick(split, random.nextDouble())]++;
    }
    assertThat(counts[1] / (double) n).isCloseTo(0.70, within(0.01));
    assertThat(counts[2] / (double) n).isCloseTo(0.20, within(0.01));
    assertThat(counts[3] / (double) n).isCloseTo(0.10, within(0.01));
  }
}
