package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encryption at rest end to end on one node: artifacts stored encrypted under a KEK from a key file,
 * a KEK rotation by the operator (journaled), old artifacts loading with only the new KEK, and a
 * node given the wrong KEK failing uploads and loads with the KEK named, never with a 500.
 */
class EncryptionAtRestTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final String K1 = Base64.getEncoder().encodeToString("kek-one-0123456789abcdef01234567".getBytes());
  static final String K2 = Base64.getEncoder().encodeToString("kek-two-0123456789abcdef01234567".getBytes());

  @Test
  void rotationKeepsOldArtifactsReadableAndAWrongKekFailsClearly(@TempDir Path dataDir, @TempDir Path keys)
      throws Exception {
    Path kekFile = keys.resolve("keks");
    Files.writeString(kekFile, "k1 " + K1 + "\n");
    String key;
    Main.Node node = start(dataDir, kekFile);
    try {
      ApiClient api = new ApiClient(node.baseUrl());
      key = TestNodes.tenantWithDigits(api, "vault", null, 1);
      assertThat(api.post("/v2/models/digits/infer", key, ArtifactIntegrityTest.ONE).status()).isEqualTo(200);
      TestNodes.eventually(Duration.ofSeconds(20), () -> audit(api, "data_key_created").size() == 1, "key created");
      assertThat(audit(api, "data_key_created").get(0).get("summary").get("kekId").asText()).isEqualTo("k1");
    } finally {
      node.stop();
    }

    Files.writeString(kekFile, "k1 " + K1 + "\nk2 " + K2 + "\nactive k2\n");
    node = start(dataDir, kekFile);
    try {
      ApiClient api = new ApiClient(node.baseUrl());
      ApiClient.Reply rotated = api.post("/api/v1/admin/keys/rotate", OP, Map.of());
      assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
      assertThat(rotated.json().get("previousKek").asText()).isEqualTo("k1");
      assertThat(rotated.json().get("activeKek").asText()).isEqualTo("k2");
      assertThat(rotated.json().get("rewrapped").asInt()).isEqualTo(1);
      assertThat(api.post("/api/v1/admin/keys/rotate", key, Map.of()).status()).isEqualTo(403);
      TestNodes.eventually(Duration.ofSeconds(20), () -> audit(api, "data_keys_rewrapped").size() == 1, "rotation audited");
    } finally {
      node.stop();
    }

    Files.writeString(kekFile, "k2 " + K2 + "\n"); // the old KEK is gone: nothing needs it any more
    node = start(dataDir, kekFile);
    try {
      ApiClient api = new ApiClient(node.baseUrl());
      TestNodes.eventually(Duration.ofSeconds(60), () -> api.post("/v2/models/digits/infer", key,
          ArtifactIntegrityTest.ONE).status() == 200, "the old artifact loads under the new KEK");
    } finally {
      node.stop();
    }

    Files.writeString(kekFile, "k1 " + K1 + "\n"); // the wrong one: the data key is wrapped under k2
    node = start(dataDir, kekFile);
    try {
      ApiClient api = new ApiClient(node.baseUrl());
      ApiClient.Reply upload = api.upload("vault", "digits", key, ApiClient.manifest(), TestNodes.digitsModel());
      assertThat(upload.status()).as(upload.toString()).isEqualTo(503);
      assertThat(upload.code()).isEqualTo("key_unavailable");
      assertThat(upload.raw().body()).contains("KEK k2").doesNotContain(K1, K2);
      TestNodes.eventually(Duration.ofSeconds(60), () -> api.get("/api/v1/tenants/vault/models/digits", key).json()
          .get("replicas").findValuesAsText("state").contains("FAILED"), "the replica failed");
      JsonNode replica = api.get("/api/v1/tenants/vault/models/digits", key).json().get("replicas").get(0);
      assertThat(replica.get("reason").asText()).contains("KEK k2");
    } finally {
      node.stop();
    }
  }

  private static Main.Node start(Path dataDir, Path kekFile) {
    return TestNodes.start(dataDir, Map.of("modelplane.keys.kek", "", "modelplane.keys.kek-file", kekFile.toString()));
  }

  private static java.util.List<JsonNode> audit(ApiClient api, String type) {
    java.util.List<JsonNode> entries = new java.util.ArrayList<>();
    api.get("/api/v1/admin/audit?type=" + type, OP).json().get("entries").forEach(entries::add);
    return entries;
  }
}
