package io.modelplane.api.view;

import io.modelplane.inference.worker.WorkerActor;
import java.util.List;

/** A worker in the operator's cluster view: its device, memory budget, resident models and pool (null: shared). */
public record WorkerView(String workerId, String device, long budgetBytes, long usedBytes, List<ResidentModel> models,
    String pool) {

  public static WorkerView from(WorkerActor.WorkerStatus s) {
    return new WorkerView(s.workerId(), s.device(), s.budgetBytes(), s.usedBytes(),
        s.models().stream().map(m -> new ResidentModel(m.version().toString(), m.bytes(), m.queueDepth(), m.inFlight())).toList(),
        s.pool());
  }

  /** A model version resident on the worker: its bytes, queued and running requests. */
  public record ResidentModel(String key, long bytes, int queueDepth, int inFlight) {}
}
