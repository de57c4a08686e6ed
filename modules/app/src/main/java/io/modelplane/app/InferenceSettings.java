package io.modelplane.app;

import com.typesafe.config.Config;
import java.time.Duration;

/** Settings of the inference data plane, from {@code modelplane.inference}. */
record InferenceSettings(long workerMemoryBytes, Duration coldStartTimeout, Duration inferTimeout, Duration loadTimeout,
    int queueCapacity, Duration resyncInterval, int engineThreads, long maxUnpackedBytes, int maxUnpackedFiles) {

  static InferenceSettings fromConfig(Config root) {
    Config c = root.getConfig("modelplane.inference");
    return new InferenceSettings(
        c.getBytes("worker-memory-bytes"),
        c.getDuration("cold-start-timeout"),
        c.getDuration("infer-timeout"),
        c.getDuration("load-timeout"),
        c.getInt("queue-capacity"),
        c.getDuration("resync-interval"),
        c.getInt("engine-threads"),
        c.getBytes("max-unpacked-bytes"),
        c.getInt("max-unpacked-files"));
  }
}
