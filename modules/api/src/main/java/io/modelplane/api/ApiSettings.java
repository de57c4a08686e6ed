package io.modelplane.api;

import com.typesafe.config.Config;
import java.time.Duration;

/** Limits and timeouts of the HTTP API, from {@code modelplane.api}. */
public record ApiSettings(
    long maxJsonBytes, long maxArtifactBytes, long maxManifestBytes, Duration askTimeout, int readAttempts,
    long maxInferBytes, long maxInferElements) {

  /** The server version reported by {@code GET /v2}. */
  public static final String VERSION = "0.1.0";

  public static ApiSettings fromConfig(Config root) {
    Config c = root.getConfig("modelplane.api");
    return new ApiSettings(
        c.getBytes("max-json-bytes"),
        c.getBytes("max-artifact-bytes"),
        c.getBytes("max-manifest-bytes"),
        c.getDuration("ask-timeout"),
        c.getInt("read-attempts"),
        c.getBytes("max-infer-bytes"),
        c.getLong("max-infer-elements"));
  }
}
