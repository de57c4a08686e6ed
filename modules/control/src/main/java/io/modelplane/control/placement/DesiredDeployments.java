package io.modelplane.control.placement;

import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.crypto.ArtifactKey;
import io.modelplane.inference.placement.Autoscaler;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.runtime.ModelFootprint;
import io.modelplane.inference.runtime.ModelLoadException;
import io.modelplane.inference.worker.ArtifactCache;
import io.modelplane.inference.worker.VersionToLoad;
import io.modelplane.registry.ModelEntity;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a stored {@link DesiredSpec} into what placement carries out: each version's artifact by its
 * SHA-256 (workers fetch it themselves) with the tenant's data key to decrypt it (held in memory by
 * placement only, never in its tables), and its resident footprint once loaded, estimated from this
 * node's copy of the artifact (its {@link ArtifactCache}: the store's own file with the local store,
 * downloaded once with S3) and remembered per artifact.
 */
public final class DesiredDeployments {
  private static final Logger log = LoggerFactory.getLogger(DesiredDeployments.class);
  public static final long DEFAULT_FOOTPRINT_CAP = 64L * 1024 * 1024 * 1024;

  private final ArtifactCache artifacts;
  private final DataKeys keys;
  private final int queueCapacity;
  private final long footprintCap;
  /** sha256 → resident estimate; an artifact's bytes never change under its address */
  private final Map<String, Long> footprints = new ConcurrentHashMap<>();

  /** The tenants' data keys as placement hands them to workers; blocks (placement reads its tables on a blocking pool). */
  public interface DataKeys {
    /** The tenant's key; throws with the reason when it cannot be had. */
    ArtifactKey keyOf(TenantId tenant);
  }

  /** Estimates stop counting past {@code footprintCap} bytes (the largest worker budget will do: more never fits). */
  public DesiredDeployments(ArtifactCache artifacts, DataKeys keys, int queueCapacity, long footprintCap) {
    this.artifacts = artifacts;
    this.keys = keys;
    this.queueCapacity = queueCapacity;
    this.footprintCap = footprintCap;
  }

  /** {@code workerPool}: the tenant's dedicated pool (null: shared workers). */
  PlacementCoordinator.DesiredDeployment toPlace(ModelKey key, DesiredSpec spec, String workerPool) {
    Map<Integer, VersionToLoad> versions = new HashMap<>();
    ArtifactKey dataKey = null;
    String keyProblem = null;
    try {
      dataKey = keys.keyOf(key.tenant());
    } catch (RuntimeException e) {
      keyProblem = "the data key of tenant " + key.tenant().value() + " is not available: "
          + io.modelplane.common.Rejected.unwrap(e).getMessage();
      log.warn("cannot place {} with its data key: {}", key, keyProblem);
    }
    ArtifactKey versionKey = dataKey;
    String problem = keyProblem;
    spec.versions().forEach((number, v) -> versions.put(number, new VersionToLoad(
        new io.modelplane.common.VersionKey(key, number), v.format(), v.inputs(), v.outputs(),
        residentEstimate(key.tenant(), v, versionKey), v.sha256(), versionKey, problem)));
    ModelEntity.Autoscaling a = spec.autoscaling();
    return new PlacementCoordinator.DesiredDeployment(spec.revision(), spec.traffic(), spec.replicas(),
        new BatchSettings(spec.maxBatchSize(), spec.maxBatchDelayMs(), queueCapacity, spec.engineThreads()), versions,
        workerPool, a == null ? null : new Autoscaler.Bounds(a.minReplicas(), a.maxReplicas(), a.targetInFlight(),
            Duration.ofSeconds(a.idleUnloadSeconds())));
  }

  /**
   * What the version will hold once loaded ({@link ModelFootprint}), counted once per artifact: the
   * archive inflated, never the compressed upload. An artifact that cannot be fetched or read counts
   * its registered size, for now (its load fails with the reason; the next placement tries again).
   */
  private long residentEstimate(TenantId tenant, DesiredSpec.Version v, ArtifactKey dataKey) {
    Long known = footprints.get(v.sha256());
    if (known != null) {
      return known;
    }
    if (dataKey == null) {
      return v.sizeBytes();
    }
    try (ArtifactCache.Lease artifact = artifacts.acquire(tenant, v.sha256(), dataKey)) {
      long estimate = ModelFootprint.estimate(artifact.path(), footprintCap);
      footprints.put(v.sha256(), estimate);
      return estimate;
    } catch (ModelLoadException | IOException e) {
      log.warn("cannot size artifact {}: {}", v.sha256(), e.getMessage());
      return v.sizeBytes();
    }
  }
}
