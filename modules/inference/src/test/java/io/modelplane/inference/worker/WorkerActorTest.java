package io.modelplane.inference.worker;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.receptionist.Receptionist;
import ai.djl.Device;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.ModelKey;
import io.modelplane.common.VersionKey;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.runtime.ModelLoader;
import io.modelplane.inference.runtime.ModelResidency;
import io.modelplane.inference.runtime.Tensor;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker actor with a real residency and the real digits model. */
class WorkerActorTest {
  static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString("akka.loglevel = WARNING"));
  static final ExecutorService loads = Executors.newFixedThreadPool(2);
  static final List<TensorSpec> IN = List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L)));
  static final List<TensorSpec> OUT = List.of(new TensorSpec("logits", "FP32", List.of(-1L, 10L)));

  @TempDir static Path dir;
  static Path digits;
  static ActorRef<WorkerActor.Command> worker;
  static ModelResidency residency;
  /** files by sha256, as a local artifact store keeps them on this node's disk */
  static final java.util.Map<String, Path> stored = new java.util.concurrent.ConcurrentHashMap<>();
  static ArtifactCache artifacts;

  @BeforeAll
  static void start() throws Exception {
    digits = dir.resolve("digits-artifact");
    try (InputStream in = WorkerActorTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits.pt")) {
      Files.copy(in, digits);
    }
    artifacts = new ArtifactCache(dir.resolve("cache"), 1L << 30, new ArtifactCache.Origin() {
      @Override
      public java.util.Optional<Path> localFile(io.modelplane.common.TenantId tenant, String sha256) {
        return java.util.Optional.ofNullable(stored.get(sha256));
      }

      @Override
      public void download(io.modelplane.common.TenantId tenant, String sha256, Path target) throws java.io.IOException {
        throw new java.nio.file.NoSuchFileException("artifact " + sha256 + " is not stored");
      }
    });
    residency = new ModelResidency(10L * 1024 * 1024, Device.cpu(), new ModelLoader());
    worker = testKit.spawn(WorkerActor.create("test-worker", residency, artifacts, loads));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    loads.shutdownNow();
  }

  static final io.modelplane.common.crypto.ArtifactKey DATA_KEY =
      new io.modelplane.common.crypto.ArtifactKey("acme/1", new byte[32]);

  /** The artifact stored as the store keeps it: encrypted under the tenant's data key. */
  static VersionToLoad version(VersionKey key, Path artifact) throws Exception {
    Path encrypted = artifact.resolveSibling(artifact.getFileName() + ".enc");
    try (InputStream in = Files.newInputStream(artifact);
         java.io.OutputStream out = Files.newOutputStream(encrypted)) {
      io.modelplane.common.crypto.ArtifactCipher.encrypt(in, out, DATA_KEY);
    }
    stored.put(sha256(artifact), encrypted);
    return new VersionToLoad(key, "torchscript", IN, OUT, Files.size(artifact), sha256(artifact), DATA_KEY, null);
  }

  static VersionKey key(String model, int version) {
    return new VersionKey(ModelKey.of("acme", model), version);
  }

  static String sha256(Path file) throws Exception {
    return java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  static Tensor pixels(int rows) {
    ByteBuffer buffer = ByteBuffer.allocate(rows * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
    Random random = new Random(rows);
    for (int i = 0; i < rows * 64; i++) {
      buffer.putFloat(random.nextFloat());
    }
    return new Tensor("input", "FP32", new long[] {rows, 64}, buffer.array());
  }

  WorkerActor.LoadResult load(VersionToLoad version) {
    TestProbe<WorkerActor.LoadResult> probe = testKit.createTestProbe();
    worker.tell(new WorkerActor.Load(version, new BatchSettings(16, 1, 64), probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(60));
  }

  WorkerActor.InferResult infer(VersionKey key, Tensor input) {
    TestProbe<WorkerActor.InferResult> probe = testKit.createTestProbe();
    worker.tell(new WorkerActor.Infer(key, List.of(input), probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(30));
  }

  WorkerActor.WorkerStatus status() {
    TestProbe<WorkerActor.WorkerStatus> probe = testKit.createTestProbe();
    worker.tell(new WorkerActor.GetStatus(probe.getRef()));
    return probe.receiveMessage();
  }

  @Test
  void registersWithTheReceptionist() {
    TestProbe<Receptionist.Listing> probe = testKit.createTestProbe();
    // registration is asynchronous: a subscription sees every listing until the worker is in one
    testKit.system().receptionist().tell(Receptionist.subscribe(WorkerActor.SERVICE_KEY, probe.getRef()));
    List<Receptionist.Listing> listings = probe.fishForMessage(Duration.ofSeconds(5),
        listing -> listing.getServiceInstances(WorkerActor.SERVICE_KEY).contains(worker)
            ? FishingOutcomes.complete()
            : FishingOutcomes.continueAndIgnore());
    assertThat(listings.get(listings.size() - 1).getServiceInstances(WorkerActor.SERVICE_KEY)).contains(worker);
  }

  @Test
  void loadsServesReportsAndUnloads() throws Exception {
    WorkerActor.LoadResult loaded = load(version(key("digits", 1), digits));
    assertThat(loaded.loaded()).as(String.valueOf(loaded.error())).isTrue();
    assertThat(loaded.workerId()).isEqualTo("test-worker");

    WorkerActor.InferResult result = infer(key("digits", 1), pixels(3));
    assertThat(result).isInstanceOf(WorkerActor.Inferred.class);
    Tensor logits = ((WorkerActor.Inferred) result).outputs().get(0);
    assertThat(logits.name()).isEqualTo("logits");
    assertThat(logits.shape()).containsExactly(3, 10);

    WorkerActor.WorkerStatus status = status();
    assertThat(status.budgetBytes()).isEqualTo(10L * 1024 * 1024);
    assertThat(status.usedBytes())
        .isGreaterThanOrEqualTo(Files.size(digits))
        .isEqualTo(status.models().stream().mapToLong(WorkerActor.ModelStatus::bytes).sum());
    assertThat(status.models()).extracting(WorkerActor.ModelStatus::version).contains(key("digits", 1));

    worker.tell(new WorkerActor.Unload(key("digits", 1)));
    TestProbe<Object> waiter = testKit.createTestProbe();
    waiter.awaitAssert(Duration.ofSeconds(10), () -> {
      assertThat(status().models()).extracting(WorkerActor.ModelStatus::version).doesNotContain(key("digits", 1));
      return null;
    });
    WorkerActor.InferResult after = infer(key("digits", 1), pixels(1));
    assertThat(after).isInstanceOf(WorkerActor.InferFailed.class);
    assertThat(((WorkerActor.InferFailed) after).reason()).isEqualTo(WorkerActor.Reason.MODEL_NOT_RESIDENT);
    assertThat(((WorkerActor.InferFailed) after).retryable()).isTrue();
  }

  @Test
  void aTracedRequestsQueueWaitAndForwardPassJoinTheCallersTrace() throws Exception {
    var spans = io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
    var sdk = io.opentelemetry.sdk.OpenTelemetrySdk.builder()
        .setTracerProvider(io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
            .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(spans)).build())
        .build();
    io.opentelemetry.api.GlobalOpenTelemetry.resetForTest();
    io.opentelemetry.api.GlobalOpenTelemetry.set(sdk);
    try {
      assertThat(load(version(key("traced", 1), digits)).loaded()).isTrue();
      String traceId = "0af7651916cd43dd8448eb211c80319c";
      String parent = "b7ad6b7169203331";
      TestProbe<WorkerActor.InferResult> probe = testKit.createTestProbe();
      worker.tell(new WorkerActor.Infer(key("traced", 1), List.of(pixels(2)), 10_000, probe.getRef(),
          java.util.Map.of("traceparent", "00-" + traceId + "-" + parent + "-01")));
      assertThat(probe.receiveMessage(Duration.ofSeconds(30))).isInstanceOf(WorkerActor.Inferred.class);
      var ended = spans.getFinishedSpanItems();
      assertThat(ended).extracting(s -> s.getName()).containsExactlyInAnyOrder("queue wait", "batch forward");
      assertThat(ended).allSatisfy(s -> {
        assertThat(s.getTraceId()).isEqualTo(traceId);
        assertThat(s.getParentSpanId()).isEqualTo(parent);
      });
      assertThat(ended.stream().filter(s -> s.getName().equals("batch forward")).findFirst().orElseThrow()
          .getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey("modelplane.batch.size")))
          .isEqualTo(1L);
      // an untraced request makes no spans
      spans.reset();
      assertThat(infer(key("traced", 1), pixels(1))).isInstanceOf(WorkerActor.Inferred.class);
      assertThat(spans.getFinishedSpanItems()).isEmpty();
    } finally {
      sdk.close();
      io.opentelemetry.api.GlobalOpenTelemetry.resetForTest();
    }
  }

  @Test
  void aLoadRightAfterAnUnloadOfTheSameVersionLeavesItResident() throws Exception {
    // its own worker, on threads that start the next task late when told: the unload then runs after the load
    java.util.concurrent.atomic.AtomicBoolean delayNext = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.Executor lateStarts = task -> new Thread(() -> {
      if (delayNext.getAndSet(false)) {
        try {
          Thread.sleep(300);
        } catch (InterruptedException e) {
          return;
        }
      }
      task.run();
    }).start();
    ActorRef<WorkerActor.Command> own = testKit.spawn(WorkerActor.create("evicting-worker",
        new ModelResidency(10L * 1024 * 1024, Device.cpu(), new ModelLoader()), artifacts, lateStarts));
    VersionToLoad evicted = version(key("evicted", 1), digits);
    TestProbe<WorkerActor.LoadResult> loads = testKit.createTestProbe();
    own.tell(new WorkerActor.Load(evicted, new BatchSettings(16, 1, 64), loads.getRef()));
    assertThat(loads.receiveMessage(Duration.ofSeconds(60)).loaded()).isTrue();

    // an eviction placed back on the same worker: both messages at once
    delayNext.set(true);
    own.tell(new WorkerActor.Unload(evicted.key()));
    own.tell(new WorkerActor.Load(evicted, new BatchSettings(16, 1, 64), loads.getRef()));
    assertThat(loads.receiveMessage(Duration.ofSeconds(60)).loaded()).isTrue();
    Thread.sleep(500); // past the late unload: had it run after the load, the version would be gone now
    TestProbe<WorkerActor.InferResult> results = testKit.createTestProbe();
    own.tell(new WorkerActor.Infer(evicted.key(), List.of(pixels(2)), results.getRef()));
    assertThat(results.receiveMessage(Duration.ofSeconds(30))).isInstanceOf(WorkerActor.Inferred.class);

    TestProbe<WorkerActor.WorkerStatus> statuses = testKit.createTestProbe();
    own.tell(new WorkerActor.GetStatus(statuses.getRef()));
    WorkerActor.ModelStatus resident = statuses.receiveMessage().models().get(0);
    assertThat(resident.lastUsedAt()).isAfter(java.time.Instant.now().minusSeconds(60));
    assertThat(resident.batches()).isEqualTo(1); // since its last load
    assertThat(resident.lastBatchSize()).isEqualTo(1);
    assertThat(resident.recentBatchSize()).isEqualTo(1.0);
    testKit.stop(own);
  }

  @Test
  void aCorruptArtifactIsReportedAndTheWorkerStaysHealthy() throws Exception {
    Path corrupt = dir.resolve("corrupt");
    byte[] junk = new byte[4096];
    new Random(1).nextBytes(junk);
    Files.write(corrupt, junk);
    long failedBefore = residency.failedLoads();
    WorkerActor.LoadResult failed = load(version(key("broken", 1), corrupt));
    assertThat(failed.loaded()).isFalse();
    assertThat(failed.error()).isNotBlank();

    WorkerActor.LoadResult tooBig = load(new VersionToLoad(key("huge", 1), "torchscript", IN, OUT,
        100L * 1024 * 1024, version(key("huge", 1), digits).sha256(), DATA_KEY, null));
    assertThat(tooBig.loaded()).isFalse();
    assertThat(residency.failedLoads()).as("both failures counted for the metrics").isEqualTo(failedBefore + 2);

    assertThat(load(version(key("digits", 2), digits)).loaded()).isTrue();
    assertThat(infer(key("digits", 2), pixels(1))).isInstanceOf(WorkerActor.Inferred.class);
  }

  @Test
  void anArtifactChangedAfterRegistrationIsNeverLoaded() throws Exception {
    Path artifact = dir.resolve("tampered");
    Files.copy(digits, artifact);
    VersionToLoad registered = version(key("tampered", 1), artifact);
    // the stored (encrypted) file overwritten in place, same size: one bit of a weight's segment flips
    Path stored = artifact.resolveSibling("tampered.enc");
    byte[] bytes = Files.readAllBytes(stored);
    bytes[bytes.length / 2] ^= 0x40;
    Files.write(stored, bytes);

    WorkerActor.LoadResult refused = load(registered);
    assertThat(refused.loaded()).isFalse();
    assertThat(refused.error()).contains("changed").contains(registered.sha256());
    assertThat(infer(key("tampered", 1), pixels(1))).isInstanceOf(WorkerActor.InferFailed.class);
    assertThat(status().models()).extracting(WorkerActor.ModelStatus::version).doesNotContain(key("tampered", 1));
  }

  @Test
  void aWrongOrMissingDataKeyFailsTheLoadWithTheReasonAndNoPlaintextStays() throws Exception {
    VersionToLoad registered = version(key("keyed", 1), digits);
    io.modelplane.common.crypto.ArtifactKey wrong = new io.modelplane.common.crypto.ArtifactKey("acme/1", filled(7));
    VersionToLoad withWrongKey = new VersionToLoad(registered.key(), registered.format(), IN, OUT,
        registered.sizeBytes(), registered.sha256(), wrong, null);

    WorkerActor.LoadResult refused = load(withWrongKey);
    assertThat(refused.loaded()).isFalse();
    assertThat(refused.error()).contains("data key").doesNotContain(java.util.HexFormat.of().formatHex(filled(7)));

    VersionToLoad noKey = new VersionToLoad(key("keyed", 2), registered.format(), IN, OUT, registered.sizeBytes(),
        registered.sha256(), null, "the data key of tenant acme is not available: KEK k1 is not configured");
    assertThat(load(noKey).error()).contains("KEK k1 is not configured");

    assertThat(load(registered).loaded()).isTrue();
    try (var files = Files.list(dir.resolve("cache"))) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith("plain-"));
    }
  }

  private static byte[] filled(int value) {
    byte[] bytes = new byte[32];
    java.util.Arrays.fill(bytes, (byte) value);
    return bytes;
  }
}
