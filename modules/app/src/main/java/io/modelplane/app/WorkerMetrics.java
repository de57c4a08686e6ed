package io.modelplane.app;

import io.modelplane.inference.runtime.ModelResidency;
import io.modelplane.inference.runtime.ModelResidency.ResidentModelStatus;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;

/** This node's workers seen by Prometheus: read at scrape time, nothing counted on the hot path. */
final class WorkerMetrics {
  private WorkerMetrics() {}

  static void register(PrometheusRegistry registry, List<ModelResidency> residencies) {
    GaugeWithCallback.builder()
        .name("modelplane_worker_resident_bytes")
        .help("Bytes of resident models per worker device")
        .labelNames("device")
        .callback(cb -> residencies.forEach(r -> cb.call(r.usedBytes(), r.device().toString())))
        .register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_worker_utilization")
        .help("Share of the last window (at least 5 s) each worker device spent in forward passes, 0 to 1")
        .labelNames("device")
        .callback(cb -> residencies.forEach(r -> cb.call(r.utilization(), r.device().toString())))
        .register(registry);
    // the exact figure over any range: rate(modelplane_worker_busy_seconds_total[5m])
    CounterWithCallback.builder()
        .name("modelplane_worker_busy_seconds")
        .help("Seconds each worker device has spent in forward passes")
        .labelNames("device")
        .callback(cb -> residencies.forEach(r -> cb.call(r.busyNanos() / 1e9, r.device().toString())))
        .register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_worker_budget_bytes")
        .help("Byte budget of resident models per worker device")
        .labelNames("device")
        .callback(cb -> residencies.forEach(r -> cb.call(r.budgetBytes(), r.device().toString())))
        .register(registry);
    CounterWithCallback.builder()
        .name("modelplane_model_load_failures")
        .help("Model version loads that failed on each worker device (artifact, key, engine or memory)")
        .labelNames("device")
        .callback(cb -> residencies.forEach(r -> cb.call(r.failedLoads(), r.device().toString())))
        .register(registry);
    registry.register(new VersionMetrics(residencies));
  }

  /**
   * The per-version series, from one status read of each worker per scrape: with a thousand resident versions,
   * a callback per metric would build every version's status once for each.
   */
  private record VersionMetrics(List<ModelResidency> residencies) implements MultiCollector {
    private static final String LABEL = "model_version";

    @Override
    public MetricSnapshots collect() {
      GaugeSnapshot.Builder queueDepth = GaugeSnapshot.builder().name("modelplane_model_queue_depth")
          .help("Requests waiting for each resident model version");
      GaugeSnapshot.Builder queueCapacity = GaugeSnapshot.builder().name("modelplane_model_queue_capacity")
          .help("Requests that may wait for each resident model version before new ones are refused (503)");
      // batch sizes without a hot-path histogram: mean batch size = rate(items) / rate(batches)
      CounterSnapshot.Builder batches = CounterSnapshot.builder().name("modelplane_model_batches")
          .help("Forward passes run per resident model version");
      CounterSnapshot.Builder items = CounterSnapshot.builder().name("modelplane_model_batch_items")
          .help("Requests answered by those forward passes per resident model version");
      GaugeSnapshot.Builder loadSeconds = GaugeSnapshot.builder().name("modelplane_model_load_seconds")
          .help("How long loading each resident model version took");
      GaugeSnapshot.Builder engineThreads = GaugeSnapshot.builder().name("modelplane_model_engine_threads")
          .help("Engine intra-op threads per forward pass of each resident model version (0: one per core)");
      for (ModelResidency residency : residencies) {
        for (ResidentModelStatus s : residency.status()) {
          Labels version = Labels.of(LABEL, s.key().toString());
          queueDepth.dataPoint(gauge(version, s.queueDepth()));
          queueCapacity.dataPoint(gauge(version, s.queueCapacity()));
          batches.dataPoint(CounterDataPointSnapshot.builder().labels(version).value(s.batches()).build());
          items.dataPoint(CounterDataPointSnapshot.builder().labels(version).value(s.items()).build());
          loadSeconds.dataPoint(gauge(version, s.loadSeconds()));
          if (s.engineThreads() != null) {
            engineThreads.dataPoint(gauge(version, s.engineThreads()));
          }
        }
      }
      return MetricSnapshots.of(queueDepth.build(), queueCapacity.build(), batches.build(), items.build(),
          loadSeconds.build(), engineThreads.build());
    }

    @Override
    public List<String> getPrometheusNames() {
      return List.of("modelplane_model_queue_depth", "modelplane_model_queue_capacity", "modelplane_model_batches",
          "modelplane_model_batch_items", "modelplane_model_load_seconds", "modelplane_model_engine_threads");
    }

    private static GaugeDataPointSnapshot gauge(Labels labels, double value) {
      return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }
  }
}
