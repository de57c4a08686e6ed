package io.modelplane.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.stream.Materializer;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Source;
import io.modelplane.common.TenantId;
import akka.util.ByteString;
import io.modelplane.registry.ArtifactStore.StoredArtifact;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {
  private static final TenantId T = TenantId.of("acme");
  /** The stores' own behaviour: stored as given (encryption is TenantArtifacts', tested there). */
  private static final Flow<ByteString, ByteString, ?> PLAIN = Flow.create();
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());
  private static final long MAX_BYTES = 64 * 1024;

  @TempDir
  Path root;
  private ArtifactStore store;

  @BeforeEach
  void setUp() {
    store = new LocalArtifactStore(root, MAX_BYTES);
  }

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** The bytes as a stream of small chunks, like an upload arriving over the network. */
  private static Source<ByteString, ?> chunked(byte[] bytes) {
    int chunk = 1000;
    return Source.range(0, (bytes.length - 1) / chunk)
        .map(i -> ByteString.fromArray(bytes, i * chunk, Math.min(chunk, bytes.length - i * chunk)));
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Throwable failureOf(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("the store neither completed nor failed", e);
    }
    throw new AssertionError("the store succeeded but should have failed");
  }

  private List<Path> filesUnder(String dir) throws IOException {
    if (!Files.exists(root.resolve(dir))) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(root.resolve(dir))) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  private void assertNothingLeft() throws IOException {
    assertThat(filesUnder("tmp")).isEmpty();
    assertThat(filesUnder("tenants")).isEmpty();
  }

  @Test
  void storesAnArtifactUnderItsSha256() throws Exception {
    byte[] bytes = randomBytes(10_500, 1);
    String sha = sha256(bytes);

    StoredArtifact stored = await(store.store(T, chunked(bytes), null, PLAIN, mat));

    assertThat(stored.sha256()).isEqualTo(sha);
    assertThat(stored.sizeBytes()).isEqualTo(10_500);
    assertThat(stored.newlyCreated()).isTrue();
    assertThat(stored.path()).isEqualTo(root.resolve("tenants").resolve("acme").resolve(sha.substring(0, 2)).resolve(sha));
    assertThat(Files.readAllBytes(stored.path())).isEqualTo(bytes);
    assertThat(store.find(T, sha)).contains(stored.path());
    assertThat(filesUnder("tmp")).isEmpty();
  }

  @Test
  void acceptsTheRightExpectedChecksumAndExactlyMaxBytes() throws Exception {
    byte[] bytes = randomBytes((int) MAX_BYTES, 2);
    StoredArtifact stored = await(store.store(T, chunked(bytes), sha256(bytes), PLAIN, mat));
    assertThat(stored.sizeBytes()).isEqualTo(MAX_BYTES);
    assertThat(store.maxBytes()).isEqualTo(MAX_BYTES);
  }

  @Test
  void theSameBytesTwiceAreStoredOnce() throws Exception {
    byte[] bytes = "the same model".getBytes(StandardCharsets.UTF_8);

    StoredArtifact first = await(store.store(T, Source.single(ByteString.fromArray(bytes)), null, PLAIN, mat));
    StoredArtifact second = await(store.store(T, chunked(bytes), null, PLAIN, mat));

    assertThat(first.newlyCreated()).isTrue();
    assertThat(second.newlyCreated()).isFalse();
    assertThat(second.path()).isEqualTo(first.path());
    assertThat(filesUnder("tenants")).containsExactly(first.path());
    assertThat(filesUnder("tmp")).isEmpty();
  }

  @Test
  void tooLargeFailsAndStopsReadingTheUpload() throws Exception {
    AtomicInteger chunksPulled = new AtomicInteger();
    Source<ByteString, ?> endless = Source.repeat(ByteString.fromArray(new byte[1024]))
        .map(chunk -> {
          chunksPulled.incrementAndGet();
          return chunk;
        });

    Throwable failure = failureOf(store.store(T, endless, null, PLAIN, mat));

    assertThat(failure).isInstanceOf(ArtifactTooLargeException.class).hasMessageContaining(String.valueOf(MAX_BYTES));
    // the source was endless: failing at all proves consumption stopped; a few chunks may be in flight
    assertThat(chunksPulled.get()).isLessThan(200);
    assertNothingLeft();
  }

  @Test
  void oneByteOverTheLimitIsTooLarge() throws Exception {
    Throwable failure = failureOf(store.store(T, chunked(randomBytes((int) MAX_BYTES + 1, 3)), null, PLAIN, mat));
    assertThat(failure).isInstanceOf(ArtifactTooLargeException.class);
    assertThat(((ArtifactTooLargeException) failure).maxBytes()).isEqualTo(MAX_BYTES);
    assertNothingLeft();
  }

  @Test
  void anEmptyArtifactIsRefused() throws Exception {
    Throwable failure = failureOf(store.store(T, Source.empty(), null, PLAIN, mat));
    assertThat(failure).isExactlyInstanceOf(ArtifactStoreException.class).hasMessage("artifact is empty");
    assertNothingLeft();
  }

  @Test
  void anUploadCutMidwayFailsWithItsErrorAndLeavesNothing() throws Exception {
    IOException cut = new IOException("connection reset");
    Source<ByteString, ?> broken = chunked(randomBytes(5000, 4)).concat(Source.failed(cut));

    Throwable failure = failureOf(store.store(T, broken, null, PLAIN, mat));

    assertThat(failure).isSameAs(cut);
    assertNothingLeft();
  }

  @Test
  void aChecksumMismatchFailsAndLeavesNothing() throws Exception {
    byte[] bytes = randomBytes(3000, 5);
    String wrong = sha256("something else".getBytes(StandardCharsets.UTF_8));

    Throwable failure = failureOf(store.store(T, chunked(bytes), wrong, PLAIN, mat));

    assertThat(failure).isInstanceOf(ChecksumMismatchException.class)
        .hasMessageContaining(wrong).hasMessageContaining(sha256(bytes));
    assertThat(((ChecksumMismatchException) failure).actualSha256()).isEqualTo(sha256(bytes));
    assertNothingLeft();
  }

  @Test
  void aMismatchDoesNotTouchAnArtifactAlreadyStored() throws Exception {
    byte[] bytes = randomBytes(2000, 6);
    StoredArtifact stored = await(store.store(T, chunked(bytes), null, PLAIN, mat));

    failureOf(store.store(T, chunked(bytes), "0".repeat(64), PLAIN, mat));

    assertThat(Files.readAllBytes(stored.path())).isEqualTo(bytes);
    assertThat(filesUnder("tmp")).isEmpty();
  }

  @Test
  void deleteRemovesAStoredArtifact() throws Exception {
    byte[] bytes = randomBytes(2000, 7);
    StoredArtifact stored = await(store.store(T, chunked(bytes), null, PLAIN, mat));

    assertThat(store.delete(T, stored.sha256())).isTrue();
    assertThat(store.find(T, stored.sha256())).isEmpty();
    assertThat(store.delete(T, stored.sha256())).isFalse();
    assertThat(await(store.store(T, chunked(bytes), null, PLAIN, mat)).newlyCreated()).isTrue();
  }

  @Test
  void aRefusedUploadRemovesTheFileItCreatedUnlessAnOverlappingUploadOfTheSameBytesKeptIt() throws Exception {
    byte[] bytes = randomBytes(2000, 8);
    StoredArtifact alone = await(store.store(T, chunked(bytes), null, PLAIN, mat));
    store.release(alone, false);
    assertThat(store.find(T, alone.sha256())).isEmpty();

    // the first upload creates the file, the second finds it; the second is registered, then the first refused
    StoredArtifact first = await(store.store(T, chunked(bytes), null, PLAIN, mat));
    StoredArtifact second = await(store.store(T, chunked(bytes), null, PLAIN, mat));
    assertThat(first.newlyCreated()).isTrue();
    assertThat(second.newlyCreated()).isFalse();
    store.release(second, true);
    store.release(first, false);
    assertThat(store.find(T, first.sha256())).isPresent();

    // refused first while the other is still registering: the file waits for it
    store.delete(T, first.sha256());
    StoredArtifact third = await(store.store(T, chunked(bytes), null, PLAIN, mat));
    StoredArtifact fourth = await(store.store(T, chunked(bytes), null, PLAIN, mat));
    store.release(third, false);
    assertThat(store.find(T, third.sha256())).isPresent();
    store.release(fourth, true);
    assertThat(store.find(T, third.sha256())).isPresent();
  }

  @Test
  void findAndDeleteIgnoreAnythingThatIsNotASha256() throws Exception {
    Files.writeString(root.resolve("secret"), "x");
    assertThat(store.find(T, "../secret")).isEmpty();
    assertThat(store.delete(T, "../../secret")).isFalse();
    assertThat(store.find(T, "AB".repeat(32))).isEmpty();
    assertThat(store.find(T, null)).isEmpty();
    assertThat(root.resolve("secret")).exists();
  }

  @Test
  void leftoversOfInterruptedUploadsAreRemovedAtStart() throws Exception {
    byte[] bytes = randomBytes(1000, 8);
    StoredArtifact kept = await(store.store(T, chunked(bytes), null, PLAIN, mat));
    Files.writeString(root.resolve("tmp").resolve("crashed.part"), "half an upload");
    Files.createDirectories(root.resolve("tmp").resolve("nested"));
    Files.writeString(root.resolve("tmp").resolve("nested").resolve("other.part"), "more");

    ArtifactStore restarted = new LocalArtifactStore(root, MAX_BYTES);

    try (Stream<Path> tmp = Files.list(root.resolve("tmp"))) {
      assertThat(tmp).isEmpty();
    }
    assertThat(restarted.find(T, kept.sha256())).contains(kept.path());
  }

  @Test
  void concurrentUploadsOfTheSameBytesCreateItOnce() throws Exception {
    byte[] bytes = randomBytes(20_000, 9);
    List<CompletionStage<StoredArtifact>> uploads = Stream.generate(() -> store.store(T, chunked(bytes), null, PLAIN, mat))
        .limit(8).toList();

    List<StoredArtifact> stored = uploads.stream().map(u -> {
      try {
        return await(u);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }).toList();

    assertThat(stored).filteredOn(StoredArtifact::newlyCreated).hasSize(1);
    assertThat(filesUnder("tenants")).hasSize(1);
    assertThat(filesUnder("tmp")).isEmpty();
  }

  @Test
  void aRootThatCannotBeCreatedFailsAtConstruction() throws Exception {
    Path file = Files.writeString(root.resolve("a-file"), "x");
    assertThatThrownBy(() -> new LocalArtifactStore(file, MAX_BYTES)).isInstanceOf(java.io.UncheckedIOException.class);
  }

  @Test
  void storedArtifactsAreReadOnlyAndTheStoreIsPrivate() throws Exception {
    StoredArtifact stored = await(store.store(T, chunked(randomBytes(5000, 11)), null, PLAIN, mat));
    assertThat(Files.getPosixFilePermissions(stored.path())).isEqualTo(PosixFilePermissions.fromString("r--------"));
    for (Path dir : List.of(root, root.resolve("tmp"), root.resolve("tenants"), stored.path().getParent())) {
      assertThat(Files.getPosixFilePermissions(dir)).as(dir.toString())
          .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void aStoreMadeBeforeModesIsTightenedAtStart() throws Exception {
    StoredArtifact stored = await(store.store(T, chunked(randomBytes(5000, 12)), null, PLAIN, mat));
    Files.setPosixFilePermissions(stored.path(), PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(stored.path().getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    new LocalArtifactStore(root, MAX_BYTES);
    assertThat(Files.getPosixFilePermissions(stored.path())).isEqualTo(PosixFilePermissions.fromString("r--------"));
    assertThat(Files.getPosixFilePermissions(stored.path().getParent()))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(root)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void unreferencedArtifactsAreDeletedOnlyAfterTheGracePeriod() throws Exception {
    StoredArtifact kept = await(store.store(T, chunked(randomBytes(3000, 21)), null, PLAIN, mat));
    StoredArtifact orphan = await(store.store(T, chunked(randomBytes(3000, 22)), null, PLAIN, mat));
    StoredArtifact inFlight = await(store.store(T, chunked(randomBytes(3000, 23)), null, PLAIN, mat));
    Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
    Files.setLastModifiedTime(kept.path(), FileTime.from(hourAgo.minusSeconds(60)));
    Files.setLastModifiedTime(orphan.path(), FileTime.from(hourAgo.minusSeconds(60)));

    // stored just now and not registered yet: within the grace period
    assertThat(store.deleteUnreferenced(Set.of(kept.address()), hourAgo)).containsExactly(orphan.address());
    assertThat(store.find(T, orphan.sha256())).isEmpty();
    assertThat(store.find(T, kept.sha256())).contains(kept.path());
    assertThat(store.find(T, inFlight.sha256())).contains(inFlight.path());

    // the same bytes stored again restart the grace period
    byte[] again = randomBytes(3000, 24);
    StoredArtifact old = await(store.store(T, chunked(again), null, PLAIN, mat));
    Files.setLastModifiedTime(old.path(), FileTime.from(hourAgo.minusSeconds(60)));
    StoredArtifact reuploaded = await(store.store(T, chunked(again), null, PLAIN, mat));
    assertThat(reuploaded.newlyCreated()).isFalse();
    assertThat(store.deleteUnreferenced(Set.of(kept.address()), hourAgo)).isEmpty();
    assertThat(store.find(T, reuploaded.sha256())).isPresent();
  }
}
