package io.modelplane.app;

import io.modelplane.control.readside.ReadSide;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read side seen by Prometheus: the projection's lag. It takes a query, so it is sampled every interval
 * off the scrape (a scrape answers the last sample) instead of blocking the scrape on the database.
 */
final class ReadSideMetrics {
  private static final Logger log = LoggerFactory.getLogger(ReadSideMetrics.class);

  private final ReadSide readSide;
  private final Clock clock;
  private final AtomicReference<Double> lagSeconds = new AtomicReference<>(); // null: not read yet, or unreadable

  ReadSideMetrics(ReadSide readSide, Clock clock) {
    this.readSide = readSide;
    this.clock = clock;
  }

  void register(PrometheusRegistry registry) {
    GaugeWithCallback.builder()
        .name("modelplane_projection_lag_seconds")
        .help("How long the oldest journal event the read tables have not applied yet has waited (0: caught up;"
            + " absent while the database does not answer)")
        .callback(cb -> {
          Double lag = lagSeconds.get();
          if (lag != null) {
            cb.call(lag);
          }
        })
        .register(registry);
  }

  /** Reads the lag again; the gauge keeps the last figure until the query ends. */
  void sample() {
    readSide.lagSeconds(clock.millis()).whenComplete((lag, failure) -> {
      if (failure != null) {
        log.debug("projection lag not read: {}", failure.toString());
      }
      lagSeconds.set(failure == null ? lag : null);
    });
  }
}
