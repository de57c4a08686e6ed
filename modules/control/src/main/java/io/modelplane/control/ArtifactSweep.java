package io.modelplane.control;

import io.modelplane.common.Rejected;
import io.modelplane.control.readside.ReadSide;
import io.modelplane.registry.ArtifactStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes artifacts that no version of any model refers to (left by a registration that never
 * finished, e.g. a node stopped between storing and registering) once they are older than the
 * grace period. The registered artifacts are read from the models read table, and only once the read
 * side has applied every event journaled before the sweep began (a lagging or rebuilding read side
 * would miss registrations); otherwise, or if a read fails, nothing is deleted.
 */
public final class ArtifactSweep {
  private static final Logger log = LoggerFactory.getLogger(ArtifactSweep.class);

  private final ReadSide readSide;
  private final ArtifactStore artifacts;
  private final Duration grace;
  private final Clock clock;
  private final Executor blockingIo;

  public ArtifactSweep(ReadSide readSide, ArtifactStore artifacts, Duration grace, Clock clock,
      Executor blockingIo) {
    this.readSide = readSide;
    this.artifacts = artifacts;
    this.grace = grace;
    this.clock = clock;
    this.blockingIo = blockingIo;
  }

  /** One sweep: the SHA-256 of each artifact deleted. */
  public CompletionStage<List<String>> run() {
    // the cutoff is taken before the models are read: an artifact stored later is never a candidate
    var storedBefore = clock.instant().minus(grace);
    return readSide.caughtUp()
        .thenCompose(caughtUp -> caughtUp ? readSide.models().registeredSha256()
            : CompletableFuture.failedFuture(new IllegalStateException("the read side has not applied every change yet")))
        .thenApplyAsync(referenced -> {
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
