package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Open Inference Protocol v2 predict API end to end: a real node, real workers, the real digits model. */
class PredictApiTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;
  static String demoKey;
  static JsonNode heldOut;

  @BeforeAll
  static void start() throws Exception {
    // a 1 MiB worker holds every model of these tests (~80 KB each), but no artifact over 1 MiB
    node = TestNodes.start(dataDir, Map.of("modelplane.demo", true, "modelplane.inference.cold-start-timeout", "3s",
        "modelplane.api.max-infer-bytes", "1 MiB", "modelplane.inference.worker-memory-bytes", "1 MiB"));
    api = new ApiClient(node.baseUrl());
    demoKey = api.post("/api/v1/tenants/demo/api-keys", OP, Map.of("name", "test", "role", "developer"))
        .json().get("key").asText();
    // the accuracy test sends hundreds of requests back to back: no rate limit for the demo tenant here
    Map<String, Object> unlimited = new HashMap<>();
    unlimited.put("requestsPerSecond", null);
    unlimited.put("maxConcurrentRequests", null);
    assertThat(api.patch("/api/v1/tenants/demo", OP, Map.of("quota", unlimited)).status()).isEqualTo(200);
    try (InputStream in = PredictApiTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits-heldout.json")) {
      heldOut = ApiClient.JSON.readTree(in);
    }
    TestNodes.eventually(Duration.ofSeconds(60),
        () -> api.get("/v2/models/digits/ready", demoKey).json().path("ready").asBoolean(), "demo digits ready");
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  static Map<String, Object> request(JsonNode pixels) {
    return Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64), "datatype", "FP32", "data", pixels)));
  }

  static int argmax(JsonNode data, int offset) {
    int best = 0;
    for (int i = 1; i < 10; i++) {
      if (data.get(offset + i).asDouble() > data.get(offset + best).asDouble()) {
        best = i;
      }
    }
    return best;
  }

  static void assertError(ApiClient.Reply r, int status, String code) {
    ManagementApiTest.assertError(r, status, code);
  }

  @Test
  void serverMetadataNeedsNoCredentialAndHealthRefusesOtherMethodsWith405() {
    // as in the protocol (and Triton, KServe): server metadata and health are open; they name no tenant
    ApiClient.Reply open = api.get("/v2", null);
    assertThat(open.status()).as(open.toString()).isEqualTo(200);
    assertThat(open.json().get("name").asText()).isEqualTo("modelplane");
    assertThat(open.json().get("extensions").get(0).asText()).isEqualTo("binary_tensor_data");
    assertThat(open.raw().body()).doesNotContain("demo").doesNotContain("digits");
    for (String path : List.of("/v2/health/live", "/v2/health/ready", "/v2")) {
      assertError(api.raw("POST", path, null, "application/json", "{}".getBytes(StandardCharsets.UTF_8)),
          405, "method_not_allowed");
      assertError(api.raw("DELETE", path, demoKey, "application/json", new byte[0]), 405, "method_not_allowed");
      // a HEAD answer has no body: its status says it
      assertThat(api.raw("HEAD", path, null, "application/json", new byte[0]).status()).as("HEAD " + path).isEqualTo(405);
    }
    // the model routes still need a credential
    assertError(api.get("/v2/models/digits", null), 401, "missing_credential");
  }

  @Test
  void trailingGarbageEmptyOutputListsAndNonStringIdsAreRefused() {
    String infer = "/v2/models/digits/infer";
    String valid;
    try {
      valid = ApiClient.JSON.writeValueAsString(request(heldOut.get("inputs").get(0)));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertThat(api.raw("POST", infer, demoKey, "application/json", valid.getBytes(StandardCharsets.UTF_8)).status())
        .isEqualTo(200);
    for (String garbage : List.of(" garbage", "{}", "]", " 1", "\"x\"")) {
      assertError(api.raw("POST", infer, demoKey, "application/json", (valid + garbage).getBytes(StandardCharsets.UTF_8)),
          400, "malformed_json");
    }
    // whitespace after the value is no garbage
    assertThat(api.raw("POST", infer, demoKey, "application/json", (valid + " \n").getBytes(StandardCharsets.UTF_8))
        .status()).isEqualTo(200);

    Map<String, Object> noOutputs = new HashMap<>(request(heldOut.get("inputs").get(0)));
    noOutputs.put("outputs", List.of());
    assertError(api.post(infer, demoKey, noOutputs), 400, "invalid_input");

    for (Object id : List.of(7, true, Map.of("a", 1), List.of("x"))) {
      Map<String, Object> withId = new HashMap<>(request(heldOut.get("inputs").get(0)));
      withId.put("id", id);
      assertError(api.post(infer, demoKey, withId), 400, "invalid_input");
    }
    Map<String, Object> withId = new HashMap<>(request(heldOut.get("inputs").get(0)));
    withId.put("id", "req-1");
    assertThat(api.post(infer, demoKey, withId).json().get("id").asText()).isEqualTo("req-1");
  }

  @Test
  void binaryDataOutputAtTheTopLevelOfTheRequestWorksAsTheReadmeShows() {
    Map<String, Object> body = new HashMap<>(request(heldOut.get("inputs").get(0)));
    JsonNode fromJson = api.post("/v2/models/digits/infer", demoKey, body).json().get("outputs").get(0);
    body.put("binary_data_output", true);
    BinaryReply reply = BinaryReply.of(api.rawBytes("/v2/models/digits/infer", demoKey, "application/json", Map.of(),
        binaryBody(body, new byte[0])));
    assertThat(reply.json().get("outputs").get(0).get("parameters").get("binary_data_size").asInt()).isEqualTo(40);
    assertThat(reply.floats(0, 10)).containsExactly(floats(fromJson.get("data")));
  }

  @Test
  void aModelWhoseOutputsDifferFromItsManifestAnswers502() {
    // digits returns FP32 [n, 10]; this manifest promises [n, 12]
    Map<String, Object> lying = Map.of("format", "torchscript",
        "inputs", List.of(Map.of("name", "input", "datatype", "FP32", "shape", List.of(-1, 64))),
        "outputs", List.of(Map.of("name", "logits", "datatype", "FP32", "shape", List.of(-1, 12))));
    assertThat(api.upload("demo", "liar", demoKey, lying, TestNodes.digitsModel()).status()).isEqualTo(201);
    assertThat(api.put("/api/v1/tenants/demo/models/liar/deployment", demoKey, Map.of("traffic", Map.of("1", 100)))
        .status()).isEqualTo(202);
    TestNodes.eventually(Duration.ofSeconds(60),
        () -> api.get("/v2/models/liar/ready", demoKey).json().path("ready").asBoolean(), "liar ready");
    ApiClient.Reply r = api.post("/v2/models/liar/infer", demoKey, request(heldOut.get("inputs").get(0)));
    assertError(r, 502, "output_mismatch");
    assertThat(r.json().get("error").asText()).contains("[1, 10]").contains("[-1, 12]");
  }

  @Test
  void serverAndModelMetadata() {
    JsonNode server = api.get("/v2", demoKey).json();
    assertThat(server.get("name").asText()).isEqualTo("modelplane");
    assertThat(server.get("version").asText()).isNotBlank();
    assertThat(server.get("extensions").isArray()).isTrue();
    assertThat(server.get("extensions").get(0).asText()).isEqualTo("binary_tensor_data");

    JsonNode model = api.get("/v2/models/digits", demoKey).json();
    assertThat(model.get("name").asText()).isEqualTo("digits");
    assertThat(model.get("platform").asText()).isEqualTo("pytorch_torchscript");
    assertThat(model.get("versions")).hasSize(1);
    assertThat(model.get("versions").get(0).asText()).isEqualTo("1");
    assertThat(model.get("inputs").get(0).get("name").asText()).isEqualTo("input");
    assertThat(model.get("inputs").get(0).get("datatype").asText()).isEqualTo("FP32");
    assertThat(model.get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,64]");
    assertThat(model.get("outputs").get(0).get("shape").toString()).isEqualTo("[-1,10]");
    assertThat(api.get("/v2/models/digits/versions/1", demoKey).json().get("name").asText()).isEqualTo("digits");
    JsonNode ready = api.get("/v2/models/digits/versions/1/ready", demoKey).json();
    assertThat(ready.get("name").asText()).isEqualTo("digits");
    assertThat(ready.get("ready").asBoolean()).isTrue();
  }

  @Test
  void predictsTheHeldOutDigitsAccurately() {
    JsonNode inputs = heldOut.get("inputs");
    JsonNode labels = heldOut.get("labels");
    int correct = 0;
    for (int i = 0; i < inputs.size(); i++) {
      ApiClient.Reply r = api.post("/v2/models/digits/infer", demoKey, request(inputs.get(i)));
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      if (argmax(r.json().get("outputs").get(0).get("data"), 0) == labels.get(i).asInt()) {
        correct++;
      }
    }
    double accuracy = correct / (double) inputs.size();
    System.out.printf("digits through the predict API: %d/%d correct (%.2f%%)%n", correct, inputs.size(), accuracy * 100);
    assertThat(accuracy).isGreaterThanOrEqualTo(0.95);
  }

  @Test
  void aBatchInOneRequestGivesTheSameAnswersAsSingles() {
    List<Double> flat = new ArrayList<>();
    List<List<Double>> nested = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      List<Double> row = new ArrayList<>();
      heldOut.get("inputs").get(i).forEach(v -> row.add(v.asDouble()));
      flat.addAll(row);
      nested.add(row);
    }
    JsonNode flatOut = api.post("/v2/models/digits/infer", demoKey, Map.of("id", "batch-1", "inputs", List.of(
        Map.of("name", "input", "shape", List.of(8, 64), "datatype", "FP32", "data", flat)))).json();
    JsonNode nestedOut = api.post("/v2/models/digits/infer", demoKey, Map.of("inputs", List.of(
        Map.of("name", "input", "shape", List.of(8, 64), "datatype", "FP32", "data", nested)))).json();
    assertThat(flatOut.get("id").asText()).isEqualTo("batch-1");
    assertThat(flatOut.get("model_name").asText()).isEqualTo("digits");
    assertThat(flatOut.get("model_version").asText()).isEqualTo("1");
    JsonNode out = flatOut.get("outputs").get(0);
    assertThat(out.get("name").asText()).isEqualTo("logits");
    assertThat(out.get("datatype").asText()).isEqualTo("FP32");
    assertThat(out.get("shape").toString()).isEqualTo("[8,10]");
    assertThat(nestedOut.get("outputs").get(0).get("data")).isEqualTo(out.get("data"));
    for (int i = 0; i < 8; i++) {
      JsonNode single = api.post("/v2/models/digits/infer", demoKey, request(heldOut.get("inputs").get(i)))
          .json().get("outputs").get(0).get("data");
      for (int j = 0; j < 10; j++) {
        assertThat(single.get(j).asDouble()).isCloseTo(out.get("data").get(i * 10 + j).asDouble(),
            org.assertj.core.api.Assertions.within(1e-4));
      }
    }
  }

  @Test
  void badRequestsGetClearErrors() {
    String infer = "/v2/models/digits/infer";
    List<Double> pixels = new ArrayList<>();
    heldOut.get("inputs").get(0).forEach(v -> pixels.add(v.asDouble()));
    assertError(api.post(infer, demoKey, Map.of("inputs", List.of(
        Map.of("name", "input", "shape", List.of(1, 63), "datatype", "FP32", "data", pixels.subList(0, 63))))),
        422, "shape_mismatch");
    assertError(api.post(infer, demoKey, Map.of("inputs", List.of(
        Map.of("name", "input", "shape", List.of(1, 64), "datatype", "INT32", "data", new int[64])))),
        422, "datatype_mismatch");
    assertError(api.post(infer, demoKey, Map.of("inputs", List.of(
        Map.of("name", "input", "shape", List.of(2, 64), "datatype", "FP32", "data", pixels)))),
        400, "data_length_mismatch");
    assertError(api.post(infer, demoKey, Map.of("inputs", List.of(
        Map.of("name", "pixels", "shape", List.of(1, 64), "datatype", "FP32", "data", pixels)))),
        422, "unknown_input");
    assertError(api.post(infer, demoKey, Map.of("inputs", List.of(
        Map.of("name", "input", "shape", List.of(1, 64), "datatype", "FP32", "data", java.util.Collections.nCopies(64, "a"))))),
        400, "invalid_input");
    assertError(api.post(infer, demoKey, Map.of("inputs", List.of())), 422, "missing_input");
    Map<String, Object> withFilter = new HashMap<>(request(heldOut.get("inputs").get(0)));
    withFilter.put("outputs", List.of(Map.of("name", "probabilities")));
    assertError(api.post(infer, demoKey, withFilter), 400, "unknown_output");
    assertError(api.raw("POST", infer, demoKey, "application/json", "{\"inputs\": [".getBytes(StandardCharsets.UTF_8)),
        400, "malformed_json");
    assertError(api.raw("POST", infer, demoKey, "text/plain", "{}".getBytes(StandardCharsets.UTF_8)),
        415, "unsupported_media_type");
    byte[] huge = ("{\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":["
        + "0.5,".repeat(320_000) + "0.5]}]}").getBytes(StandardCharsets.UTF_8); // just over the 1 MiB limit
    assertError(api.raw("POST", infer, demoKey, "application/json", huge), 413, "payload_too_large");

    assertError(api.post("/v2/models/nope/infer", demoKey, request(heldOut.get("inputs").get(0))), 404, "model_not_found");
    assertError(api.get("/v2/models/nope", demoKey), 404, "model_not_found");
    assertError(api.post("/v2/models/digits/versions/7/infer", demoKey, request(heldOut.get("inputs").get(0))),
        404, "version_not_found");
    assertError(api.get("/v2/models/digits/versions/7", demoKey), 404, "version_not_found");

    assertError(api.post(infer, null, request(heldOut.get("inputs").get(0))), 401, "missing_credential");
    assertError(api.post(infer, OP, request(heldOut.get("inputs").get(0))), 403, "tenant_credential_required");
    String viewer = api.post("/api/v1/tenants/demo/api-keys", OP, Map.of("name", "v", "role", "viewer")).json().get("key").asText();
    assertError(api.post(infer, viewer, request(heldOut.get("inputs").get(0))), 403, "forbidden");
    String predictor = api.post("/api/v1/tenants/demo/api-keys", OP, Map.of("name", "p", "role", "predictor")).json().get("key").asText();
    assertThat(api.post(infer, predictor, request(heldOut.get("inputs").get(0))).status()).isEqualTo(200);
    // the worker is still healthy after all of that
    assertThat(api.post(infer, demoKey, request(heldOut.get("inputs").get(0))).status()).isEqualTo(200);
  }

  @Test
  void operatorsSeeTheClusterWorkersAndResidentModels() {
    JsonNode cluster = TestNodes.clusterWithWorkers(api);
    assertThat(cluster.get("nodes")).hasSize(1);
    assertThat(ApiClient.each(cluster.get("nodes"), "status")).containsExactly("up");
    assertThat(cluster.get("nodes").get(0).get("roles").toString()).contains("control", "gateway", "worker");
    JsonNode worker = cluster.get("workers").get(0);
    assertThat(worker.get("device").asText()).startsWith("cpu");
    assertThat(worker.get("budgetBytes").asLong()).isPositive();
    assertThat(worker.get("usedBytes").asLong()).isPositive();
    assertThat(ApiClient.each(worker.get("models"), "key")).contains("demo/digits:1");
    assertThat(worker.get("utilization").asDouble()).isBetween(0.0, 1.0);
    assertThat(worker.get("residentBytes").asLong()).isEqualTo(worker.get("usedBytes").asLong());
    assertError(api.get("/api/v1/admin/cluster", demoKey), 403, "forbidden");
  }

  @Test
  void theClusterViewShowsEachNodesResourcesAndAnUnchangedViewIs304() {
    JsonNode node = TestNodes.clusterWithWorkers(api).get("nodes").get(0);
    assertThat(node.get("cpu").get("cores").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(node.get("cpu").get("processLoad").asDouble()).isBetween(-1.0, 1.0);
    assertThat(node.get("heap").get("usedBytes").asLong()).isPositive();
    assertThat(node.get("heap").get("maxBytes").asLong()).isEqualTo(Runtime.getRuntime().maxMemory());
    // this JVM's own figures: the node runs in it
    assertThat(node.get("nativeMemory").get("residentBytes").asLong()).isGreaterThan(node.get("heap").get("usedBytes").asLong() / 4);
    assertThat(node.get("nativeMemory").get("directBytes").asLong()).isNotNegative();
    assertThat(node.get("fileDescriptors").get("open").asLong()).isPositive()
        .isLessThanOrEqualTo(node.get("fileDescriptors").get("max").asLong());
    JsonNode disk = node.get("disk");
    assertThat(disk.get("dataDir").asText()).isEqualTo(dataDir.toString());
    assertThat(disk.get("totalBytes").asLong()).isPositive()
        .isGreaterThanOrEqualTo(disk.get("usedBytes").asLong() + disk.get("freeBytes").asLong() - 1);
    assertThat(disk.get("freeBytes").asLong()).isPositive();
    assertThat(node.get("gcPauseSecondsTotal").asDouble()).isNotNegative();
    assertThat(node.get("gpus")).as("no GPU on this machine").isEmpty();
    assertThat(Instant.parse(node.get("sampledAt").asText())).isAfter(Instant.now().minusSeconds(60));

    // the figures change once per sample interval, on the same wall-clock beat on every node: a poll in between is a 304
    TestNodes.eventually(Duration.ofSeconds(15), () -> {
      ApiClient.Reply first = api.get("/api/v1/admin/cluster", OP);
      String tag = first.raw().headers().firstValue("ETag").orElse(null);
      ApiClient.Reply again = api.get("/api/v1/admin/cluster", OP, Map.of("If-None-Match", tag == null ? "-" : tag));
      return tag != null && again.status() == 304;
    }, "304 for an unchanged view");
  }

  @Test
  void overTheRateLimitIs429WithHeadersAndAQuotaChangeHoldsWithinASecond() throws Exception {
    api.post("/api/v1/tenants", OP, Map.of("id", "limited", "displayName", "Limited",
        // one token per 10 s: no token comes back while the three calls below run, however slow the machine
        "quota", Map.of("requestsPerSecond", 0.1, "burst", 2)));
    String key = api.post("/api/v1/tenants/limited/api-keys", OP, Map.of("name", "k", "role", "developer")).json().get("key").asText();
    byte[] model;
    try (InputStream in = PredictApiTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits.pt")) {
      model = in.readAllBytes();
    }
    Map<String, Object> manifest = ApiClient.digitsManifest();
    assertThat(api.upload("limited", "digits", key, manifest, model).status()).isEqualTo(201);
    api.put("/api/v1/tenants/limited/models/digits/deployment", key, Map.of("traffic", Map.of("1", 100)));
    TestNodes.eventually(Duration.ofSeconds(30),
        () -> api.get("/v2/models/digits/ready", key).json().path("ready").asBoolean(), "limited digits ready");

    Map<String, Object> one = request(heldOut.get("inputs").get(0));
    ApiClient.Reply first = api.post("/v2/models/digits/infer", key, one);
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.header("RateLimit-Limit")).isEqualTo("1");
    assertThat(first.header("RateLimit-Remaining")).isEqualTo("1");
    assertThat(first.header("RateLimit-Reset")).isNotBlank();
    assertThat(api.post("/v2/models/digits/infer", key, one).status()).isEqualTo(200);
    ApiClient.Reply refused = api.post("/v2/models/digits/infer", key, one);
    assertError(refused, 429, "rate_limited");
    assertThat(api.get("/metrics", OP).raw().body())
        .containsPattern("modelplane_admission_decisions_total\\{outcome=\"rate_limited\",tenant=\"limited\"} [1-9]");
    assertThat(Integer.parseInt(refused.header("Retry-After"))).isBetween(1, 10);
    assertThat(refused.header("RateLimit-Limit")).isEqualTo("1");
    assertThat(refused.header("RateLimit-Remaining")).isEqualTo("0");
    // another tenant is unaffected
    assertThat(api.post("/v2/models/digits/infer", demoKey, one).status()).isEqualTo(200);

    assertThat(api.patch("/api/v1/tenants/limited", OP,
        Map.of("quota", Map.of("requestsPerSecond", 1000, "burst", 1000))).status()).isEqualTo(200);
    long raised = System.nanoTime();
    TestNodes.eventually(TestNodes.PROPAGATION, () -> {
      ApiClient.Reply r = api.post("/v2/models/digits/infer", key, one);
      return r.status() == 200 && "1000".equals(r.header("RateLimit-Limit"));
    }, "raised quota in force");
    System.out.printf("raised quota in force after %d ms%n", (System.nanoTime() - raised) / 1_000_000);
  }

  @Test
  void aVersionNoWorkerHasRoomForIsPendingAndPredictAnswers503AfterTheColdStartWait() {
    api.post("/api/v1/tenants", OP, Map.of("id", "roomless", "displayName", "Roomless"));
    String key = api.post("/api/v1/tenants/roomless/api-keys", OP, Map.of("name", "k", "role", "developer")).json().get("key").asText();
    // more than the worker's budget: placed once a bigger worker joins
    byte[] big = TestModels.distinct(2 * 1024 * 1024, 5);
    Map<String, Object> manifest = ApiClient.digitsManifest();
    assertThat(api.upload("roomless", "big", key, manifest, big).status()).isEqualTo(201);
    assertThat(api.put("/api/v1/tenants/roomless/models/big/deployment", key, Map.of("traffic", Map.of("1", 100))).status())
        .isEqualTo(202);
    TestNodes.eventually(Duration.ofSeconds(10),
        () -> "pending".equals(api.get("/api/v1/tenants/roomless/models/big", key).json().path("status").asText()), "pending");

    long start = System.nanoTime();
    ApiClient.Reply r = api.post("/v2/models/big/infer", key, request(heldOut.get("inputs").get(0)));
    assertError(r, 503, "model_loading");
    assertThat(r.header("Retry-After")).isEqualTo("1");
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(2_900); // the 3 s cold-start wait
  }

  @Test
  void aVersionThatCannotLoadShowsWhyAndPredictAnswers503AtOnce() {
    api.post("/api/v1/tenants", OP, Map.of("id", "broken-co", "displayName", "Broken"));
    String key = api.post("/api/v1/tenants/broken-co/api-keys", OP, Map.of("name", "k", "role", "developer")).json().get("key").asText();
    // admitted at upload (harmless code, an empty pickle), but no model the engine can read
    byte[] junk = TestModels.admittedButBroken();
    Map<String, Object> manifest = ApiClient.digitsManifest();
    assertThat(api.upload("broken-co", "junk", key, manifest, junk).status()).isEqualTo(201);
    assertThat(api.put("/api/v1/tenants/broken-co/models/junk/deployment", key, Map.of("traffic", Map.of("1", 100))).status())
        .isEqualTo(202);
    TestNodes.eventually(Duration.ofSeconds(30), () -> ApiClient.each(
        api.get("/api/v1/tenants/broken-co/models/junk", key).json().get("replicas"), "state").contains("FAILED"), "replica failed");
    JsonNode junkModel = api.get("/api/v1/tenants/broken-co/models/junk", key).json();
    assertThat(junkModel.get("replicas").get(0).get("reason").asText()).isNotBlank();
    assertThat(junkModel.get("status").asText()).isEqualTo("failed");

    // every replica failed: no cold-start wait for a replica that cannot come, the reason at once
    long start = System.nanoTime();
    ApiClient.Reply r = api.post("/v2/models/junk/infer", key, request(heldOut.get("inputs").get(0)));
    assertError(r, 503, "model_failed");
    assertThat(r.json().get("error").asText()).startsWith("version 1 failed to load: ");
    assertThat(r.header("Retry-After")).isEqualTo("30");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_900); // less than the 3 s cold-start wait
    assertThat(api.get("/v2/models/junk/ready", key).json().get("ready").asBoolean()).isFalse();
    // the worker is unharmed
    assertThat(api.post("/v2/models/digits/infer", demoKey, request(heldOut.get("inputs").get(0))).status()).isEqualTo(200);
  }

  @Test
  void metricsCountPredictionsAndNeedTheOperator() {
    assertThat(api.post("/v2/models/digits/infer", demoKey, request(heldOut.get("inputs").get(0))).status()).isEqualTo(200);
    ApiClient.Reply metrics = api.get("/metrics", OP);
    assertThat(metrics.status()).isEqualTo(200);
    String text = metrics.raw().body();
    assertThat(text).containsPattern(
        "modelplane_predict_requests_total\\{model=\"digits\",status=\"200\",tenant=\"demo\",version=\"1\"} [1-9]");
    assertThat(text).contains("modelplane_predict_latency_seconds_bucket{model=\"digits\",tenant=\"demo\"");
    assertThat(text).containsPattern("modelplane_admission_decisions_total\\{outcome=\"admitted\",tenant=\"demo\"} [1-9]");
    assertThat(text).contains("modelplane_worker_resident_bytes{device=\"cpu()\"}");
    assertThat(text).contains("modelplane_model_queue_depth{model_version=\"demo/digits:1\"}");
    assertThat(text).containsPattern("modelplane_model_batches_total\\{model_version=\"demo/digits:1\"} [1-9]");
    assertThat(text).containsPattern("modelplane_model_batch_items_total\\{model_version=\"demo/digits:1\"} [1-9]");
    assertThat(text).containsPattern("modelplane_model_load_seconds\\{model_version=\"demo/digits:1\"} [0-9.E-]+");
    assertThat(text).containsPattern("modelplane_model_queue_capacity\\{model_version=\"demo/digits:1\"} [1-9]");
    assertThat(text).containsPattern("modelplane_model_engine_threads\\{model_version=\"demo/digits:1\"} [0-9]");
    assertThat(text).contains("# TYPE modelplane_model_batches_total counter", "# TYPE modelplane_model_queue_depth gauge",
        "# HELP modelplane_model_batch_items_total Requests answered by those forward passes per resident model version");
    assertThat(text).containsPattern("modelplane_model_load_failures_total\\{device=\"cpu\\(\\)\"} [0-9]");
    assertThat(text).containsPattern("modelplane_projection_lag_seconds [0-9.E-]+");
    // the node's machine: the client's standard JVM and process collectors, and ModelPlane's own
    assertThat(text).contains("jvm_memory_used_bytes{area=\"heap\"}", "jvm_buffer_pool_used_bytes{pool=\"direct\"}",
        "jvm_gc_collection_seconds_count{", "jvm_threads_current ", "process_cpu_seconds_total ", "process_open_fds ",
        "process_max_fds ", "process_resident_memory_bytes ");
    assertThat(text).containsPattern("modelplane_data_dir_free_bytes [1-9]");
    assertThat(text).containsPattern("modelplane_data_dir_total_bytes [1-9]");
    assertThat(text).containsPattern("modelplane_data_dir_used_bytes [0-9]");
    assertThat(text).containsPattern("modelplane_worker_utilization\\{device=\"cpu\\(\\)\"} [0-9.E-]+");
    assertThat(text).containsPattern("modelplane_worker_busy_seconds_total\\{device=\"cpu\\(\\)\"} [0-9.E-]*[1-9]");
    assertThat(text).as("no GPU on this machine: no GPU gauges").doesNotContain("modelplane_gpu_memory");
    assertError(api.get("/metrics", null), 401, "missing_credential");
    assertError(api.get("/metrics", demoKey), 403, "forbidden");

    // 401s are counted by reason and by the shape of what was sent, never by the credential itself
    String forged = "mp_demo.000000000000_" + "ab".repeat(32);
    assertError(api.post("/v2/models/digits/infer", forged, request(heldOut.get("inputs").get(0))), 401, "invalid_credential");
    assertError(api.get("/api/v1/tenants", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"), 401, "invalid_credential");
    String after = api.get("/metrics", OP).raw().body();
    assertThat(after)
        .containsPattern("modelplane_authentication_failures_total\\{credential=\"none\",reason=\"missing_credential\"} [1-9]")
        .containsPattern("modelplane_authentication_failures_total\\{credential=\"api_key\",reason=\"invalid_credential\"} [1-9]")
        .containsPattern("modelplane_authentication_failures_total\\{credential=\"token\",reason=\"invalid_credential\"} [1-9]")
        .doesNotContain(forged).doesNotContain("ab".repeat(32));
  }

  @Test
  void anotherTenantCannotCallTheModel() {
    api.post("/api/v1/tenants", OP, Map.of("id", "intruder", "displayName", "Intruder"));
    String key = api.post("/api/v1/tenants/intruder/api-keys", OP, Map.of("name", "k", "role", "developer")).json().get("key").asText();
    ApiClient.Reply r = api.post("/v2/models/digits/infer", key, request(heldOut.get("inputs").get(0)));
    assertError(r, 404, "model_not_found");
    assertThat(r.json().get("error").asText()).isEqualTo(
        api.post("/v2/models/nothing-here/infer", key, request(heldOut.get("inputs").get(0))).json().get("error").asText()
            .replace("nothing-here", "digits"));
    assertError(api.get("/v2/models/digits", key), 404, "model_not_found");
  }

  @Test
  void trafficSplitsAndRollbackTakeEffectWithinASecond() throws Exception {
    api.post("/api/v1/tenants", OP, Map.of("id", "canary", "displayName", "Canary"));
    String key = api.post("/api/v1/tenants/canary/api-keys", OP, Map.of("name", "k", "role", "developer")).json().get("key").asText();
    byte[] model;
    try (InputStream in = PredictApiTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits.pt")) {
      model = in.readAllBytes();
    }
    Map<String, Object> manifest = ApiClient.digitsManifest();
    assertThat(api.upload("canary", "digits", key, manifest, model).status()).isEqualTo(201);
    assertThat(api.upload("canary", "digits", key, manifest, model).status()).isEqualTo(201);
    String deployment = "/api/v1/tenants/canary/models/digits/deployment";
    Map<String, Object> one = request(heldOut.get("inputs").get(0));

    assertError(api.post("/v2/models/digits/infer", key, one), 404, "model_not_deployed");
    assertThat(api.put(deployment, key, Map.of("traffic", Map.of("1", 100))).status()).isEqualTo(202);
    TestNodes.eventually(Duration.ofSeconds(30), () -> api.post("/v2/models/digits/infer", key, one).status() == 200, "v1 serving");

    api.put(deployment, key, Map.of("traffic", Map.of("1", 50, "2", 50)));
    TestNodes.eventually(Duration.ofSeconds(30),
        () -> api.get("/v2/models/digits/versions/2/ready", key).json().path("ready").asBoolean(), "v2 ready");
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 60; i++) {
      seen.add(api.post("/v2/models/digits/infer", key, one).json().get("model_version").asText());
    }
    assertThat(seen).containsExactlyInAnyOrder("1", "2");

    api.put(deployment, key, Map.of("traffic", Map.of("2", 100)));
    long rollbackStart = System.nanoTime();
    assertThat(api.post(deployment + "/rollback", key, Map.of()).json().get("traffic").has("1")).isTrue();
    // rolled back to 50/50: now roll back once more, to version 1 alone, and time the switch
    rollbackStart = System.nanoTime();
    assertThat(api.post(deployment + "/rollback", key, Map.of()).status()).isEqualTo(202);
    // 20 predictions in a row per check take long on a loaded machine: the time is printed, not bounded tightly
    TestNodes.eventually(Duration.ofSeconds(5), () -> {
      for (int i = 0; i < 20; i++) {
        if (!api.post("/v2/models/digits/infer", key, one).json().get("model_version").asText().equals("1")) {
          return false;
        }
      }
      return true;
    }, "rollback to version 1 effective");
    System.out.printf("rollback effective after %d ms%n", (System.nanoTime() - rollbackStart) / 1_000_000);

    JsonNode replicas = api.get("/api/v1/tenants/canary/models/digits", key).json().get("replicas");
    assertThat(replicas).isNotEmpty();
    assertThat(ApiClient.each(replicas, "state")).contains("READY");
    assertThat(api.get("/api/v1/tenants/canary/models/digits", key).json().get("status").asText()).isEqualTo("ready");
    assertThat(api.post("/v2/models/digits/versions/2/infer", key, one).status()).isEqualTo(404);
  }

  // --- binary tensor data extension ---

  static final String BINARY_HEADER = "Inference-Header-Content-Length";

  /** Held-out rows {@code from} (inclusive) to {@code to} as little-endian FP32 bytes. */
  static byte[] pixelBytes(int from, int to) {
    ByteBuffer b = ByteBuffer.allocate((to - from) * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = from; i < to; i++) {
      heldOut.get("inputs").get(i).forEach(v -> b.putFloat(v.floatValue()));
    }
    return b.array();
  }

  /** A binary-extension body: {@code header} as JSON, then {@code bytes}; the header value is its length. */
  static byte[] binaryBody(Object header, byte[] bytes) {
    byte[] json;
    try {
      json = ApiClient.JSON.writeValueAsBytes(header);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(json);
    out.writeBytes(bytes);
    return out.toByteArray();
  }

  static int jsonLength(Object header) {
    return binaryBody(header, new byte[0]).length;
  }

  static Map<String, Object> binaryInput(int rows, long size) {
    return Map.of("name", "input", "shape", List.of(rows, 64), "datatype", "FP32",
        "parameters", Map.of("binary_data_size", size));
  }

  static ApiClient.Reply sendBinary(Object header, byte[] bytes) {
    return api.raw("/v2/models/digits/infer", demoKey, "application/octet-stream",
        Map.of(BINARY_HEADER, String.valueOf(jsonLength(header))), binaryBody(header, bytes));
  }

  /** A binary response split at its header: the JSON part, and the bytes after it. */
  record BinaryReply(JsonNode json, byte[] binary) {
    static BinaryReply of(java.net.http.HttpResponse<byte[]> r) {
      assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
      int length = Integer.parseInt(r.headers().firstValue(BINARY_HEADER).orElseThrow());
      try {
        return new BinaryReply(ApiClient.JSON.readTree(java.util.Arrays.copyOf(r.body(), length)),
            java.util.Arrays.copyOfRange(r.body(), length, r.body().length));
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }

    float[] floats(int from, int count) {
      ByteBuffer b = ByteBuffer.wrap(binary).order(ByteOrder.LITTLE_ENDIAN);
      float[] values = new float[count];
      for (int i = 0; i < count; i++) {
        values[i] = b.getFloat((from + i) * 4);
      }
      return values;
    }
  }

  static float[] floats(JsonNode data) {
    float[] values = new float[data.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = data.get(i).floatValue();
    }
    return values;
  }

  @Test
  void binaryInputsGiveTheSameLogitsAsJsonForEveryHeldOutDigit() {
    JsonNode inputs = heldOut.get("inputs");
    int correct = 0;
    for (int i = 0; i < inputs.size(); i++) {
      ApiClient.Reply binary = sendBinary(Map.of("id", "b" + i, "inputs", List.of(binaryInput(1, 256))),
          pixelBytes(i, i + 1));
      assertThat(binary.status()).as(binary.toString()).isEqualTo(200);
      // no binary output asked for: the answer is plain JSON as always
      assertThat(binary.header("Content-Type")).isEqualTo("application/json");
      assertThat(binary.header(BINARY_HEADER)).isNull();
      assertThat(binary.json().get("id").asText()).isEqualTo("b" + i);
      JsonNode logits = binary.json().get("outputs").get(0).get("data");
      JsonNode fromJson = api.post("/v2/models/digits/infer", demoKey, request(inputs.get(i))).json()
          .get("outputs").get(0).get("data");
      assertThat(logits).as("held-out %d", i).isEqualTo(fromJson);
      if (argmax(logits, 0) == heldOut.get("labels").get(i).asInt()) {
        correct++;
      }
    }
    assertThat(correct / (double) inputs.size()).isGreaterThanOrEqualTo(0.95);
  }

  @Test
  void binaryOutputsCarryTheSameValuesAsJsonOutputs() {
    List<Double> pixels = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      heldOut.get("inputs").get(i).forEach(v -> pixels.add(v.asDouble()));
    }
    JsonNode fromJson = api.post("/v2/models/digits/infer", demoKey, Map.of("inputs", List.of(
        Map.of("name", "input", "shape", List.of(8, 64), "datatype", "FP32", "data", pixels)))).json()
        .get("outputs").get(0);

    // a JSON request asking for the logits as binary, per output
    Map<String, Object> perOutput = Map.of("id", "x", "inputs", List.of(
        Map.of("name", "input", "shape", List.of(8, 64), "datatype", "FP32", "data", pixels)),
        "outputs", List.of(Map.of("name", "logits", "parameters", Map.of("binary_data", true))));
    BinaryReply reply = BinaryReply.of(api.rawBytes("/v2/models/digits/infer", demoKey, "application/json", Map.of(),
        binaryBody(perOutput, new byte[0])));
    JsonNode out = reply.json().get("outputs").get(0);
    assertThat(reply.json().get("id").asText()).isEqualTo("x");
    assertThat(reply.json().get("model_name").asText()).isEqualTo("digits");
    assertThat(out.get("name").asText()).isEqualTo("logits");
    assertThat(out.get("datatype").asText()).isEqualTo("FP32");
    assertThat(out.get("shape").toString()).isEqualTo("[8,10]");
    assertThat(out.has("data")).isFalse();
    assertThat(out.get("parameters").get("binary_data_size").asInt()).isEqualTo(320);
    assertThat(reply.binary()).hasSize(320);
    assertThat(reply.floats(0, 80)).containsExactly(floats(fromJson.get("data")));

    // binary in, binary out for the whole request
    Map<String, Object> header = Map.of("inputs", List.of(binaryInput(8, 8 * 256)),
        "parameters", Map.of("binary_data_output", true));
    BinaryReply both = BinaryReply.of(api.rawBytes("/v2/models/digits/infer", demoKey, "application/octet-stream",
        Map.of(BINARY_HEADER, String.valueOf(jsonLength(header))), binaryBody(header, pixelBytes(0, 8))));
    assertThat(both.json().get("outputs").get(0).get("parameters").get("binary_data_size").asInt()).isEqualTo(320);
    assertThat(both.floats(0, 80)).containsExactly(floats(fromJson.get("data")));

    // an output's binary_data: false wins over the request's binary_data_output
    Map<String, Object> textual = Map.of("inputs", List.of(binaryInput(8, 8 * 256)),
        "parameters", Map.of("binary_data_output", true),
        "outputs", List.of(Map.of("name", "logits", "parameters", Map.of("binary_data", false))));
    ApiClient.Reply plain = sendBinary(textual, pixelBytes(0, 8));
    assertThat(plain.header("Content-Type")).isEqualTo("application/json");
    assertThat(floats(plain.json().get("outputs").get(0).get("data"))).containsExactly(floats(fromJson.get("data")));

    // parameters that are no object were ignored before the extension and still are: plain JSON back
    Map<String, Object> odd = new HashMap<>(request(heldOut.get("inputs").get(0)));
    odd.put("parameters", List.of());
    ApiClient.Reply oddReply = api.post("/v2/models/digits/infer", demoKey, odd);
    assertThat(oddReply.status()).isEqualTo(200);
    assertThat(oddReply.header("Content-Type")).isEqualTo("application/json");
  }

  @Test
  void badBinaryRequestsGetClearErrors() {
    String infer = "/v2/models/digits/infer";
    byte[] one = pixelBytes(0, 1);
    Map<String, Object> header = Map.of("inputs", List.of(binaryInput(1, 256)));
    byte[] body = binaryBody(header, one);
    for (String value : List.of("abc", "-1", "1.5", String.valueOf(body.length + 1))) {
      assertError(api.raw(infer, demoKey, "application/octet-stream", Map.of(BINARY_HEADER, value), body),
          400, "invalid_binary_header");
    }
    // the header one byte short: the JSON part is cut off
    assertError(api.raw(infer, demoKey, "application/octet-stream",
        Map.of(BINARY_HEADER, String.valueOf(jsonLength(header) - 1)), body), 400, "malformed_json");
    assertError(sendBinary(Map.of("inputs", List.of(binaryInput(1, 252))), java.util.Arrays.copyOf(one, 252)),
        400, "data_length_mismatch");
    assertError(sendBinary(header, java.util.Arrays.copyOf(one, 260)), 400, "invalid_binary_data");
    assertError(sendBinary(header, java.util.Arrays.copyOf(one, 200)), 400, "invalid_binary_data");
    // binary_data_size in a request without binary part
    assertError(api.post(infer, demoKey, header), 400, "invalid_binary_data");
    List<Double> pixels = java.util.Collections.nCopies(64, 0.5);
    assertError(sendBinary(Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64),
        "datatype", "FP32", "data", pixels, "parameters", Map.of("binary_data_size", 256)))), one),
        400, "invalid_input");
    assertError(sendBinary(Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64),
        "datatype", "INT32", "parameters", Map.of("binary_data_size", 256)))), one), 422, "datatype_mismatch");
    assertError(sendBinary(Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 32),
        "datatype", "FP32", "parameters", Map.of("binary_data_size", 128)))), java.util.Arrays.copyOf(one, 128)),
        422, "shape_mismatch");
    assertError(sendBinary(Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64),
        "datatype", "BYTES", "parameters", Map.of("binary_data_size", 256)))), one), 422, "unsupported_datatype");
    assertError(sendBinary(Map.of("inputs", List.of(binaryInput(1, 256)),
        "parameters", Map.of("binary_data_output", "yes")), one), 400, "invalid_input");
    assertError(api.raw(infer, demoKey, "text/plain", Map.of(BINARY_HEADER, String.valueOf(jsonLength(header))), body),
        415, "unsupported_media_type");
    // over the 1 MiB limit in binary too: 4097 rows of 256 bytes plus the JSON part
    Map<String, Object> big = Map.of("inputs", List.of(binaryInput(4097, 4097 * 256)));
    assertError(sendBinary(big, new byte[4097 * 256]), 413, "payload_too_large");
    // the worker is still healthy after all of that
    assertThat(sendBinary(header, one).status()).isEqualTo(200);
  }
}
