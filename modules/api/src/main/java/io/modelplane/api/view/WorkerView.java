package io.modelplane.api.view;

import io.modelplane.inference.worker.WorkerActor;
import java.time.Instant;
import java.util.List;

/**
 * A worker in the operator's cluster view: its device, memory budget, resident models, pool (null: shared),
 * whether it is draining and, while it is, why replicas stay on it (empty while the drain progresses);
 * {@code utilization} the share of the last few seconds its device spent in forward passes (two decimals) and
 * {@code residentBytes} the bytes of its resident models (as {@code usedBytes}).
 */
public record WorkerView(String workerId, String device, long budgetBytes, long usedBytes, List<ResidentModel> models,
    String pool, boolean draining, List<String> drainBlockedBy, double utilization, long residentBytes) {

  public static WorkerView from(WorkerActor.WorkerStatus s, boolean draining, List<String> drainBlockedBy) {
    return new WorkerView(s.workerId(), s.device(), s.budgetBytes(), s.usedBytes(),
        s.models().stream().map(ResidentModel::from).toList(), s.pool(), draining, drainBlockedBy,
        Math.round(s.utilization() * 100) / 100.0, s.usedBytes());
  }

  /**
   * A model version resident on the worker: its bytes, queued and running requests, its last request
   * (or its load) and its batch sizes.
   */
  public record ResidentModel(String key, String tenant, String model, int version, long bytes, int queueDepth,
      int inFlight, Instant lastUsedAt, BatchSizes batchSizes) {
    static ResidentModel from(WorkerActor.ModelStatus m) {
      return new ResidentModel(m.version().toString(), m.version().model().tenant().value(),
          m.version().model().model().value(), m.version().version(), m.bytes(), m.queueDepth(), m.inFlight(),
          m.lastUsedAt(), new BatchSizes(Math.round(m.recentBatchSize() * 100) / 100.0, m.lastBatchSize(), m.batches()));
    }
  }

  /** Requests per forward pass: lately (weighted toward the last twenty passes), in the last one, and passes run. */
  public record BatchSizes(double recent, int last, long batches) {}
}
