package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests past the infer timeout, end to end with a real slow model (ops/scripts/make-slow-model.py: its
 * forward pass runs as many matrix products as the input's first element says): answered 504 at the
 * deadline, dropped unrun when still queued, and the replica is degraded while its slow pass runs.
 */
class InferTimeoutTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final Duration INFER_TIMEOUT = Duration.ofSeconds(2);
  static final String INFER = "/v2/models/slow/infer";

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;
  static String key;
  /** Products that take about 10 s here: well past the 2 s infer timeout. */
  static long slowProducts;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dataDir, Map.of("modelplane.inference.infer-timeout", INFER_TIMEOUT.toMillis() + "ms",
        "modelplane.inference.cold-start-timeout", "30s"));
    api = new ApiClient(node.baseUrl());
    Map<String, Object> unlimited = new HashMap<>();
    unlimited.put("requestsPerSecond", null);
    unlimited.put("maxConcurrentRequests", null);
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "slowco", "displayName", "Slow", "quota", unlimited))
        .status()).isEqualTo(201);
    key = api.post("/api/v1/tenants/slowco/api-keys", OP, Map.of("name", "k", "role", "developer")).json()
        .get("key").asText();
    Map<String, Object> manifest = Map.of("format", "torchscript",
        "inputs", List.of(Map.of("name", "input", "datatype", "FP32", "shape", List.of(-1, 2))),
        "outputs", List.of(Map.of("name", "output", "datatype", "FP32", "shape", List.of(-1, 2))));
    assertThat(api.upload("slowco", "slow", key, manifest, slowModel()).status()).isEqualTo(201);
    // one request per forward pass: the model reads its loop count from the first row
    assertThat(api.put("/api/v1/tenants/slowco/models/slow/deployment", key,
        Map.of("traffic", Map.of("1", 100), "maxBatchSize", 1)).status()).isEqualTo(202);
    TestNodes.eventually(Duration.ofSeconds(60),
        () -> api.get("/v2/models/slow/ready", key).json().path("ready").asBoolean(), "slow model ready");
    // calibrate on this machine: the best of a few passes well under the timeout (a busy machine only
    // makes the slow pass longer)
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      long started = System.nanoTime();
      assertThat(infer(3_000).status()).isEqualTo(200);
      best = Math.min(best, System.nanoTime() - started);
    }
    slowProducts = Math.min(5_000_000, Math.max(20_000, 3_000L * Duration.ofSeconds(10).toNanos() / best));
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  static byte[] slowModel() {
    try (InputStream in = InferTimeoutTest.class.getResourceAsStream("/io/modelplane/app/slow.pt")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ApiClient.Reply infer(long products) {
    return api.post(INFER, key, Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 2),
        "datatype", "FP32", "data", List.of(products, 1)))));
  }

  /** The first replica of the slow model as GET …/models/slow shows it. */
  static JsonNode replica() {
    return api.get("/api/v1/tenants/slowco/models/slow", key).json().path("replicas").path(0);
  }

  record Timed(ApiClient.Reply reply, long millis) {}

  static CompletableFuture<Timed> inferAsync(long products) {
    return CompletableFuture.supplyAsync(() -> {
      long started = System.nanoTime();
      ApiClient.Reply r = infer(products);
      return new Timed(r, (System.nanoTime() - started) / 1_000_000);
    });
  }

  @Test
  void aForwardPastTheTimeoutAnswers504AtTheDeadlineDropsTheQueuedAndDegradesItsReplicaUntilItEnds() throws Exception {
    CompletableFuture<Timed> running = inferAsync(slowProducts);
    Thread.sleep(300);
    // queued behind the slow pass, and as slow itself: it must never run
    CompletableFuture<Timed> queued = inferAsync(slowProducts);

    Timed first = running.get();
    ManagementApiTest.assertError(first.reply(), 504, "inference_timeout");
    assertThat(first.millis()).as("answered at the deadline, not when the pass ended").isLessThan(4_500);
    Timed second = queued.get();
    ManagementApiTest.assertError(second.reply(), 504, "inference_timeout");
    assertThat(second.millis()).isLessThan(4_500);

    // the slow pass still runs (libtorch cannot stop it): its replica is out of routing meanwhile, and says why
    TestNodes.eventually(Duration.ofSeconds(5), () -> "DEGRADED".equals(replica().path("state").asText()), "degraded");
    assertThat(replica().path("reason").asText()).contains("forward pass");
    assertThat(api.get("/api/v1/tenants/slowco/models/slow", key).json().path("status").asText()).isEqualTo("degraded");
    assertThat(api.get("/v2/models/slow/ready", key).json().path("ready").asBoolean()).isFalse();

    // once it ended the replica serves again, and at once: the timed-out queued request was dropped, not run
    TestNodes.eventually(Duration.ofSeconds(30), () -> "READY".equals(replica().path("state").asText()), "ready again");
    long started = System.nanoTime();
    ApiClient.Reply fast = infer(0);
    long fastMillis = (System.nanoTime() - started) / 1_000_000;
    assertThat(fast.status()).as(fast.toString()).isEqualTo(200);
    assertThat(fast.json().get("outputs").get(0).get("data").get(1).asDouble()).isEqualTo(1.0);
    assertThat(fastMillis).as("not delayed by the dropped request's %d products", slowProducts).isLessThan(2_000);
  }
}
