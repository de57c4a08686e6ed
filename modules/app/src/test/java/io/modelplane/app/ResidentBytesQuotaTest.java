package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tenant's quota.maxResidentBytes end to end: placement refuses what would exceed it (shown as
 * QUOTA_EXCEEDED), serves what fits, and places the rest once the quota is raised. The test node has
 * one worker, so the limit is tested with two versions (a second replica of one version could never be
 * placed on a single worker anyway).
 */
class ResidentBytesQuotaTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dataDir, Map.of());
    api = new ApiClient(node.baseUrl());
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  static List<String> states(String key) {
    return ApiClient.each(api.get("/api/v1/tenants/tight/models/digits", key).json().get("replicas"), "state");
  }

  @Test
  void versionsBeyondTheTenantsResidentBytesAreRefusedUntilTheQuotaIsRaised() throws Exception {
    byte[] model;
    try (InputStream in = ResidentBytesQuotaTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits.pt")) {
      model = in.readAllBytes();
    }
    long size = model.length; // placement's estimate of a replica's bytes is the artifact size
    ApiClient.Reply created = api.post("/api/v1/tenants", OP, Map.of("id", "tight", "displayName", "Tight",
        "quota", Map.of("maxResidentBytes", size * 3 / 2)));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String key = api.post("/api/v1/tenants/tight/api-keys", OP, Map.of("name", "k", "role", "developer")).json().get("key").asText();
    Map<String, Object> manifest = ApiClient.digitsManifest();
    for (int v = 1; v <= 2; v++) {
      ApiClient.Reply uploaded = api.upload("tight", "digits", key, manifest, model);
      assertThat(uploaded.status()).as(uploaded.toString()).isEqualTo(201);
      assertThat(uploaded.json().get("sizeBytes").asLong()).isEqualTo(size);
    }
    ApiClient.Reply deployed = api.put("/api/v1/tenants/tight/models/digits/deployment", key,
        Map.of("traffic", Map.of("1", 50, "2", 50)));
    assertThat(deployed.status()).as(deployed.toString()).isEqualTo(202);

    // one version fits the limit, the other would exceed it
    TestNodes.eventually(Duration.ofSeconds(30),
        () -> states(key).stream().sorted().toList().equals(List.of("QUOTA_EXCEEDED", "READY")), "one ready, one over quota");
    JsonNode replicas = api.get("/api/v1/tenants/tight/models/digits", key).json().get("replicas");
    JsonNode ready = null;
    JsonNode refused = null;
    for (JsonNode r : replicas) {
      if (r.get("state").asText().equals("READY")) {
        ready = r;
      } else {
        refused = r;
      }
    }
    assertThat(refused.get("worker").isNull()).isTrue();
    assertThat(refused.get("reason").asText())
        .contains("maxResidentBytes").contains(String.valueOf(size * 3 / 2)).contains(String.valueOf(size));
    assertThat(ready.get("version").asInt()).isNotEqualTo(refused.get("version").asInt());
    assertThat(api.get("/api/v1/tenants/tight/models/digits", key).json().get("status").asText()).isEqualTo("quota_exceeded");

    Map<String, Object> one = Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64),
        "datatype", "FP32", "data", new double[64])));
    ApiClient.Reply predicted = api.post("/v2/models/digits/versions/" + ready.get("version").asInt() + "/infer", key, one);
    assertThat(predicted.status()).as(predicted.toString()).isEqualTo(200);
    // the refused version answers at once instead of waiting out the cold start (20 s) for a replica that cannot come
    long asked = System.nanoTime();
    ApiClient.Reply overQuota = api.post("/v2/models/digits/versions/" + refused.get("version").asInt() + "/infer", key, one);
    assertThat(overQuota.status()).as(overQuota.toString()).isEqualTo(503);
    assertThat(overQuota.code()).isEqualTo("quota_exceeded");
    assertThat(overQuota.json().get("error").asText()).contains("maxResidentBytes");
    assertThat(overQuota.header("Retry-After")).isEqualTo("30");
    assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(10));
    // the node's worker had room: it is the quota that refused, not capacity
    assertThat(TestNodes.clusterWithWorkers(api).get("workers").get(0).get("budgetBytes").asLong())
        .isGreaterThan(3 * size);

    ApiClient.Reply raised = api.patch("/api/v1/tenants/tight", OP, Map.of("quota", Map.of("maxResidentBytes", 2 * size)));
    assertThat(raised.status()).as(raised.toString()).isEqualTo(200);
    long start = System.nanoTime();
    // placement reads the PATCH from the journal (polled every 100 ms), nothing re-reads periodically
    TestNodes.eventually(Duration.ofSeconds(10), () -> states(key).equals(List.of("READY", "READY")), "both ready after the raise");
    assertThat(api.get("/api/v1/tenants/tight/models/digits", key).json().get("status").asText()).isEqualTo("ready");
    System.out.printf("refused version ready %d ms after the quota was raised%n", (System.nanoTime() - start) / 1_000_000);
    ApiClient.Reply other = api.post("/v2/models/digits/versions/" + refused.get("version").asInt() + "/infer", key, one);
    assertThat(other.status()).as(other.toString()).isEqualTo(200);
  }

  @Test
  void theOpenApiDocumentNamesTheState() {
    String doc = api.get("/api/v1/openapi.yaml", null).raw().body();
    Map<String, Object> parsed = new org.yaml.snakeyaml.Yaml().load(doc);
    assertThat(parsed).containsKey("paths");
    assertThat(doc).contains("QUOTA_EXCEEDED").contains("quota_exceeded");
  }
}
