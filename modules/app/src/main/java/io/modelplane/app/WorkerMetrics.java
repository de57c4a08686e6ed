package io.modelplane.app;

import io.modelplane.inference.runtime.ModelResidency;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
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
    GaugeWithCallback.builder()
        .name("modelplane_model_queue_depth")
        .help("Requests waiting for each resident model version")
        .labelNames("model_version")
        .callback(cb -> residencies.forEach(r -> r.status().forEach(s -> cb.call(s.queueDepth(), s.key().toString()))))
        .register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_model_queue_capacity")
        .help("Requests that may wait for each resident model version before new ones are refused (503)")
        .labelNames("model_version")
        .callback(cb -> residencies.forEach(r -> r.status().forEach(s -> cb.call(s.queueCapacity(), s.key().toString()))))
        .register(registry);
    CounterWithCallback.builder()
        .name("modelplane_model_load_failures")
        .help("Model version loads that failed on each worker device (artifact, key, engine or memory)")
        .labelNames("device")
        .callback(cb -> residencies.forEach(r -> cb.call(r.failedLoads(), r.device().toString())))
        .register(registry);
    // batch sizes without a hot-path histogram: mean batch size = rate(items) / rate(batches)
    CounterWithCallback.builder()
        .name("modelplane_model_batches")
        .help("Forward passes run per resident model version")
        .labelNames("model_version")
        .callback(cb -> residencies.forEach(r -> r.status().forEach(s -> cb.call(s.batches(), s.key().toString()))))
        .register(registry);
    CounterWithCallback.builder()
        .name("modelplane_model_batch_items")
        .help("Requests answered by those forward passes per resident model version")
        .labelNames("model_version")
        .callback(cb -> residencies.forEach(r -> r.status().forEach(s -> cb.call(s.items(), s.key().toString()))))
        .register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_model_load_seconds")
        .help("How long loading each resident model version took")
        .labelNames("model_version")
        .callback(cb -> residencies.forEach(r -> r.status().forEach(s -> cb.call(s.loadSeconds(), s.key().toString()))))
        .register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_model_engine_threads")
        .help("Engine intra-op threads per forward pass of each resident model version (0: one per core)")
        .labelNames("model_version")
        .callback(cb -> residencies.forEach(r -> r.status().forEach(s -> {
          if (s.engineThreads() != null) {
            cb.call(s.engineThreads(), s.key().toString());
          }
        })))
        .register(registry);
  }
}
