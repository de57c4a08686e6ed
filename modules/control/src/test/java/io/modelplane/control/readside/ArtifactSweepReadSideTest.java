package io.modelplane.control.readside;

import static io.modelplane.common.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelplane.common.TenantId;
import io.modelplane.control.ArtifactSweep;
import io.modelplane.control.keys.RecordedKeyLedger;
import io.modelplane.control.keys.StoredTenantKeys;
import io.modelplane.registry.ArtifactAddress;
import io.modelplane.registry.TenantArtifacts;
import io.modelplane.registry.crypto.LocalKeySource;
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

  private Path artifact(String tenant, char c) throws Exception {
    String sha = String.valueOf(c).repeat(64);
    Path file = Files.createDirectories(root.resolve("tenants").resolve(tenant).resolve(sha.substring(0, 2))).resolve(sha);
    Files.write(file, new byte[] {1});
    return file;
  }

  private static ArtifactAddress address(String tenant, char c) {
    return new ArtifactAddress(TenantId.of(tenant), String.valueOf(c).repeat(64));
  }

  private List<ArtifactAddress> sweep(ArtifactSweep sweep) throws Exception {
    return sweep.run().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void deletesOnlyUnregisteredArtifactsAndNothingWhileTheReadSideIsBehind() throws Exception {
    ArtifactStore store = new LocalArtifactStore(root, 1 << 20);
    // an hour from now: every file stored so far is past the grace period
    StoredTenantKeys.createTable(fixture.readSide.database());
    StoredTenantKeys keys = new StoredTenantKeys(fixture.readSide.database(),
        LocalKeySource.of(java.util.Map.of("k1", new byte[32]), "k1"), new RecordedKeyLedger(), Runnable::run,
        Clock.systemUTC());
    ArtifactSweep sweep = new ArtifactSweep(fixture.readSide, new TenantArtifacts(store, keys, Runnable::run),
        Duration.ofSeconds(1), Clock.offset(Clock.systemUTC(), Duration.ofHours(1)), Runnable::run,
        akka.stream.Materializer.matFromSystem(fixture.testKit.system()));
    fixture.startProjections();
    fixture.writeHistory();
    eventually(Duration.ofSeconds(20), () -> fixture.auditRows() == ReadSideFixture.HISTORY_AUDIT_ROWS,
        "the history projected");
    List<Path> registered = List.of(artifact("acme", 'a'), artifact("acme", 'b'), artifact("globex", 'c'));
    Path orphan = artifact("acme", 'd');
    Path otherTenants = artifact("globex", 'a'); // the same bytes as a version of acme's, but no version of globex's

    eventually(Duration.ofSeconds(20), () -> {
      try {
        return java.util.Set.copyOf(sweep(sweep)).equals(java.util.Set.of(address("acme", 'd'), address("globex", 'a')));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "the orphan swept");
    assertThat(orphan).doesNotExist();
    assertThat(otherTenants).doesNotExist();
    registered.forEach(p -> assertThat(p).exists());

    // a rebuilding read side (empty tables) must not make every artifact look unreferenced
    fixture.stopProjections();
    fixture.dropReadSide();
    Path second = artifact("acme", 'e');
    assertThatThrownBy(() -> sweep(sweep)).isInstanceOf(ExecutionException.class)
        .hasMessageContaining("has not applied every change");
    registered.forEach(p -> assertThat(p).exists());
    assertThat(second).exists();

    fixture.startProjections();
    eventually(Duration.ofSeconds(20), () -> {
      try {
        return sweep(sweep).equals(List.of(address("acme", 'e')));
      } catch (Exception e) {
        return false; // still rebuilding
      }
    }, "the second orphan swept once the read side has caught up");
    registered.forEach(p -> assertThat(p).exists());
  }
}
