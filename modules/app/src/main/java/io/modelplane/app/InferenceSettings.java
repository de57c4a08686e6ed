package io.modelplane.app;

import com.typesafe.config.Config;
import io.modelplane.inference.placement.Autoscaler;
import java.time.Duration;

/**
 * Settings of the inference data plane, from {@code modelplane.inference}; {@code workerPool} is the
 * dedicated pool this node's workers serve (null: shared); the autoscale settings are placement's.
 */
record InferenceSettings(long workerMemoryBytes, Duration coldStartTimeout, Duration inferTimeout, Duration loadTimeout,
    int queueCapacity, int engineThreads, long maxUnpackedBytes, int maxUnpackedFiles,
    String workerPool, Duration autoscaleInterval, Autoscaler.Settings autoscaling) {

  static InferenceSettings fromConfig(Config root) {
    Config c = root.getConfig("modelplane.inference");
    return new InferenceSettings(
        c.getBytes("worker-memory-bytes"),
        c.getDuration("cold-start-timeout"),
        c.getDuration("infer-timeout"),
        c.getDuration("load-timeout"),
        c.getInt("queue-capacity"),
        c.getInt("engine-threads"),
        c.getBytes("max-unpacked-bytes"),
        c.getInt("max-unpacked-files"),
        workerPool(c.getString("worker-pool").trim()),
        c.getDuration("autoscale.interval"),
        new Autoscaler.Settings(c.getDuration("autoscale.scale-up-after"), c.getDuration("autoscale.scale-down-after"),
            c.getDuration("autoscale.cooldown"), 0.5));
  }

  private static String workerPool(String name) {
    if (name.isEmpty()) {
      return null;
    }
    if (!io.modelplane.common.WorkerPool.isValid(name)) {
      throw new IllegalArgumentException("MODELPLANE_WORKER_POOL '" + name + "': " + io.modelplane.common.WorkerPool.RULE_TEXT);
    }
    return name;
  }
}
