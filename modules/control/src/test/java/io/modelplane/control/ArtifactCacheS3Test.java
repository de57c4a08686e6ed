package io.modelplane.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.stream.Materializer;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.modelplane.common.TenantId;
import io.modelplane.common.crypto.ArtifactKey;
import io.modelplane.inference.runtime.ModelLoadException;
import io.modelplane.inference.worker.ArtifactCache;
import io.modelplane.registry.ArtifactStore.StoredArtifact;
import io.modelplane.registry.s3.S3ArtifactStore;
import io.modelplane.registry.crypto.ArtifactStreams;
import io.modelplane.registry.s3.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker's artifact cache fed by the S3 store, against a real S3-compatible server (S3Proxy). */
class ArtifactCacheS3Test {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());
  private static final String BUCKET = "models";
  private static final TenantId T = TenantId.of("acme");
  private static final ArtifactKey KEY = new ArtifactKey("acme/1", new byte[32]);
  private static final java.util.Map<String, byte[]> plaintexts = new java.util.concurrent.ConcurrentHashMap<>();
  private static S3TestServer server;

  @TempDir
  Path dir;
  private S3ArtifactStore store;

  @BeforeAll
  static void startServer() {
    server = S3TestServer.start();
    server.createBucket(BUCKET);
  }

  @AfterAll
  static void stopServer() {
    server.close();
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void openStore() {
    store = server.store(BUCKET, dir.resolve("uploads"), 1L << 30);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void downloadsOnceVerifiedAndKeepsItPrivate() throws Exception {
    StoredArtifact stored = upload(100_000, 1);
    ArtifactCache cache = new ArtifactCache(dir.resolve("cache"), 1L << 20, new ArtifactOrigin(store));

    Path first;
    try (ArtifactCache.Lease lease = cache.acquire(T, stored.sha256(), KEY)) {
      first = lease.path();
      assertThat(Files.readAllBytes(first)).isEqualTo(plaintexts.get(stored.sha256()));
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first))).isEqualTo("rw-------");
    }
    assertThat(first).doesNotExist(); // the plaintext lasts as long as the lease
    Path cached = dir.resolve("cache").resolve("acme." + stored.sha256());
    assertThat(Files.readAllBytes(cached)).isEqualTo(Files.readAllBytes(stored.path())); // the ciphertext
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cached))).isEqualTo("r--------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("cache")))).isEqualTo("rwx------");
    assertThat(cache.usedBytes()).isEqualTo(Files.size(stored.path()));

    // gone from the bucket: the cached copy still serves, without another download
    server.client().deleteObject(b -> b.bucket(BUCKET).key("artifacts/tenants/acme/" + stored.sha256()));
    try (ArtifactCache.Lease again = cache.acquire(T, stored.sha256(), KEY)) {
      assertThat(Files.readAllBytes(again.path())).isEqualTo(plaintexts.get(stored.sha256()));
    }
    // a restarted node finds what it had
    assertThat(new ArtifactCache(dir.resolve("cache"), 1L << 20, new ArtifactOrigin(store)).contains(T, stored.sha256()))
        .isTrue();
  }

  @Test
  void anObjectDamagedBehindTheStoresBackFailsTheLoadAndLeavesNothing() throws Exception {
    StoredArtifact stored = upload(50_000, 2);
    Path object = server.dataDir().resolve(BUCKET).resolve("artifacts/tenants/acme").resolve(stored.sha256());
    byte[] bytes = Files.readAllBytes(object);
    bytes[1000] ^= 1;
    Files.write(object, bytes);
    ArtifactCache cache = new ArtifactCache(dir.resolve("cache"), 1L << 20, new ArtifactOrigin(store));

    assertThatThrownBy(() -> cache.acquire(T, stored.sha256(), KEY)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(stored.sha256()).hasMessageContaining("changed");
    assertThat(cache.contains(T, stored.sha256())).isFalse();
    assertThat(cache.usedBytes()).isZero();
    assertEmpty(dir.resolve("cache"));
  }

  @Test
  void aMissingObjectSaysSo() {
    ArtifactCache cache = new ArtifactCache(dir.resolve("cache"), 1L << 20, new ArtifactOrigin(store));
    String absent = "cd".repeat(32);

    assertThatThrownBy(() -> cache.acquire(T, absent, KEY)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(absent).hasMessageContaining("missing from the artifact store");
  }

  @Test
  void aStoppedServerFailsTheDownloadWithTheReasonAndLeavesNothing() throws Exception {
    try (S3TestServer failing = S3TestServer.start();
        S3ArtifactStore failingStore = failing.store(BUCKET, dir.resolve("failing-uploads"), 1L << 30)) {
      failing.createBucket(BUCKET);
      StoredArtifact stored = await(failingStore.store(T, Source.single(ByteString.fromArray(randomBytes(20_000, 3))),
          null, ArtifactStreams.encrypt(KEY), mat));
      ArtifactCache cache = new ArtifactCache(dir.resolve("cache"), 1L << 20, new ArtifactOrigin(failingStore));
      failing.stop();

      assertThatThrownBy(() -> cache.acquire(T, stored.sha256(), KEY)).isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("could not download artifact " + stored.sha256());
      assertThat(cache.usedBytes()).isZero();
      assertEmpty(dir.resolve("cache"));
    }
  }

  @Test
  void leastRecentlyUsedArtifactsGoPastTheBoundButNotWhileInUse() throws Exception {
    StoredArtifact a = upload(40_000, 4);
    StoredArtifact b = upload(40_000, 5);
    StoredArtifact c = upload(40_000, 6);
    ArtifactCache cache = new ArtifactCache(dir.resolve("cache"), 100_000, new ArtifactOrigin(store));

    cache.acquire(T, a.sha256(), KEY).close();
    ArtifactCache.Lease heldB = cache.acquire(T, b.sha256(), KEY);
    cache.acquire(T, a.sha256(), KEY).close(); // a is now more recently used than b
    try (ArtifactCache.Lease lease = cache.acquire(T, c.sha256(), KEY)) {
      // b is the least recently used, but a load is reading it: a goes instead
      assertThat(cache.contains(T, b.sha256())).isTrue();
      assertThat(cache.contains(T, a.sha256())).isFalse();
      assertThat(cache.usedBytes()).isEqualTo(Files.size(a.path()) + Files.size(b.path()));
    }
    heldB.close(); // b's use ends after c's did
    cache.acquire(T, a.sha256(), KEY).close(); // downloaded again; c, now the least recently used, makes room
    assertThat(cache.contains(T, c.sha256())).isFalse();
    assertThat(cache.contains(T, b.sha256())).isTrue();
    assertThat(cache.usedBytes()).isEqualTo(Files.size(a.path()) + Files.size(b.path()));
    try (Stream<Path> files = Files.list(dir.resolve("cache"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("acme." + a.sha256(), "acme." + b.sha256());
    }
  }

  @Test
  void anArtifactLargerThanTheWholeCacheIsRefusedWithTheSetting() throws Exception {
    StoredArtifact big = upload(60_000, 7);
    ArtifactCache cache = new ArtifactCache(dir.resolve("cache"), 50_000, new ArtifactOrigin(store));

    assertThatThrownBy(() -> cache.acquire(T, big.sha256(), KEY)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("cache-bytes");
    assertEmpty(dir.resolve("cache"));
  }

  private StoredArtifact upload(int size, long seed) throws Exception {
    byte[] bytes = randomBytes(size, seed);
    StoredArtifact stored = await(store.store(T, Source.single(ByteString.fromArray(bytes)), null,
        ArtifactStreams.encrypt(KEY), mat));
    plaintexts.put(stored.sha256(), bytes);
    return stored;
  }

  private static void assertEmpty(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
