package io.modelplane.control;

import static io.modelplane.control.ControlFixtures.await;
import static io.modelplane.control.ControlFixtures.createTenant;
import static io.modelplane.control.ControlFixtures.failure;
import static io.modelplane.control.ControlFixtures.registerVersion;
import static org.assertj.core.api.Assertions.assertThat;

import akka.pattern.AskTimeoutException;
import akka.stream.Materializer;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.registry.ArtifactStore;
import io.modelplane.registry.ModelEntity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ArtifactSweep} over a real artifact store and real model entities. */
class ArtifactSweepTest {
  private static final Duration GRACE = Duration.ofHours(1);
  private static final String DATABASE = "artifact-sweep-test";

  static ControlTestNode node;
  static ControlPlane controlPlane;
  static ExecutorService blockingIo;

  @BeforeAll
  static void start() {
    node = ControlTestNode.start(DATABASE, true);
    controlPlane = node.controlPlane(Duration.ofSeconds(5), 3);
    blockingIo = Executors.newSingleThreadExecutor();
  }

  @AfterAll
  static void stop() {
    blockingIo.shutdownNow();
    node.close();
  }

  @Test
  void deletesOnlyUnreferencedArtifactsOlderThanTheGrace(@TempDir Path dir) {
    ArtifactStore artifacts = new ArtifactStore(dir, 1 << 20);
    String used = store(artifacts, "weights in use");
    String orphan = store(artifacts, "an upload that was never registered");
    createTenant(controlPlane, "sweep", null);
    registerVersion(controlPlane, new ModelKey(TenantId.of("sweep"), ModelId.of("digits")), used);

    assertThat(await(sweep(artifacts, Clock.systemUTC()).run())).as("within the grace").isEmpty();
    assertThat(artifacts.find(orphan)).isPresent();

    assertThat(await(sweep(artifacts, later()).run())).containsExactly(orphan);
    assertThat(artifacts.find(orphan)).isEmpty();
    assertThat(artifacts.find(used)).isPresent();
  }

  /** A model name reserved and released (its upload failed) has no model: it refers to nothing, and blocks nothing. */
  @Test
  void aReleasedModelDoesNotStopTheSweep(@TempDir Path dir) {
    ArtifactStore artifacts = new ArtifactStore(dir, 1 << 20);
    String orphan = store(artifacts, "left by the failed upload");
    createTenant(controlPlane, "released", null);
    ModelKey key = new ModelKey(TenantId.of("released"), ModelId.of("failed"));
    await(controlPlane.releaseIfVacant(key, 1L, "operator"));
    assertThat(await(controlPlane.modelIds())).contains("released/failed");

    assertThat(await(sweep(artifacts, later()).run())).contains(orphan);
  }

  /** If any model cannot be read, its versions are unknown: nothing at all is deleted. */
  @Test
  void deletesNothingWhenAModelCannotBeRead(@TempDir Path dir) {
    ArtifactStore artifacts = new ArtifactStore(dir, 1 << 20);
    String orphan = store(artifacts, "unreferenced, but the models are unknown");
    createTenant(controlPlane, "unread", null);
    registerVersion(controlPlane, new ModelKey(TenantId.of("unread"), ModelId.of("digits")), "c".repeat(64));
    // a node outside the cluster reads the same journal but gets no answer from any entity
    try (ControlTestNode detached = ControlTestNode.start(DATABASE, false)) {
      ArtifactSweep sweep = new ArtifactSweep(detached.controlPlane(Duration.ofMillis(300), 1), artifacts, GRACE,
          later(), blockingIo);
      assertThat(failure(sweep.run())).isInstanceOfAny(AskTimeoutException.class,
          java.util.concurrent.TimeoutException.class);
      sweep.runAndLog(); // logs, never throws
    }
    assertThat(artifacts.find(orphan)).isPresent();
  }

  private static ArtifactSweep sweep(ArtifactStore artifacts, Clock clock) {
    return new ArtifactSweep(controlPlane, artifacts, GRACE, clock, blockingIo);
  }

  private static Clock later() {
    return Clock.fixed(Instant.now().plus(GRACE).plus(Duration.ofMinutes(1)), ZoneOffset.UTC);
  }

  private static String store(ArtifactStore artifacts, String content) {
    ArtifactStore.StoredArtifact stored = await(artifacts.store(
        Source.single(ByteString.fromString(content, StandardCharsets.UTF_8)), null,
        Materializer.matFromSystem(node.kit.system())));
    artifacts.release(stored, true); // kept, as if registered
    return stored.sha256();
  }
}
