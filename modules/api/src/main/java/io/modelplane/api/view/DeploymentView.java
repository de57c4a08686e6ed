package io.modelplane.api.view;

import io.modelplane.registry.ModelEntity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** A deployment revision: traffic percent by version number (as a string key) and its serving settings. */
public record DeploymentView(long revision, Map<String, Integer> traffic, int replicas, int maxBatchSize,
    int maxBatchDelayMs, Integer engineThreads, Instant createdAt, String createdBy) {

  /** Null for null (a model never deployed). */
  public static DeploymentView from(ModelEntity.DeploymentRevision r) {
    if (r == null) {
      return null;
    }
    Map<String, Integer> traffic = new LinkedHashMap<>();
    new TreeMap<>(r.spec().traffic()).forEach((v, p) -> traffic.put(String.valueOf(v), p));
    return new DeploymentView(r.revision(), traffic, r.spec().replicas(), r.spec().maxBatchSize(),
        r.spec().maxBatchDelayMs(), r.spec().engineThreads(), r.createdAt(), r.createdBy());
  }

  /** The answer to a deploy or rollback: the now-current revision and the one current before (null: none). */
  public record Deployed(long revision, Map<String, Integer> traffic, int replicas, int maxBatchSize,
      int maxBatchDelayMs, Integer engineThreads, Instant createdAt, String createdBy, Long previousRevision) {

    public static Deployed from(ModelEntity.Deployed d) {
      DeploymentView r = DeploymentView.from(d.revision());
      return new Deployed(r.revision(), r.traffic(), r.replicas(), r.maxBatchSize(), r.maxBatchDelayMs(),
          r.engineThreads(), r.createdAt(), r.createdBy(), d.previousRevision());
    }
  }
}
