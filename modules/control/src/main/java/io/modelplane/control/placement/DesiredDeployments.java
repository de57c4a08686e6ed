package io.modelplane.control.placement;

import io.modelplane.common.ModelKey;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.runtime.ModelFootprint;
import io.modelplane.inference.runtime.ModelLoadException;
import io.modelplane.inference.worker.ArtifactCache;
import io.modelplane.inference.worker.VersionToLoad;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a stored {@link DesiredSpec} into what placement carries out: each version's artifact by its
 * SHA-256 (workers fetch it themselves) and its resident footprint once loaded, estimated from this
 * node's copy of the artifact (its {@link ArtifactCache}: the store's own file with the local store,
 * downloaded once with S3) and remembered per artifact.
 */
public final class DesiredDeployments {
  private static final Logger log = LoggerFactory.getLogger(DesiredDeployments.class);
  public static final long DEFAULT_FOOTPRINT_CAP = 64L * 1024 * 1024 * 1024;

  private final ArtifactCache artifacts;
  private final int queueCapacity;
  private final long footprintCap;
  /** sha256 → resident estimate; an artifact's bytes never change under its address */
  private final Map<String, Long> footprints = new ConcurrentHashMap<>();

  /** Estimates stop counting past {@code footprintCap} bytes (the largest worker budget will do: more never fits). */
  public DesiredDeployments(ArtifactCache artifacts, int queueCapacity, long footprintCap) {
    this.artifacts = artifacts;
    this.queueCapacity = queueCapacity;
    this.footprintCap = footprintCap;
  }

  /** {@code workerPool}: the tenant's dedicated pool (null: shared workers). */
  PlacementCoordinator.DesiredDeployment toPlace(ModelKey key, DesiredSpec spec, String workerPool) {
    Map<Integer, VersionToLoad> versions = new HashMap<>();
    spec.versions().forEach((number, v) -> versions.put(number, new VersionToLoad(
        new io.modelplane.common.VersionKey(key, number), v.format(), v.inputs(), v.outputs(), residentEstimate(v),
        v.sha256())));
    return new PlacementCoordinator.DesiredDeployment(spec.revision(), spec.traffic(), spec.replicas(),
        new BatchSettings(spec.maxBatchSize(), spec.maxBatchDelayMs(), queueCapacity, spec.engineThreads()), versions,
        workerPool);
  }

  /**
   * What the version will hold once loaded ({@link ModelFootprint}), counted once per artifact: the
   * archive inflated, never the compressed upload. An artifact that cannot be fetched or read counts
   * its registered size, for now (its load fails with the reason; the next placement tries again).
   */
  private long residentEstimate(DesiredSpec.Version v) {
    Long known = footprints.get(v.sha256());
    if (known != null) {
      return known;
    }
    try (ArtifactCache.Lease artifact = artifacts.acquire(v.sha256())) {
      long estimate = ModelFootprint.estimate(artifact.path(), footprintCap);
      footprints.put(v.sha256(), estimate);
      return estimate;
    } catch (ModelLoadException | IOException e) {
      log.warn("cannot size artifact {}: {}", v.sha256(), e.getMessage());
      return v.sizeBytes();
    }
  }
}
