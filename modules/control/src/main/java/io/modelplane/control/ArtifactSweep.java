package io.modelplane.control;

import akka.stream.Materializer;
import io.modelplane.common.Rejected;
import io.modelplane.common.TenantId;
import io.modelplane.control.readside.ReadSide;
import io.modelplane.registry.ArtifactAddress;
import io.modelplane.registry.TenantArtifacts;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * would miss registrations); otherwise, or if a read fails, nothing is deleted. Each sweep first
 * encrypts the plaintext artifacts an older version stored into the tenant layout (see
 * {@link TenantArtifacts#migrateLegacy}): the first sweep after an upgrade migrates them.
 */
public final class ArtifactSweep {
  private static final Logger log = LoggerFactory.getLogger(ArtifactSweep.class);

  private final ReadSide readSide;
  private final TenantArtifacts artifacts;
  private final Materializer mat;
  private final Duration grace;
  private final Clock clock;
  private final Executor blockingIo;

  public ArtifactSweep(ReadSide readSide, TenantArtifacts artifacts, Duration grace, Clock clock,
      Executor blockingIo, Materializer mat) {
    this.readSide = readSide;
    this.artifacts = artifacts;
    this.mat = mat;
    this.grace = grace;
    this.clock = clock;
    this.blockingIo = blockingIo;
  }

  /** One sweep: the address of each artifact deleted. */
  public CompletionStage<List<ArtifactAddress>> run() {
    // the cutoff is taken before the models are read: an artifact stored later is never a candidate
    var storedBefore = clock.instant().minus(grace);
    return readSide.caughtUp()
        .thenCompose(caughtUp -> caughtUp ? readSide.models().registeredArtifacts()
            : CompletableFuture.failedFuture(new IllegalStateException("the read side has not applied every change yet")))
        .thenCompose(referenced -> artifacts.migrateLegacy(bySha256(referenced), true, mat).thenApply(n -> referenced))
        .thenApplyAsync(referenced -> {
          List<ArtifactAddress> deleted = artifacts.store().deleteUnreferenced(referenced, storedBefore);
          deleted.forEach(address -> log.info("deleted artifact {}: no version refers to it", address));
          return deleted;
        }, blockingIo);
  }

  /** The tenants that registered each artifact, by SHA-256 (what a legacy artifact is migrated for). */
  public static Map<String, Set<TenantId>> bySha256(Set<ArtifactAddress> addresses) {
    Map<String, Set<TenantId>> tenants = new HashMap<>();
    addresses.forEach(a -> tenants.computeIfAbsent(a.sha256(), s -> new HashSet<>()).add(a.tenant()));
    return tenants;
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
