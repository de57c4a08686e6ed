package io.modelplane.bench;

import ai.djl.Device;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.common.crypto.ArtifactCipher;
import io.modelplane.common.crypto.ArtifactKey;
import io.modelplane.inference.runtime.LoadedModel;
import io.modelplane.inference.runtime.ModelLoader;
import io.modelplane.inference.runtime.ModelSpec;
import io.modelplane.inference.worker.ArtifactCache;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The load-time cost of encryption at rest: the same artifact loaded by the worker's path from a
 * plaintext file (as before encryption) and from its encrypted form (decrypt into the cache, verify
 * the SHA-256, load), alternated in one process. Usage: {@code ArtifactLoadBenchmark <model.pt> [reps]}.
 */
public final class ArtifactLoadBenchmark {
  private ArtifactLoadBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path plain = Path.of(args[0]);
    int reps = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    Path work = Files.createTempDirectory("modelplane-load-bench");
    byte[] keyBytes = new byte[32];
    new SecureRandom().nextBytes(keyBytes);
    ArtifactKey key = new ArtifactKey("bench/1", keyBytes);
    Path encrypted = work.resolve("encrypted");
    try (InputStream in = Files.newInputStream(plain); OutputStream out = Files.newOutputStream(encrypted)) {
      ArtifactCipher.encrypt(in, out, key);
    }
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(plain)));
    TenantId tenant = TenantId.of("bench");
    ArtifactCache cache = new ArtifactCache(work.resolve("cache"), 1L << 32, new ArtifactCache.Origin() {
      @Override
      public Optional<Path> localFile(TenantId t, String sha) {
        return Optional.of(encrypted);
      }

      @Override
      public void download(TenantId t, String sha, Path target) throws NoSuchFileException {
        throw new NoSuchFileException(sha);
      }
    });
    ModelLoader loader = new ModelLoader();
    List<TensorSpec> io = List.of(new TensorSpec("input", "FP32", List.of(-1L, 3L, 224L, 224L)));
    List<TensorSpec> out = List.of(new TensorSpec("logits", "FP32", List.of(-1L, 1000L)));
    VersionKey version = new VersionKey(ModelKey.of("bench", "model"), 1);
    List<Long> plainMs = new ArrayList<>();
    List<Long> encryptedMs = new ArrayList<>();
    for (int i = -1; i < reps; i++) { // the first round warms up the engine and the page cache
      long t0 = System.nanoTime();
      try (LoadedModel m = loader.load(new ModelSpec(version, plain, "torchscript", io, out, 1L << 30, sha256),
          Device.cpu())) {
        m.getClass();
      }
      long t1 = System.nanoTime();
      try (ArtifactCache.Lease lease = cache.acquire(tenant, sha256, key);
           LoadedModel m = loader.load(new ModelSpec(version, lease.path(), "torchscript", io, out,
               1L << 30, sha256), Device.cpu())) {
        m.getClass();
      }
      long t2 = System.nanoTime();
      if (i >= 0) {
        plainMs.add((t1 - t0) / 1_000_000);
        encryptedMs.add((t2 - t1) / 1_000_000);
      }
    }
    System.out.printf("artifact %d bytes, %d repetitions%nplain ms: %s%nencrypted ms: %s%n", Files.size(plain), reps,
        plainMs, encryptedMs);
    long p = median(plainMs);
    long e = median(encryptedMs);
    System.out.printf("| median load, plaintext file | %d ms |%n| median load, encrypted (decrypt + verify + load) | %d ms |"
        + "%n| cost | +%d ms (+%.0f%%) |%n", p, e, e - p, 100.0 * (e - p) / p);
    try (var files = Files.walk(work)) { // the encrypted copy and the cache: one artifact's size twice
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
