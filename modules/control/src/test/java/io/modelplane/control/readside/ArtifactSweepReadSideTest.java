package io.modelplane.control.readside;

import static io.modelplane.common.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelplane.control.ArtifactSweep;
import io.modelplane.registry.ArtifactStore;
import io.modelplane.registry.LocalArtifactStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The artifact sweep trusts the models table only once the read side has applied every journaled change. */
class ArtifactSweepReadSideTest {
  @TempDir Path root;
  ReadSideFixture fixture;

  @BeforeEach
  void open() throws Exception {
    fixture = new ReadSideFixture("jdbc:h2:mem:sweep-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "", false);
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  private Path artifact(char c) throws Exception {
    String sha = String.valueOf(c).repeat(64);
    Path file = Files.createDirectories(root.resolve("sha256").resolve(sha.substring(0, 2))).resolve(sha);
    Files.write(file, new byte[] {1});
    return file;
  }

  private List<String> sweep(ArtifactSweep sweep) throws Exception {
    return sweep.run().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void deletesOnlyUnregisteredArtifactsAndNothingWhileTheReadSideIsBehind() throws Exception {
    ArtifactStore store = new LocalArtifactStore(root, 1 << 20);
    // an hour from now: every file stored so far is past the grace period
    ArtifactSweep sweep = new ArtifactSweep(fixture.readSide, store, Duration.ofSeconds(1),
        Clock.offset(Clock.systemUTC(), Duration.ofHours(1)), Runnable::run);
    fixture.startProjections();
    fixture.writeHistory();
    eventually(Duration.ofSeconds(20), () -> fixture.auditRows() == ReadSideFixture.HISTORY_AUDIT_ROWS,
        "the history projected");
    List<Path> registered = List.of(artifact('a'), artifact('b'), artifact('c'));
    Path orphan = artifact('d');

    eventually(Duration.ofSeconds(20), () -> {
      try {
        return sweep(sweep).equals(List.of("d".repeat(64)));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "the orphan swept");
    assertThat(orphan).doesNotExist();
    registered.forEach(p -> assertThat(p).exists());

    // a rebuilding read side (empty tables) must not make every artifact look unreferenced
    fixture.stopProjections();
    fixture.dropReadSide();
    Path second = artifact('e');
    assertThatThrownBy(() -> sweep(sweep)).isInstanceOf(ExecutionException.class)
        .hasMessageContaining("has not applied every change");
    registered.forEach(p -> assertThat(p).exists());
    assertThat(second).exists();

    fixture.startProjections();
    eventually(Duration.ofSeconds(20), () -> {
      try {
        return sweep(sweep).equals(List.of("e".repeat(64)));
      } catch (Exception e) {
        return false; // still rebuilding
      }
    }, "the second orphan swept once the read side has caught up");
    registered.forEach(p -> assertThat(p).exists());
  }
}
