package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a node keeps on disk cannot be turned against a tenant: an artifact changed after upload is
 * never served (checked against its sha256 at every load), the data directory is owner-only, a
 * model's size once loaded is what its quota is checked against (not its compressed upload), and
 * artifacts no version refers to are swept.
 */
class ArtifactIntegrityTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> ARTIFACT = PosixFilePermissions.fromString("r--------");
  static final Map<String, Object> ONE = Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64),
      "datatype", "FP32", "data", java.util.Collections.nCopies(64, 1.0))));

  @Test
  void anArtifactOverwrittenInPlaceIsNeverServedAfterARestart(@TempDir Path dataDir) throws Exception {
    Main.Node node = TestNodes.start(dataDir, Map.of());
    String key;
    String sha256;
    JsonNode original;
    try {
      ApiClient api = new ApiClient(node.baseUrl());
      key = TestNodes.tenantWithDigits(api, "victim", null, 1);
      ApiClient.Reply predicted = api.post("/v2/models/digits/infer", key, ONE);
      assertThat(predicted.status()).as(predicted.toString()).isEqualTo(200);
      original = predicted.json().get("outputs").get(0).get("data");
      sha256 = api.get("/api/v1/tenants/victim/models/digits/versions/1", key).json().get("sha256").asText();
    } finally {
      node.stop();
    }

    Path artifact = dataDir.resolve("artifacts/tenants/victim").resolve(sha256.substring(0, 2)).resolve(sha256);
    assertModes(dataDir, artifact);
    // stored encrypted: the plaintext archive is nowhere in the data directory
    assertThat(Files.readAllBytes(artifact)).startsWith("MPAE".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    // what a tenant's model did with a shared file mapping: same size, one bit of the stored file changed
    long size = Files.size(artifact);
    Files.setPosixFilePermissions(artifact, FILE);
    byte[] stored = Files.readAllBytes(artifact);
    stored[stored.length / 2] ^= 0x40;
    Files.write(artifact, stored);
    assertThat(Files.size(artifact)).isEqualTo(size);

    Main.Node restarted = TestNodes.start(dataDir, Map.of());
    try {
      ApiClient api = new ApiClient(restarted.baseUrl());
      TestNodes.eventually(Duration.ofSeconds(60), () -> api.get("/api/v1/tenants/victim/models/digits", key).json()
          .get("replicas").findValuesAsText("state").contains("FAILED"), "the replica failed");
      JsonNode replica = api.get("/api/v1/tenants/victim/models/digits", key).json().get("replicas").get(0);
      assertThat(replica.get("reason").asText()).contains("changed").contains(sha256);
      // still registered with its sha256: nothing pretends the file is what was uploaded
      assertThat(api.get("/api/v1/tenants/victim/models/digits/versions/1", key).json().get("sha256").asText())
          .isEqualTo(sha256);
      ApiClient.Reply predicted = api.post("/v2/models/digits/infer", key, ONE);
      assertThat(predicted.status()).as(predicted.toString()).isEqualTo(503);
      assertThat(predicted.code()).isEqualTo("model_failed");
      assertThat(predicted.raw().body()).doesNotContain("outputs");
      assertThat(original).isNotNull();
    } finally {
      restarted.stop();
    }
  }

  @Test
  void aCompressedModelIsAdmittedByItsSizeOnceLoaded(@TempDir Path dataDir) throws Exception {
    byte[] bomb;
    try (InputStream in = ArtifactIntegrityTest.class.getResourceAsStream("/models/zero-bomb.zip")) {
      bomb = in.readAllBytes();
    }
    long tensors = 64L << 20; // its zero-filled parameter: what the engine holds once loaded
    assertThat(bomb.length).isLessThan(100_000);
    Main.Node node = TestNodes.start(dataDir, Map.of());
    try {
      ApiClient api = new ApiClient(node.baseUrl());
      long quota = 5L << 20;
      assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "packed", "displayName", "Packed",
          "quota", Map.of("maxResidentBytes", quota))).status()).isEqualTo(201);
      String key = api.post("/api/v1/tenants/packed/api-keys", OP, Map.of("name", "k", "role", "developer"))
          .json().get("key").asText();
      ApiClient.Reply uploaded = api.upload("packed", "bomb", key, ApiClient.manifest(), bomb);
      assertThat(uploaded.status()).as(uploaded.toString()).isEqualTo(201);
      assertThat(uploaded.json().get("sizeBytes").asLong()).isEqualTo(bomb.length);
      assertThat(api.put("/api/v1/tenants/packed/models/bomb/deployment", key, Map.of("traffic", Map.of("1", 100)))
          .status()).isEqualTo(202);

      TestNodes.eventually(Duration.ofSeconds(30), () -> api.get("/api/v1/tenants/packed/models/bomb", key).json()
          .get("replicas").findValuesAsText("state").equals(List.of("QUOTA_EXCEEDED")), "refused by the quota");
      String reason = api.get("/api/v1/tenants/packed/models/bomb", key).json().get("replicas").get(0).get("reason")
          .asText();
      assertThat(reason).contains("maxResidentBytes").contains(String.valueOf(quota));
      long needed = Long.parseLong(reason.replaceAll(".* needs (\\d+) more$", "$1"));
      assertThat(needed).isBetween(tensors, tensors + (1 << 20));
      // refused before loading: nothing resident, nothing unpacked
      JsonNode worker = TestNodes.clusterWithWorkers(api).get("workers").get(0);
      assertThat(worker.get("usedBytes").asLong()).isZero();
      assertThat(dataDir.resolve("models/unpacked")).satisfiesAnyOf(
          p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());
      assertThat(api.post("/v2/models/bomb/infer", key, ONE).code()).isEqualTo("quota_exceeded");

      // with room for it, it loads and the worker reports what it holds, not the upload's size
      assertThat(api.patch("/api/v1/tenants/packed", OP, Map.of("quota", Map.of("maxResidentBytes", 100L << 20)))
          .status()).isEqualTo(200);
      TestNodes.eventually(Duration.ofSeconds(60), () -> api.get("/v2/models/bomb/ready", key).json().path("ready")
          .asBoolean(), "ready once the quota allows it");
      JsonNode loaded = TestNodes.clusterWithWorkers(api).get("workers").get(0);
      assertThat(loaded.get("usedBytes").asLong()).isBetween(tensors, tensors + (1 << 20));
      System.out.printf("a %d-byte upload: refused at %d bytes needed under a %d-byte quota; resident once allowed: %d"
          + " bytes%n", bomb.length, needed, quota, loaded.get("usedBytes").asLong());
      assertThat(api.post("/v2/models/bomb/infer", key, ONE).status()).isEqualTo(200);
      assertModes(dataDir, null);
    } finally {
      node.stop();
    }
  }

  @Test
  void artifactsNoVersionRefersToAreSweptAfterTheGracePeriod(@TempDir Path dataDir) throws Exception {
    Main.Node node = TestNodes.start(dataDir, Map.of(
        "modelplane.artifact-sweep.interval", "1s", "modelplane.artifact-sweep.grace", "3s"));
    try {
      ApiClient api = new ApiClient(node.baseUrl());
      String key = TestNodes.tenantWithDigits(api, "sweep", null, 1);
      String sha256 = api.get("/api/v1/tenants/sweep/models/digits/versions/1", key).json().get("sha256").asText();
      Path registered = dataDir.resolve("artifacts/tenants/sweep").resolve(sha256.substring(0, 2)).resolve(sha256);
      // what a node stopped between storing an upload and registering its version leaves behind
      String orphanSha = "ab" + "0".repeat(62);
      Path orphan = Files.createDirectories(dataDir.resolve("artifacts/tenants/sweep/ab")).resolve(orphanSha);
      Files.write(orphan, new byte[] {1, 2, 3});

      TestNodes.eventually(Duration.ofSeconds(20), () -> !Files.exists(orphan), "the orphan swept");
      assertThat(registered).exists();
      // well past the grace period, the registered artifact is still there and served
      Thread.sleep(4000);
      assertThat(registered).exists();
      assertThat(api.post("/v2/models/digits/infer", key, ONE).status()).isEqualTo(200);
    } finally {
      node.stop();
    }
  }

  /** The data directory owner-only: directories 0700, files 0600, artifacts 0400. */
  static void assertModes(Path dataDir, Path artifact) throws IOException {
    try (Stream<Path> all = Files.walk(dataDir)) {
      for (Path p : all.toList()) {
        if (Files.isDirectory(p)) {
          assertThat(Files.getPosixFilePermissions(p)).as(p.toString()).isEqualTo(DIR);
        } else if (p.startsWith(dataDir.resolve("artifacts/tenants"))) {
          assertThat(Files.getPosixFilePermissions(p)).as(p.toString()).isEqualTo(ARTIFACT);
        } else {
          assertThat(Files.getPosixFilePermissions(p)).as(p.toString()).isEqualTo(FILE);
        }
      }
    }
    assertThat(Files.list(dataDir.resolve("journal"))).isNotEmpty();
    if (artifact != null) {
      assertThat(Files.getPosixFilePermissions(artifact)).isEqualTo(ARTIFACT);
    }
  }
}
