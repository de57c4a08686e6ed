package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.javadsl.Adapter;
import akka.management.javadsl.AkkaManagement;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Akka Management's probes on a real node: alive, ready (the same answer as /v2/health/ready), members, read-only. */
class HealthProbesTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  @Test
  void managementAnswersLikeTheApiAndAcceptsNoMembershipChange() throws Exception {
    Main.Node node = TestNodes.start(dir, Map.of());
    try {
      String management = managementUrl(node);
      assertThat(management).doesNotEndWith(":0");
      assertThat(get(management + "/alive").statusCode()).isEqualTo(200);
      assertThat(get(management + "/ready").statusCode()).isEqualTo(200);
      assertThat(get(node.baseUrl() + "/v2/health/ready").statusCode()).isEqualTo(200);

      HttpResponse<String> members = get(management + "/cluster/members");
      assertThat(members.statusCode()).isEqualTo(200);
      JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(members.body());
      assertThat(body.path("members")).hasSize(1);
      assertThat(body.path("members").get(0).path("status").asText()).isEqualTo("Up");
      String self = body.path("selfNode").asText();

      // read-only: no leave or down over HTTP
      HttpResponse<String> leave = send(HttpRequest.newBuilder(URI.create(management + "/cluster/members/" + self))
          .method("DELETE", HttpRequest.BodyPublishers.noBody()).build());
      assertThat(leave.statusCode()).isIn(404, 405);
      HttpResponse<String> down = send(HttpRequest.newBuilder(URI.create(management + "/cluster/members/" + self))
          .PUT(HttpRequest.BodyPublishers.ofString("operation=Down"))
          .header("Content-Type", "application/x-www-form-urlencoded").build());
      assertThat(down.statusCode()).isIn(404, 405);
      assertThat(get(management + "/cluster/members").statusCode()).isEqualTo(200);
      assertThat(get(management + "/ready").statusCode()).isEqualTo(200);
    } finally {
      node.stop();
    }
  }

  @Test
  void notReadyOnceShutdownHasBegun() throws Exception {
    Main.Node node = TestNodes.start(dir, Map.of());
    String management = managementUrl(node);
    String api = node.baseUrl();
    CompletableFuture<Void> holding = new CompletableFuture<>();
    // hold the shutdown in its first phase, where both servers still answer
    CoordinatedShutdown.get(node.system()).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "hold-for-test",
        () -> holding.thenApply(v -> akka.Done.getInstance()));
    CoordinatedShutdown.get(node.system()).run(CoordinatedShutdown.unknownReason());
    try {
      // Akka Management answers a failed check with 500 and names it
      TestNodes.eventually(Duration.ofSeconds(5), () -> status(management + "/ready") == 500,
          "/ready says 500, not " + status(management + "/ready"));
      assertThat(body(management + "/ready")).contains("Not Healthy");
      assertThat(status(api + "/v2/health/ready")).isEqualTo(503);
      assertThat(status(management + "/alive")).isEqualTo(200);
    } finally {
      holding.complete(null);
      node.stopped().get(60, TimeUnit.SECONDS);
    }
  }

  /** The management server's base URL (its port is a free one in tests). */
  static String managementUrl(Main.Node node) throws Exception {
    return AkkaManagement.get(Adapter.toClassic(node.system())).start().toCompletableFuture()
        .get(10, TimeUnit.SECONDS).toString().replaceAll("/$", "");
  }

  private static int status(String url) {
    try {
      return get(url).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static String body(String url) {
    try {
      return get(url).body();
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build());
  }

  private static HttpResponse<String> send(HttpRequest request) throws Exception {
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
