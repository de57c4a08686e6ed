package io.modelplane.inference.gateway;

import java.util.Map;
import java.util.TreeMap;

/** Picks a version by a deployment's traffic split (percent weights), per request. */
public final class TrafficSplit {
  private TrafficSplit() {}

  /** The version whose share of [0, 100) contains {@code roll * 100}; {@code roll} in [0, 1). */
  public static int pick(Map<Integer, Integer> traffic, double roll) {
    if (traffic.size() == 1) {
      return traffic.keySet().iterator().next(); // the common case, on every request: no allocation
    }
    int total = traffic.values().stream().mapToInt(Integer::intValue).sum();
    double point = roll * total;
    int cumulative = 0;
    int last = -1;
    Map<Integer, Integer> ordered = traffic instanceof java.util.SortedMap ? traffic : new TreeMap<>(traffic);
    for (Map.Entry<Integer, Integer> e : ordered.entrySet()) {
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
