package io.modelplane.api.view;

import io.modelplane.registry.ModelEntity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A deployment revision: traffic percent by version number (as a string key) and its serving settings;
 * {@code rollbackAvailable} and {@code rollbackRevision} say whether a rollback is possible now and to
 * which revision (both null where the stack of applied revisions is not known: model lists).
 */
public record DeploymentView(long revision, Map<String, Integer> traffic, int replicas, int maxBatchSize,
    int maxBatchDelayMs, Integer engineThreads, Autoscaling autoscaling, Instant createdAt, String createdBy,
    Boolean rollbackAvailable, Long rollbackRevision) {

  /** Each version's replicas follow its load within these bounds; null for a fixed {@code replicas}. */
  public record Autoscaling(int minReplicas, int maxReplicas, int targetInFlight, int idleUnloadSeconds) {
    static Autoscaling from(ModelEntity.Autoscaling a) {
      return a == null ? null : new Autoscaling(a.minReplicas(), a.maxReplicas(), a.targetInFlight(), a.idleUnloadSeconds());
    }
  }

  /** Null for null (a model never deployed); the rollback fields unknown (null). */
  public static DeploymentView from(ModelEntity.DeploymentRevision r) {
    if (r == null) {
      return null;
    }
    Map<String, Integer> traffic = new LinkedHashMap<>();
    new TreeMap<>(r.spec().traffic()).forEach((v, p) -> traffic.put(String.valueOf(v), p));
    return new DeploymentView(r.revision(), traffic, r.spec().replicas(), r.spec().maxBatchSize(),
        r.spec().maxBatchDelayMs(), r.spec().engineThreads(), Autoscaling.from(r.spec().autoscaling()), r.createdAt(),
        r.createdBy(), null, null);
  }

  /** The model's current deployment as its entity answered, with whether a rollback is possible; null if none. */
  public static DeploymentView current(ModelEntity.Summary s) {
    DeploymentView r = from(s.deployment());
    return r == null ? null : r.withRollback(s.rollbackRevision());
  }

  private DeploymentView withRollback(Long to) {
    return new DeploymentView(revision, traffic, replicas, maxBatchSize, maxBatchDelayMs, engineThreads, autoscaling,
        createdAt, createdBy, to != null, to);
  }

  /**
   * The answer to a deploy or rollback: the now-current revision ({@code revision}), the one current
   * before this change ({@code previousRevision}, null: none; after a rollback the one rolled back from),
   * and whether a further rollback is possible and to which revision.
   */
  public record Deployed(long revision, Map<String, Integer> traffic, int replicas, int maxBatchSize,
      int maxBatchDelayMs, Integer engineThreads, Autoscaling autoscaling, Instant createdAt, String createdBy,
      Long previousRevision, boolean rollbackAvailable, Long rollbackRevision) {

    public static Deployed from(ModelEntity.Deployed d) {
      DeploymentView r = DeploymentView.from(d.revision());
      return new Deployed(r.revision(), r.traffic(), r.replicas(), r.maxBatchSize(), r.maxBatchDelayMs(),
          r.engineThreads(), r.autoscaling(), r.createdAt(), r.createdBy(), d.previousRevision(), d.rollbackAvailable(),
          d.rollbackRevision());
    }
  }
}
