package io.modelplane.bench;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A node's counters from its {@code /metrics}, each summed over its labels: read before and after a phase. */
record NodeCounters(Map<String, Double> sums) {

  private static final Pattern SAMPLE = Pattern.compile("(?m)^(modelplane_[a-z_]+)(?:\\{[^}]*})? ([0-9.eE+-]+)$");

  static NodeCounters read(ModelPlaneClient operator) throws IOException, InterruptedException {
    ModelPlaneClient.Reply r = operator.call("GET", "/metrics", null);
    if (r.status() != 200) {
      throw new IllegalStateException("GET /metrics answered " + r.status());
    }
    Map<String, Double> sums = new HashMap<>();
    Matcher m = SAMPLE.matcher(r.body());
    while (m.find()) {
      sums.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
    }
    return new NodeCounters(sums);
  }

  /** How much {@code name} grew since {@code before}. */
  double since(NodeCounters before, String name) {
    return sums.getOrDefault(name, 0.0) - before.sums.getOrDefault(name, 0.0);
  }
}
