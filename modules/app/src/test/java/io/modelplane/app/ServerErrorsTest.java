package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's own answers (requests too malformed to reach a route, a route too slow for the
 * request timeout) are in the JSON error format like every other error; and the connection
 * deadlines close what is too slow to be a request.
 */
class ServerErrorsTest {
  @TempDir
  static Path dataDir;
  static Main.Node node;
  static InetSocketAddress server;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dataDir, Map.of(
        "akka.http.server.request-timeout", "2s",
        "modelplane.http.header-timeout", "2s",
        "modelplane.http.body-idle-timeout", "2s",
        // no worker has room for a model: a predict waits for its replica (the cold start) past the request timeout
        "modelplane.inference.worker-memory-bytes", "1 KiB"));
    server = node.httpAddress();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
  }

  private static void assertJsonError(RawHttp.Response r, int status, String code) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.contentType()).as(r.toString()).startsWith("application/json");
    assertThat(r.json().path("error").asText()).as(r.toString()).isNotBlank();
    assertThat(r.json().path("code").asText()).as(r.toString()).isEqualTo(code);
  }

  @Test
  void malformedRequestsAreAnsweredInJson() {
    assertJsonError(RawHttp.exchange(server, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n"),
        400, "malformed_request");
    assertJsonError(RawHttp.exchange(server,
        "POST /api/v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"), 400, "malformed_request");
    assertJsonError(RawHttp.exchange(server, "POST /api/v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"), 400, "malformed_request");
    assertJsonError(RawHttp.exchange(server, "GET /" + "a".repeat(5_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"),
        414, "uri_too_long");
    String manyHeaders = IntStream.range(0, 200).mapToObj(i -> "X-H" + i + ": v\r\n").collect(Collectors.joining());
    assertJsonError(RawHttp.exchange(server, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n" + manyHeaders + "\r\n"),
        431, "headers_too_large");
    assertJsonError(RawHttp.exchange(server, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: "
        + "b".repeat(20_000) + "\r\n\r\n"), 431, "headers_too_large");
  }

  @Test
  void aRouteSlowerThanTheRequestTimeoutIsAnsweredInJson() {
    ApiClient api = new ApiClient(node.baseUrl());
    assertThat(api.post("/api/v1/tenants", TestNodes.OPERATOR_KEY, Map.of("id", "slowroute", "displayName", "s"))
        .status()).isEqualTo(201);
    String key = api.post("/api/v1/tenants/slowroute/api-keys", TestNodes.OPERATOR_KEY,
        Map.of("name", "k", "role", "developer")).json().get("key").asText();
    assertThat(api.upload("slowroute", "digits", key, ApiClient.manifest(), TestNodes.digitsModel()).status())
        .isEqualTo(201);
    assertThat(api.put("/api/v1/tenants/slowroute/models/digits/deployment", key,
        Map.of("traffic", Map.of("1", 100))).status()).isEqualTo(202);

    String predict = RawHttp.request("POST", "/v2/models/digits/infer", Map.of("Authorization", "Bearer " + key),
        "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":["
            + IntStream.range(0, 64).mapToObj(i -> "0").collect(Collectors.joining(",")) + "]}]}");
    // the deployment reaches the routing table from the journal a moment after the PUT: until then the
    // answer is at once a 503 to retry (model_loading), which is not the slow route this test is about
    java.util.concurrent.atomic.AtomicLong start = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicReference<RawHttp.Response> answer = new java.util.concurrent.atomic.AtomicReference<>();
    TestNodes.eventually(Duration.ofSeconds(30), () -> {
      start.set(System.nanoTime());
      answer.set(RawHttp.exchange(server, predict));
      return !"model_loading".equals(answer.get().json().path("code").asText());
    }, "the deployment in the routing table");
    RawHttp.Response r = answer.get();
    assertJsonError(r, 503, "request_timeout");
    assertThat(r.headers()).containsKey("retry-after");
    assertThat(Duration.ofNanos(System.nanoTime() - start.get())).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void aConnectionWithoutACompleteRequestHeadIsClosedAfterTheHeaderTimeout() throws Exception {
    try (java.net.Socket slow = RawHttp.connect(server, "127.0.0.1")) {
      slow.setSoTimeout(10_000);
      long start = System.nanoTime();
      slow.getOutputStream().write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n".getBytes());
      int read;
      try {
        read = slow.getInputStream().read();
      } catch (java.net.SocketException reset) {
        read = -1;
      }
      assertThat(read).as("the server closed the connection").isEqualTo(-1);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1_500), Duration.ofSeconds(6));
    }
  }

  @Test
  void aBodyThatStopsArrivingIsAnswered408() throws Exception {
    try (java.net.Socket slow = RawHttp.connect(server, "127.0.0.1")) {
      slow.setSoTimeout(10_000);
      slow.getOutputStream().write(("POST /api/v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
          + TestNodes.OPERATOR_KEY + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":").getBytes());
      assertJsonError(RawHttp.read(slow.getInputStream()), 408, "body_timeout");
    }
  }
}
