package io.modelplane.control;

import io.modelplane.common.ModelKey;
import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import io.modelplane.registry.ArtifactStore;
import io.modelplane.registry.ModelEntity;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes artifacts that no version of any model refers to (left by a registration that never
 * finished, e.g. a node stopped between storing and registering) once they are older than the
 * grace period. Every model is read first; if any read fails nothing is deleted.
 */
public final class ArtifactSweep {
  private static final Logger log = LoggerFactory.getLogger(ArtifactSweep.class);

  private final ControlPlane controlPlane;
  private final ArtifactStore artifacts;
  private final Duration grace;
  private final Clock clock;
  private final Executor blockingIo;

  public ArtifactSweep(ControlPlane controlPlane, ArtifactStore artifacts, Duration grace, Clock clock,
      Executor blockingIo) {
    this.controlPlane = controlPlane;
    this.artifacts = artifacts;
    this.grace = grace;
    this.clock = clock;
    this.blockingIo = blockingIo;
  }

  /** One sweep: the SHA-256 of each artifact deleted. */
  public CompletionStage<List<String>> run() {
    // the cutoff is taken before the models are read: an artifact stored later is never a candidate
    var storedBefore = clock.instant().minus(grace);
    Set<String> referenced = ConcurrentHashMap.newKeySet();
    return controlPlane.modelIds()
        .thenCompose(ids -> CompletableFuture.allOf(ids.stream()
            .map(id -> controlPlane.readModel(ModelKey.parse(id), ModelEntity.Get::new, ModelEntity.Summary.class)
                .thenAccept(model -> model.versions().forEach(v -> referenced.add(v.sha256())))
                .exceptionally(failure -> {
                  // a released name (its upload failed) left an id but no model: it refers to nothing
                  if (Rejected.unwrap(failure) instanceof Rejected r && r.rejection().reason() == Rejection.Reason.NOT_FOUND) {
                    return null;
                  }
                  throw failure instanceof CompletionException c ? c : new CompletionException(failure);
                })
                .toCompletableFuture())
            .toArray(CompletableFuture[]::new)))
        .thenApplyAsync(done -> {
          List<String> deleted = artifacts.deleteUnreferenced(referenced, storedBefore);
          deleted.forEach(sha256 -> log.info("deleted artifact {}: no version refers to it", sha256));
          return deleted;
        }, blockingIo);
  }

  /** {@link #run} for a scheduler: failures are logged, and nothing was deleted then. */
  public void runAndLog() {
    run().whenComplete((deleted, failure) -> {
      if (failure != null) {
        log.warn("artifact sweep skipped: {}", Rejected.unwrap(failure).getMessage());
      }
    });
  }
}
