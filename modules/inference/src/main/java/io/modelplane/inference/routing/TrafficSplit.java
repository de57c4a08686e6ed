package io.modelplane.inference.routing;

import java.util.Map;
import java.util.TreeMap;

/** Picks a version by a deployment's traffic split (percent weights), per request. */
public final class TrafficSplit {
  private TrafficSplit() {}

  /** The version whose share of [0, 100) contains {@code roll * 100}; {@code roll} in [0, 1). */
  public static int pick(Map<Integer, Integer> traffic, double roll) {
    int total = traffic.values().stream().mapToInt(Integer::intValue).sum();
    double point = roll * total;
    int cumulative = 0;
    int last = -1;
    for (Map.Entry<Integer, Integer> e : new TreeMap<>(traffic).entrySet()) {
      cumulative += e.getValue();
      last = e.getKey();
      if (point < cumulative) {
        return e.getKey();
      }
    }
    if (last < 0) {
      throw new IllegalArgumentException("empty traffic split");
    }
    return last;
  }
}
