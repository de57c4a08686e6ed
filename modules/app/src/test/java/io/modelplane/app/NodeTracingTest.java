package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which standard variables turn tracing on: off unless traces are asked for. */
class NodeTracingTest {
  static boolean enabled(Map<String, String> env) {
    return NodeTracing.enabled(env::get);
  }

  @Test
  void offByDefault() {
    assertThat(enabled(Map.of())).isFalse();
    assertThat(enabled(Map.of("OTEL_SERVICE_NAME", "gw", "OTEL_TRACES_SAMPLER", "always_on"))).isFalse();
    assertThat(enabled(Map.of("OTEL_TRACES_EXPORTER", " "))).isFalse();
  }

  @Test
  void onWhenAnExporterOrEndpointIsGiven() {
    assertThat(enabled(Map.of("OTEL_TRACES_EXPORTER", "otlp"))).isTrue();
    assertThat(enabled(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"))).isTrue();
    assertThat(enabled(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4318/v1/traces"))).isTrue();
  }

  @Test
  void noneOrDisabledWins() {
    assertThat(enabled(Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4318")))
        .isFalse();
    assertThat(enabled(Map.of("OTEL_SDK_DISABLED", "TRUE", "OTEL_TRACES_EXPORTER", "otlp"))).isFalse();
    assertThat(enabled(Map.of("OTEL_SDK_DISABLED", "false", "OTEL_TRACES_EXPORTER", "otlp"))).isTrue();
  }
}
