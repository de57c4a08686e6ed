package io.modelplane.registry.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.stream.Materializer;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Source;
import io.modelplane.common.TenantId;
import io.modelplane.registry.ArtifactAddress;
import akka.util.ByteString;
import io.modelplane.registry.ArtifactStore.StoredArtifact;
import io.modelplane.registry.ArtifactStoreException;
import io.modelplane.registry.ArtifactStoreUnavailableException;
import io.modelplane.registry.ArtifactTooLargeException;
import io.modelplane.registry.ChecksumMismatchException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The S3 store against a real S3-compatible server (S3Proxy) on 127.0.0.1. */
class S3ArtifactStoreTest {
  private static final TenantId T = TenantId.of("acme");
  /** The stores' own behaviour: stored as given (encryption is TenantArtifacts', tested there). */
  private static final Flow<ByteString, ByteString, ?> PLAIN = Flow.create();
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());
  private static final int PART = (int) S3ArtifactStore.MIN_PART_BYTES;
  private static final long MAX_BYTES = 32L * 1024 * 1024;
  private static final AtomicInteger buckets = new AtomicInteger();
  private static S3TestServer server;

  @TempDir
  Path staging;
  private String bucket;
  private S3ArtifactStore store;

  @BeforeAll
  static void startServer() {
    server = S3TestServer.start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    bucket = "artifacts-" + buckets.incrementAndGet();
    server.createBucket(bucket);
    store = server.store(bucket, staging, MAX_BYTES);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void storesFindsNothingLocallyAndDownloadsTheSameBytes() throws Exception {
    byte[] bytes = randomBytes(10_000, 1);
    StoredArtifact stored = await(store.store(T, chunked(bytes, 1000), null, PLAIN, mat));

    assertThat(stored.sha256()).isEqualTo(sha256(bytes));
    assertThat(stored.sizeBytes()).isEqualTo(bytes.length);
    assertThat(stored.newlyCreated()).isTrue();
    assertThat(Files.readAllBytes(stored.path())).isEqualTo(bytes); // the upload's local copy, for admission
    assertThat(keys()).containsExactly("artifacts/tenants/acme/" + stored.sha256());
    assertThat(store.find(T, stored.sha256())).isEmpty();

    Path downloaded = staging.resolve("downloaded");
    store.download(T, stored.sha256(), downloaded);
    assertThat(Files.readAllBytes(downloaded)).isEqualTo(bytes);

    store.release(stored, true);
    assertThat(stored.path()).doesNotExist();
    assertThat(keys()).containsExactly("artifacts/tenants/acme/" + stored.sha256());
  }

  @Test
  void aLargeUploadGoesUpInPartsWhileItArrivesAndAppearsOnlyWhenComplete() throws Exception {
    byte[] bytes = randomBytes(20 * 1024 * 1024 + 123, 2);
    int chunk = 64 * 1024;
    AtomicInteger pendingHalfWay = new AtomicInteger(-1);
    List<String> keysHalfWay = new java.util.ArrayList<>();
    Source<ByteString, ?> arriving = chunked(bytes, chunk).zipWithIndex().map(pair -> {
      if (pair.second() == 12 * 16) { // 12 MiB in: two parts must be up already, nothing at any address yet
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (pendingUploads() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        pendingHalfWay.set(pendingUploads());
        keysHalfWay.addAll(keys());
      }
      return pair.first();
    });

    StoredArtifact stored = await(store.store(T, arriving, null, PLAIN, mat));

    assertThat(pendingHalfWay.get()).isEqualTo(1);
    assertThat(keysHalfWay).isEmpty();
    assertThat(stored.sha256()).isEqualTo(sha256(bytes));
    assertThat(keys()).containsExactly("artifacts/tenants/acme/" + stored.sha256()); // the temp object is gone
    assertThat(pendingUploads()).isZero();
    Path downloaded = staging.resolve("big");
    store.download(T, stored.sha256(), downloaded);
    assertThat(sha256(Files.readAllBytes(downloaded))).isEqualTo(stored.sha256());
  }

  @Test
  void aLargeUploadWithItsHashKnownGoesStraightToItsAddress() throws Exception {
    byte[] bytes = randomBytes(11 * 1024 * 1024, 3);
    StoredArtifact stored = await(store.store(T, chunked(bytes, 64 * 1024), sha256(bytes), PLAIN, mat));

    assertThat(server.client().headObject(b -> b.bucket(bucket).key("artifacts/tenants/acme/" + stored.sha256())).eTag())
        .endsWith("-3\"");
    assertThat(keys()).containsExactly("artifacts/tenants/acme/" + stored.sha256());
    assertThat(pendingUploads()).isZero();
  }

  @Test
  void tooLargeFailsAndLeavesNoObjectAndNoPendingUpload() throws Exception {
    S3ArtifactStore small = new S3ArtifactStore(server.client(), bucket, "artifacts/", staging, 12L * 1024 * 1024, PART);
    AtomicInteger pulled = new AtomicInteger();
    byte[] chunk = randomBytes(64 * 1024, 4);
    Source<ByteString, ?> endless = Source.repeat(ByteString.fromArray(chunk)).map(c -> {
      pulled.incrementAndGet();
      return c;
    });

    assertThat(failureOf(small.store(T, endless, null, PLAIN, mat))).isInstanceOf(ArtifactTooLargeException.class)
        .hasMessageContaining(String.valueOf(12L * 1024 * 1024));
    assertThat((long) pulled.get() * chunk.length).isLessThan(13L * 1024 * 1024); // stopped reading at the limit
    assertNothingLeft();
  }

  @Test
  void aChecksumMismatchFailsAndLeavesNothing() throws Exception {
    byte[] bytes = randomBytes(7 * 1024 * 1024, 5);
    String wrong = sha256(new byte[] {1});

    Throwable failure = failureOf(store.store(T, chunked(bytes, 64 * 1024), wrong, PLAIN, mat));

    assertThat(failure).isInstanceOf(ChecksumMismatchException.class);
    assertThat(((ChecksumMismatchException) failure).actualSha256()).isEqualTo(sha256(bytes));
    assertNothingLeft();
  }

  @Test
  void anUploadCutHalfWayFailsWithItsErrorAndLeavesNoObjectAndNoPendingUpload() throws Exception {
    byte[] bytes = randomBytes(64 * 1024, 6);
    IllegalStateException cut = new IllegalStateException("connection reset by peer");
    AtomicInteger sent = new AtomicInteger();
    // 12 MiB arrive (two parts go up), then the client goes away
    Source<ByteString, ?> cutShort = Source.repeat(ByteString.fromArray(bytes)).map(c -> {
      if (sent.incrementAndGet() > 12 * 16) {
        throw cut;
      }
      return c;
    });

    assertThat(failureOf(store.store(T, cutShort, null, PLAIN, mat))).isSameAs(cut);
    assertNothingLeft();
  }

  @Test
  void anEmptyArtifactIsRefused() throws Exception {
    assertThat(failureOf(store.store(T, Source.empty(), null, PLAIN, mat))).isInstanceOf(ArtifactStoreException.class)
        .hasMessageContaining("empty");
    assertNothingLeft();
  }

  @Test
  void theSameBytesTwiceAreOneObjectAndARefusedSecondUploadKeepsIt() throws Exception {
    byte[] bytes = randomBytes(6 * 1024 * 1024, 7);
    StoredArtifact first = await(store.store(T, chunked(bytes, 64 * 1024), null, PLAIN, mat));
    store.release(first, true);
    StoredArtifact second = await(store.store(T, chunked(bytes, 64 * 1024), null, PLAIN, mat));

    assertThat(second.newlyCreated()).isFalse();
    assertThat(second.sha256()).isEqualTo(first.sha256());
    store.release(second, false); // the second upload's version was refused: the first one's stays
    assertThat(keys()).containsExactly("artifacts/tenants/acme/" + first.sha256());
    assertThat(pendingUploads()).isZero();
  }

  @Test
  void aRefusedUploadRemovesTheObjectItCreated() throws Exception {
    StoredArtifact stored = await(store.store(T, chunked(randomBytes(5000, 8), 1000), null, PLAIN, mat));

    store.release(stored, false);

    assertThat(keys()).isEmpty();
    assertThat(stored.path()).doesNotExist();
  }

  @Test
  void downloadingWhatIsNotThereSaysSo() {
    String absent = "ab".repeat(32);
    assertThatThrownBy(() -> store.download(T, absent, staging.resolve("x")))
        .isInstanceOf(NoSuchFileException.class).hasMessageContaining(absent).hasMessageContaining(bucket);
  }

  @Test
  void theSweepDeletesUnreferencedObjectsOnlyAfterTheGracePeriodAndCleansLeftovers() throws Exception {
    StoredArtifact kept = await(store.store(T, chunked(randomBytes(3000, 9), 1000), null, PLAIN, mat));
    StoredArtifact orphan = await(store.store(T, chunked(randomBytes(3000, 10), 1000), null, PLAIN, mat));
    store.release(kept, true);
    store.release(orphan, true);
    // what a crash mid-upload leaves: a temp object and a multipart upload nobody completes
    server.client().putObject(b -> b.bucket(bucket).key("artifacts/tmp/crashed"),
        software.amazon.awssdk.core.sync.RequestBody.fromString("half"));
    server.client().createMultipartUpload(b -> b.bucket(bucket).key("artifacts/tmp/also-crashed"));

    assertThat(store.deleteUnreferenced(Set.of(kept.address()), Instant.now().minusSeconds(3600))).isEmpty();
    assertThat(keys()).hasSize(3);

    List<ArtifactAddress> deleted = store.deleteUnreferenced(Set.of(kept.address()), Instant.now().plusSeconds(5));

    assertThat(deleted).containsExactly(orphan.address());
    assertThat(keys()).containsExactly("artifacts/tenants/acme/" + kept.sha256());
    assertThat(pendingUploads()).isZero();
  }

  @Test
  void anUnknownBucketFailsTheUploadAndLeavesNoLocalCopy() throws Exception {
    try (S3ArtifactStore nowhere = server.store("no-such-bucket", staging, MAX_BYTES)) {
      assertThat(failureOf(nowhere.store(T, chunked(randomBytes(100, 11), 10), null, PLAIN, mat)))
          .isInstanceOf(ArtifactStoreUnavailableException.class).hasMessageContaining("no-such-bucket");
    }
    try (Stream<Path> left = Files.list(staging)) {
      assertThat(left).isEmpty();
    }
  }

  private void assertNothingLeft() throws Exception {
    assertThat(keys()).isEmpty();
    assertThat(pendingUploads()).isZero();
    try (Stream<Path> left = Files.list(staging)) {
      assertThat(left).isEmpty();
    }
  }

  private List<String> keys() {
    return server.client().listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(S3Object::key)
        .toList();
  }

  private int pendingUploads() {
    return server.client().listMultipartUploads(b -> b.bucket(bucket)).uploads().size();
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static Source<ByteString, ?> chunked(byte[] bytes, int chunk) {
    return Source.range(0, (bytes.length - 1) / chunk)
        .map(i -> ByteString.fromArray(bytes, i * chunk, Math.min(chunk, bytes.length - i * chunk)));
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static Throwable failureOf(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("the store neither completed nor failed", e);
    }
    throw new AssertionError("the store did not fail");
  }
}
