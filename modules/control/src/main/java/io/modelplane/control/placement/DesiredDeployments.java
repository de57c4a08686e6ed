package io.modelplane.control.placement;

import io.modelplane.common.ModelKey;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.runtime.ModelFootprint;
import io.modelplane.inference.worker.VersionToLoad;
import io.modelplane.registry.ArtifactStore;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a stored {@link DesiredSpec} into what placement carries out: each version's artifact path in
 * this node's artifact store and its resident footprint once loaded.
 */
public final class DesiredDeployments {
  private static final Logger log = LoggerFactory.getLogger(DesiredDeployments.class);
  public static final long DEFAULT_FOOTPRINT_CAP = 64L * 1024 * 1024 * 1024;

  private final ArtifactStore artifacts;
  private final int queueCapacity;
  private final long footprintCap;
  /** sha256 → resident estimate; an artifact's bytes never change under its address */
  private final Map<String, Long> footprints = new ConcurrentHashMap<>();

  /** Estimates stop counting past {@code footprintCap} bytes (the largest worker budget will do: more never fits). */
  public DesiredDeployments(ArtifactStore artifacts, int queueCapacity, long footprintCap) {
    this.artifacts = artifacts;
    this.queueCapacity = queueCapacity;
    this.footprintCap = footprintCap;
  }

  /** {@code workerPool}: the tenant's dedicated pool (null: shared workers). */
  PlacementCoordinator.DesiredDeployment toPlace(ModelKey key, DesiredSpec spec, String workerPool) {
    Map<Integer, VersionToLoad> versions = new HashMap<>();
    spec.versions().forEach((number, v) -> {
      // a missing file fails that replica's load with a reason the deployment then shows
      String path = artifacts.find(v.sha256()).map(Object::toString)
          .orElse("artifact " + v.sha256() + " is missing from the artifact store");
      versions.put(number, new VersionToLoad(new io.modelplane.common.VersionKey(key, number), path, v.format(),
          v.inputs(), v.outputs(), residentEstimate(v), v.sha256()));
    });
    return new PlacementCoordinator.DesiredDeployment(spec.revision(), spec.traffic(), spec.replicas(),
        new BatchSettings(spec.maxBatchSize(), spec.maxBatchDelayMs(), queueCapacity, spec.engineThreads()), versions,
        workerPool);
  }

  /**
   * What the version will hold once loaded ({@link ModelFootprint}), counted once per artifact: the
   * archive inflated, never the compressed upload. A file that cannot be read counts its registered
   * size (its load fails with the reason).
   */
  private long residentEstimate(DesiredSpec.Version v) {
    Long known = footprints.get(v.sha256());
    if (known != null) {
      return known;
    }
    return artifacts.find(v.sha256()).map(path -> {
      try {
        long estimate = ModelFootprint.estimate(path, footprintCap);
        footprints.put(v.sha256(), estimate);
        return estimate;
      } catch (IOException e) {
        log.warn("cannot size artifact {}: {}", v.sha256(), e.getMessage());
        return v.sizeBytes();
      }
    }).orElse(v.sizeBytes());
  }
}
