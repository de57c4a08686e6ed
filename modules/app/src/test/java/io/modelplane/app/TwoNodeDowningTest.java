package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real node processes with MODELPLANE_DOWNING=keep-oldest: kill -9 of the younger node leaves the oldest
 * serving; kill -9 of the oldest makes the younger one down itself (two nodes cannot tell a crash from a
 * partition: only one side may go on, and keep-oldest picks the oldest's). Then a node restarted alone over
 * the same journal is ready only once a deployed model answers.
 */
class TwoNodeDowningTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final Duration START = Duration.ofSeconds(90);
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void keepOldestSurvivesTheLossOfTheYoungerNodeAndARestartIsReadyOnlyWhenModelsAnswer(@TempDir Path dir) throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      Map<String, String> db = Map.of("MODELPLANE_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres",
          "MODELPLANE_DB_USER", "postgres", "MODELPLANE_DB_PASSWORD", "postgres", "MODELPLANE_DOWNING", "keep-oldest");
      int portA = NodeProcess.freePort();
      int portB = NodeProcess.freePort();
      // the lower port first: with keep-majority this node's loss would down the other one too
      String seeds = "127.0.0.1:" + Math.min(portA, portB) + ",127.0.0.1:" + Math.max(portA, portB);
      NodeProcess a = NodeProcess.start(dir.resolve("a"), dir.resolve("a.log"), env(db, seeds, Math.min(portA, portB)));
      NodeProcess b = null;
      try {
        a.awaitReady(START);
        b = NodeProcess.start(dir.resolve("b"), dir.resolve("b.log"), env(db, seeds, Math.max(portA, portB)));
        b.awaitReady(START);
        awaitMembers(a, 2);
        String key = TestNodes.tenantWithDigits(new ApiClient(a.baseUrl()), "survivor", null, 1);

        // the younger node is lost: the oldest stays
        b.kill();
        awaitMembers(a, 1);
        assertSurvives(a, key);

        // it comes back (over the same journal), then the oldest is lost: the younger one downs itself and exits
        b = NodeProcess.start(dir.resolve("b"), dir.resolve("b.log"), env(db, seeds, Math.max(portA, portB)));
        b.awaitReady(START);
        awaitMembers(b, 2);
        a.kill();
        int exit = b.awaitExit(Duration.ofSeconds(60));
        assertThat(b.output()).contains("SBR took decision DownReachable");
        System.out.println("the younger node, left alone, exited with " + exit);

        // the whole cluster restarts over the same journal (A holds the artifacts: the store is local here):
        // ready means a deployed model answers, never 404
        Map<String, String> alone = new HashMap<>(db);
        alone.put("MODELPLANE_CLUSTER_PORT", String.valueOf(Math.min(portA, portB)));
        a = NodeProcess.start(dir.resolve("a"), dir.resolve("a.log"), alone);
        a.awaitReady(START);
        ApiClient.Reply first = new ApiClient(a.baseUrl()).post("/v2/models/digits/infer", key,
            PlacementFeedAcrossNodesTest.one());
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
      } catch (AssertionError | RuntimeException e) {
        System.out.println("node A:\n" + a.tail() + (b == null ? "" : "\nnode B:\n" + b.tail()));
        throw e;
      } finally {
        a.close();
        if (b != null) {
          b.close();
        }
      }
    }
  }

  private static Map<String, String> env(Map<String, String> db, String seeds, int port) {
    Map<String, String> env = new HashMap<>(db);
    env.put("MODELPLANE_SEED_NODES", seeds);
    env.put("MODELPLANE_CLUSTER_PORT", String.valueOf(port));
    return env;
  }

  /** The survivor removed the lost node (SBR), stays Up, ready, and its entities and models answer. */
  private static void assertSurvives(NodeProcess node, String key) throws Exception {
    assertThat(node.isAlive()).isTrue();
    JsonNode members = members(node);
    assertThat(members.path("members").get(0).path("status").asText()).isEqualTo("Up");
    TestNodes.eventually(Duration.ofSeconds(30), () -> status(node.managementUrl() + "/ready") == 200, "ready");
    ApiClient api = new ApiClient(node.baseUrl());
    TestNodes.eventually(Duration.ofSeconds(30), () -> api.get("/api/v1/tenants/survivor", OP).status() == 200,
        "the tenant entity answers");
    TestNodes.eventually(Duration.ofSeconds(60), () -> "1".equals(PlacementFeedAcrossNodesTest.version(api, key)),
        "digits answers");
    assertThat(node.isAlive()).isTrue();
  }

  private static void awaitMembers(NodeProcess node, int count) {
    TestNodes.eventually(Duration.ofSeconds(60), () -> {
      try {
        JsonNode m = members(node);
        return m.path("members").size() == count && m.path("unreachable").isEmpty();
      } catch (Exception e) {
        return false;
      }
    }, count + " reachable members seen by " + node.managementUrl());
  }

  private static JsonNode members(NodeProcess node) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.managementUrl() + "/cluster/members"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(r.body());
  }

  private static int status(String url) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }
}
