package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Autoscaled deployments end to end on a real node: bounds validated, an idle version unloaded and loaded
 * again by its next request, every decision in the model's history, and a cold start that cannot finish in
 * time answered 503 with Retry-After.
 */
class AutoscalingApiTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final String DEPLOYMENT = "/api/v1/tenants/scaler/models/digits/deployment";

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;
  static String key;
  static JsonNode heldOut;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(dataDir, Map.of("modelplane.inference.cold-start-timeout", "3s",
        "modelplane.inference.autoscale.interval", "200ms"));
    api = new ApiClient(node.baseUrl());
    Map<String, Object> unlimited = new HashMap<>();
    unlimited.put("requestsPerSecond", null);
    unlimited.put("maxConcurrentRequests", null);
    key = TestNodes.tenantWithDigits(api, "scaler", unlimited, 1);
    try (InputStream in = AutoscalingApiTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits-heldout.json")) {
      heldOut = ApiClient.JSON.readTree(in);
    }
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  static ApiClient.Reply predict() {
    return api.post("/v2/models/digits/infer", key, PredictApiTest.request(heldOut.get("inputs").get(0)));
  }

  static List<String> replicaStates() {
    return api.get("/api/v1/tenants/scaler/models/digits", key).json().get("replicas").findValuesAsText("state");
  }

  static Map<String, Object> deployment(Object... settings) {
    Map<String, Object> body = new HashMap<>(Map.of("traffic", Map.of("1", 100)));
    for (int i = 0; i < settings.length; i += 2) {
      body.put((String) settings[i], settings[i + 1]);
    }
    return body;
  }

  @Test
  void boundsThatDoNotFitTogetherAreRefusedWith400() {
    PredictApiTest.assertError(api.put(DEPLOYMENT, key, deployment("minReplicas", 0)), 400, "invalid_autoscaling");
    PredictApiTest.assertError(api.put(DEPLOYMENT, key, deployment("idleUnloadSeconds", 60)), 400, "invalid_autoscaling");
    PredictApiTest.assertError(api.put(DEPLOYMENT, key, deployment("minReplicas", 3, "maxReplicas", 2)), 400,
        "invalid_replicas");
    PredictApiTest.assertError(api.put(DEPLOYMENT, key, deployment("maxReplicas", 65)), 400, "invalid_replicas");
    PredictApiTest.assertError(api.put(DEPLOYMENT, key, deployment("replicas", 3, "maxReplicas", 2)), 400,
        "invalid_replicas");
    PredictApiTest.assertError(api.put(DEPLOYMENT, key, deployment("maxReplicas", 2, "targetInFlight", 0)), 400,
        "invalid_autoscaling");
    PredictApiTest.assertError(api.put(DEPLOYMENT, key, deployment("maxReplicas", 2, "idleUnloadSeconds", 0)), 400,
        "invalid_autoscaling");
    PredictApiTest.assertError(api.put(DEPLOYMENT, key, deployment("maxReplicas", "two")), 400, "invalid_request");
  }

  @Test
  void anIdleVersionIsUnloadedAndItsNextRequestLoadsItOrTimesOutWith503() {
    ApiClient.Reply deployed = api.put(DEPLOYMENT, key,
        deployment("minReplicas", 0, "maxReplicas", 2, "idleUnloadSeconds", 1));
    assertThat(deployed.status()).as(deployed.toString()).isEqualTo(202);
    assertThat(deployed.json().get("replicas").asInt()).as("starts with one").isEqualTo(1);
    assertThat(deployed.json().get("autoscaling").toString())
        .isEqualTo("{\"minReplicas\":0,\"maxReplicas\":2,\"targetInFlight\":4,\"idleUnloadSeconds\":1}");

    TestNodes.eventually(Duration.ofSeconds(30), () -> replicaStates().equals(List.of("SCALED_TO_ZERO")),
        "unloaded after 1 s idle");
    JsonNode parked = api.get("/api/v1/tenants/scaler/models/digits", key).json();
    assertThat(parked.get("status").asText()).isEqualTo("scaled_to_zero");
    assertThat(parked.get("replicas").get(0).get("reason").asText()).contains("the next request loads it");
    long start = System.nanoTime();
    ApiClient.Reply woken = predict();
    long coldMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(woken.status()).as(woken.toString()).isEqualTo(200);
    assertThat(PredictApiTest.argmax(woken.json().get("outputs").get(0).get("data"), 0))
        .isEqualTo(heldOut.get("labels").get(0).asInt());
    assertThat(coldMs).as("answered once loaded, within the cold-start timeout").isLessThan(3_000);
    assertThat(replicaStates()).containsExactly("READY");

    TestNodes.eventually(Duration.ofSeconds(30), () -> {
      List<JsonNode> scaled = scalings();
      return scaled.size() >= 2 && scaled.get(1).get("details").get("toReplicas").asInt() == 1;
    }, "both decisions in the model's history");
    List<JsonNode> scaled = scalings();
    assertThat(scaled.get(0).get("actor").asText()).isEqualTo("autoscaler");
    assertThat(scaled.get(0).get("details").get("fromReplicas").asInt()).isEqualTo(1);
    assertThat(scaled.get(0).get("details").get("toReplicas").asInt()).isZero();
    assertThat(scaled.get(0).get("details").get("reason").asText()).isEqualTo("no request for 1 s");
    assertThat(scaled.get(1).get("details").get("reason").asText()).contains("scaled to zero");

    // idle again, and no worker may take it: the request waits out the cold-start timeout
    TestNodes.eventually(Duration.ofSeconds(30), () -> replicaStates().equals(List.of("SCALED_TO_ZERO")),
        "unloaded again");
    String worker = TestNodes.clusterWithWorkers(api).get("workers").get(0).get("workerId").asText();
    assertThat(api.post(WorkerDrainAcrossNodesTest.workerPath(worker) + "/drain", OP, Map.of()).status()).isEqualTo(202);
    try {
      start = System.nanoTime();
      ApiClient.Reply timedOut = predict();
      assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(2_900);
      PredictApiTest.assertError(timedOut, 503, "model_loading");
      assertThat(timedOut.header("Retry-After")).isNotBlank();
    } finally {
      assertThat(api.post(WorkerDrainAcrossNodesTest.workerPath(worker) + "/undrain", OP, Map.of()).status())
          .isEqualTo(200);
    }
    // undrained, the wake it asked for goes through
    TestNodes.eventually(Duration.ofSeconds(30), () -> predict().status() == 200, "served once a worker may take it");
  }

  static List<JsonNode> scalings() {
    JsonNode events = api.get("/api/v1/tenants/scaler/models/digits/history", key).json().get("events");
    List<JsonNode> scaled = new java.util.ArrayList<>();
    events.forEach(e -> {
      if (e.get("type").asText().equals("replicas_scaled")) {
        scaled.add(e);
      }
    });
    return scaled;
  }
}
