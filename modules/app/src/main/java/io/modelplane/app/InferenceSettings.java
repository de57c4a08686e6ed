package io.modelplane.app;

import com.typesafe.config.Config;
import io.modelplane.inference.placement.Autoscaler;
import java.time.Duration;

/**
 * Settings of the inference data plane, from {@code modelplane.inference}; {@code workerPool} is the
 * dedicated pool this node's workers serve (null: shared); {@code engineThreads} null: chosen per model;
 * the autoscale settings are placement's.
 */
record InferenceSettings(long workerMemoryBytes, Duration coldStartTimeout, Duration inferTimeout, Duration loadTimeout,
    int queueCapacity, Integer engineThreads, long maxUnpackedBytes, int maxUnpackedFiles,
    String workerPool, Duration autoscaleInterval, Autoscaler.Settings autoscaling) {

  static InferenceSettings fromConfig(Config root) {
    Config c = root.getConfig("modelplane.inference");
    return new InferenceSettings(
        c.getBytes("worker-memory-bytes"),
        c.getDuration("cold-start-timeout"),
        c.getDuration("infer-timeout"),
        c.getDuration("load-timeout"),
        c.getInt("queue-capacity"),
        engineThreads(c.getString("engine-threads").trim()),
        c.getBytes("max-unpacked-bytes"),
        c.getInt("max-unpacked-files"),
        workerPool(c.getString("worker-pool").trim()),
        c.getDuration("autoscale.interval"),
        new Autoscaler.Settings(c.getDuration("autoscale.scale-up-after"), c.getDuration("autoscale.scale-down-after"),
            c.getDuration("autoscale.cooldown"), 0.5));
  }

  /** null for {@code auto}: chosen per model at load from its measured forward time. */
  private static Integer engineThreads(String value) {
    if (value.equalsIgnoreCase("auto")) {
      return null;
    }
    try {
      int threads = Integer.parseInt(value);
      if (threads >= 0 && threads <= 256) {
        return threads;
      }
    } catch (NumberFormatException e) {
      // the message below says what is allowed
    }
    throw new IllegalArgumentException("MODELPLANE_ENGINE_THREADS '" + value + "': auto, or 0 (one per core) to 256");
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
