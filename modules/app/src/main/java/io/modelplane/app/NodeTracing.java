package io.modelplane.app;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;
import java.util.function.Function;

/**
 * OpenTelemetry tracing, off by default. It is on when the standard variables ask for traces
 * ({@code OTEL_TRACES_EXPORTER} other than {@code none}, or an OTLP endpoint) and {@code OTEL_SDK_DISABLED}
 * is not {@code true}; the SDK's autoconfiguration then reads every {@code OTEL_*} variable (exporter,
 * endpoint, headers, sampler, service name). Only traces: metrics stay on {@code /metrics}.
 */
final class NodeTracing {
  private NodeTracing() {}

  /** Whether the variables (looked up by {@code env}) turn tracing on. */
  static boolean enabled(Function<String, String> env) {
    if ("true".equalsIgnoreCase(trim(env.apply("OTEL_SDK_DISABLED")))) {
      return false;
    }
    String exporter = trim(env.apply("OTEL_TRACES_EXPORTER"));
    if (exporter != null) {
      return !exporter.equalsIgnoreCase("none");
    }
    return trim(env.apply("OTEL_EXPORTER_OTLP_ENDPOINT")) != null
        || trim(env.apply("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) != null;
  }

  /**
   * Installs the SDK as the process's global OpenTelemetry when the environment turns tracing on, and
   * returns what the node traces with: that SDK, else one an embedding process installed, else a no-op.
   * {@code teardown} flushes and closes the SDK it installed.
   */
  static OpenTelemetry install(Teardown teardown) {
    if (!enabled(System::getenv)) {
      return GlobalOpenTelemetry.get();
    }
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", "modelplane",
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none"))
        .setResultAsGlobal()
        .build()
        .getOpenTelemetrySdk();
    teardown.add(sdk::close);
    return sdk;
  }

  private static String trim(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
