package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up warm-up: bounded, harmless when it fails, and invisible to tenants. */
class NodeWarmupTest {

  @TempDir Path dir;

  @Test
  void withoutAnHttpAddressItDecodesAndEncodesUntilItsBound() {
    NodeWarmup.Result r = NodeWarmup.warm(null, Duration.ofMillis(300));
    assertThat(r.codecRounds()).isPositive();
    assertThat(r.httpAnswered() + r.httpFailed()).isZero();
    assertThat(r.took()).isBetween(Duration.ofMillis(300), Duration.ofSeconds(30));
  }

  @Test
  void nothingListeningEndsTheHttpPartAtTheFirstFailureNotTheWarmUp() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    NodeWarmup.Result r = NodeWarmup.warm(new InetSocketAddress("127.0.0.1", closed), Duration.ofMillis(500));
    assertThat(r.httpFailed()).as("no second try").isEqualTo(1);
    assertThat(r.httpAnswered()).isZero();
    // the decoding and encoding went on to the bound
    assertThat(r.codecRounds()).isPositive();
    assertThat(r.took()).isBetween(Duration.ofMillis(500), Duration.ofSeconds(30));
  }

  @Test
  void aWarmUpThatCannotRunCompletesAndTheNodeStartsAnyway() throws Exception {
    NodeWarmup.Result r = NodeWarmup.run(null, Duration.ofSeconds(1), task -> {
      throw new RejectedExecutionException("no threads");
    }).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(r.codecRounds()).isZero();
  }

  @Test
  void aNodeWarmsUpWithinItsBoundBeforeItIsReadyAndNoTenantSeesIt() throws Exception {
    long started = System.nanoTime();
    Main.Node node = TestNodes.start(dir, Map.of("modelplane.warmup.max-duration", "2s"));
    try {
      Duration toReady = Duration.ofNanos(System.nanoTime() - started);
      assertThat(toReady).as("readiness waits for the warm-up, no longer").isGreaterThanOrEqualTo(Duration.ofSeconds(2))
          .isLessThan(Duration.ofSeconds(60));
      ApiClient api = new ApiClient(node.baseUrl());
      assertThat(api.get("/v2/health/ready", null).status()).isEqualTo(200);
      // nothing admitted, metered or audited: no predict request, no usage row, no audit entry
      String metrics = api.get("/metrics", TestNodes.OPERATOR_KEY).raw().body();
      assertThat(metrics).doesNotContain("modelplane_predict_requests_total{")
          .doesNotContain("modelplane_admission_decisions_total{");
      JsonNode usage = api.get("/api/v1/admin/usage", TestNodes.OPERATOR_KEY).json();
      assertThat(usage.toString()).doesNotContain("warm");
      JsonNode audit = api.get("/api/v1/admin/audit", TestNodes.OPERATOR_KEY).json();
      assertThat(audit.path("entries")).isEmpty();
    } finally {
      node.stop();
    }
  }
}
