package io.modelplane.registry;

import io.modelplane.common.HistoryEntry;
import io.modelplane.common.TensorSpec;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Describes a model's events as history entries made of plain JSON-able values, so that events
 * (which are forever) are never exposed over HTTP directly.
 */
public final class ModelHistory {

  private ModelHistory() {}

  /** The history entry of the event stored at {@code sequenceNr}. */
  public static HistoryEntry describe(long sequenceNr, ModelEntity.Event event) {
    Map<String, Object> details = new LinkedHashMap<>();
    if (event instanceof ModelEntity.VersionRegistered e) {
      details.put("version", e.version());
      details.put("sha256", e.sha256());
      details.put("sizeBytes", e.sizeBytes());
      details.put("format", e.format());
      details.put("inputs", tensors(e.inputs()));
      details.put("outputs", tensors(e.outputs()));
      details.put("description", e.description());
      return entry(sequenceNr, "version_registered", e.at(), e.actor(), details);
    }
    if (event instanceof ModelEntity.DeploymentRevised e) {
      details.put("revision", e.revision());
      details.put("traffic", traffic(e.spec().traffic()));
      details.put("replicas", e.spec().replicas());
      details.put("maxBatchSize", e.spec().maxBatchSize());
      details.put("maxBatchDelayMs", e.spec().maxBatchDelayMs());
      if (e.spec().engineThreads() != null) {
        details.put("engineThreads", e.spec().engineThreads());
      }
      if (e.spec().autoscaling() != null) {
        ModelEntity.Autoscaling a = e.spec().autoscaling();
        details.put("minReplicas", a.minReplicas());
        details.put("maxReplicas", a.maxReplicas());
        details.put("targetInFlight", a.targetInFlight());
        details.put("idleUnloadSeconds", a.idleUnloadSeconds());
      }
      return entry(sequenceNr, "deployment_revised", e.at(), e.actor(), details);
    }
    if (event instanceof ModelEntity.DeploymentRolledBack e) {
      details.put("fromRevision", e.fromRevision());
      details.put("toRevision", e.toRevision());
      return entry(sequenceNr, "deployment_rolled_back", e.at(), e.actor(), details);
    }
    if (event instanceof ModelEntity.ReplicasScaled e) {
      details.put("revision", e.revision());
      details.put("version", e.version());
      details.put("fromReplicas", e.fromReplicas());
      details.put("toReplicas", e.toReplicas());
      details.put("reason", e.reason());
      return entry(sequenceNr, "replicas_scaled", e.at(), e.actor(), details);
    }
    if (event instanceof ModelEntity.VersionArchived e) {
      details.put("version", e.version());
      return entry(sequenceNr, "version_archived", e.at(), e.actor(), details);
    }
    if (event instanceof ModelEntity.ModelPurged e) {
      details.put("versions", e.versions());
      return entry(sequenceNr, "model_purged", e.at(), e.actor(), details);
    }
    throw new IllegalArgumentException("no history mapping for " + event.getClass().getName());
  }

  private static HistoryEntry entry(long sequenceNr, String type, Instant at, String actor, Map<String, Object> details) {
    return new HistoryEntry(sequenceNr, type, at, actor, Collections.unmodifiableMap(details));
  }

  private static List<Map<String, Object>> tensors(List<TensorSpec> specs) {
    return specs.stream().map(spec -> {
      Map<String, Object> tensor = new LinkedHashMap<>();
      tensor.put("name", spec.name());
      tensor.put("datatype", spec.datatype());
      tensor.put("shape", List.copyOf(spec.shape()));
      return Collections.unmodifiableMap(tensor);
    }).toList();
  }

  /** Version numbers become string keys, as in a JSON object, in version order. */
  private static Map<String, Object> traffic(Map<Integer, Integer> split) {
    Map<String, Object> traffic = new LinkedHashMap<>();
    split.forEach((version, percent) -> traffic.put(String.valueOf(version), percent));
    return Collections.unmodifiableMap(traffic);
  }
}
