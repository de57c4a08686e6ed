package io.modelplane.control.placement;

import io.modelplane.common.TensorSpec;
import io.modelplane.registry.ModelEntity;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model's current deployment as placement needs it, built from the journal alone and stored as JSON
 * in {@code placement_deployments}: the revision, its spec, and each version in its traffic split
 * ({@code autoscaling} null in rows written before deployments could autoscale: fixed replicas).
 * Where the artifacts lie and what they weigh once loaded are worked out when it is sent.
 */
record DesiredSpec(long revision, Map<Integer, Integer> traffic, int replicas, int maxBatchSize, int maxBatchDelayMs,
    Integer engineThreads, Map<Integer, Version> versions, ModelEntity.Autoscaling autoscaling) {

  DesiredSpec {
    traffic = new TreeMap<>(traffic);
    versions = new TreeMap<>(versions);
  }

  /** A registered version: immutable once registered, so its row is written once. */
  record Version(String sha256, long sizeBytes, String format, List<TensorSpec> inputs, List<TensorSpec> outputs) {
    static Version of(ModelEntity.VersionRegistered e) {
      return new Version(e.sha256(), e.sizeBytes(), e.format(), e.inputs(), e.outputs());
    }
  }

  static DesiredSpec of(long revision, ModelEntity.DeploymentSpec spec, Map<Integer, Version> versions) {
    return new DesiredSpec(revision, spec.traffic(), spec.replicas(), spec.maxBatchSize(), spec.maxBatchDelayMs(),
        spec.engineThreads(), versions, spec.autoscaling());
  }
}
