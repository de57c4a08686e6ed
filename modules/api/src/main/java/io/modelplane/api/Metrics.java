package io.modelplane.api;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The node's Prometheus metrics: predict requests and latency, admission decisions, plus what others register. */
public final class Metrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter requests = Counter.builder()
      .name("modelplane_predict_requests_total")
      .help("Predict requests by tenant, model, version and HTTP status")
      .labelNames("tenant", "model", "version", "status")
      .register(registry);
  private final Histogram latency = Histogram.builder()
      .name("modelplane_predict_latency_seconds")
      .help("Predict latency inside the node, from request to response")
      .labelNames("tenant", "model")
      .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
      .register(registry);
  private final Counter admissions = Counter.builder()
      .name("modelplane_admission_decisions_total")
      .help("Predict admission decisions by tenant and outcome: admitted, rate_limited, concurrency_limited, budget_exhausted")
      .labelNames("tenant", "outcome")
      .register(registry);
  // no tenant label: an unauthenticated request names none it could be trusted with
  private final Counter authenticationFailures = Counter.builder()
      .name("modelplane_authentication_failures_total")
      .help("Requests answered 401, by reason (missing_credential, invalid_credential) and the credential's shape"
          + " (none, api_key, operator_key, token, unknown)")
      .labelNames("reason", "credential")
      .register(registry);

  /** A predict request answered with {@code status} after {@code seconds}; "" for a model or version not deployed. */
  public void predictAnswered(String tenant, String model, String version, int status, double seconds) {
    requests.labelValues(tenant, model, version, String.valueOf(status)).inc();
    latency.labelValues(tenant, model).observe(seconds);
  }

  /** A predict admission decision: admitted, or the refusal's code. */
  public void admission(String tenant, String outcome) {
    admissions.labelValues(tenant, outcome).inc();
  }

  /** A request answered 401; {@code credential} is what was sent, or null. */
  public void authenticationFailed(String reason, String credential) {
    authenticationFailures.labelValues(reason, shape(credential)).inc();
  }

  private static String shape(String credential) {
    if (credential == null) {
      return "none";
    }
    if (credential.startsWith("mp_operator_")) {
      return "operator_key";
    }
    if (credential.startsWith("mp_")) {
      return "api_key";
    }
    return io.modelplane.identity.token.TokenAuthenticator.looksLikeJwt(credential) ? "token" : "unknown";
  }

  /** Where other parts of the node (workers) register their metrics. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of everything registered. */
  byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
