package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes, one journal: deployments reach placement from the journal alone (no route tells it, and
 * nothing re-reads periodically), in force on both nodes; a suspension made on one node is refused on
 * the other; and when the placement singleton moves, the new one reads the desired deployments from the
 * placement tables and places them again.
 */
class PlacementFeedAcrossNodesTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @Test
  void deploymentsFollowTheJournalOnEveryNodeAndSurviveThePlacementSingletonMoving(@TempDir Path dataDir) {
    Map<String, Object> db = Map.of("modelplane.db.url", "jdbc:h2:mem:feed-nodes;DB_CLOSE_DELAY=-1");
    Main.Node a = TestNodes.start(dataDir, db);
    Main.Node b = null;
    try {
      b = TestNodes.startJoining(a, dataDir, db);
      Main.Node nodeB = b;
      TestNodes.eventually(Duration.ofSeconds(30), () -> upMembers(a) == 2 && upMembers(nodeB) == 2, "both nodes Up");
      ApiClient viaA = new ApiClient(a.baseUrl());
      ApiClient viaB = new ApiClient(b.baseUrl());

      String key = TestNodes.tenantWithDigits(viaA, "fed", null, 1);
      assertThat(viaA.upload("fed", "digits", key, ApiClient.manifest(), TestNodes.digitsModel()).status()).isEqualTo(201);
      assertThat(version(viaB, key)).isEqualTo("1");

      // a deploy made on A: B answers from the new version once placement heard of it and loaded it
      long deployed = System.nanoTime();
      assertThat(viaA.put("/api/v1/tenants/fed/models/digits/deployment", key, Map.of("traffic", Map.of("2", 100)))
          .status()).isEqualTo(202);
      TestNodes.eventually(Duration.ofSeconds(30), () -> "2".equals(version(viaB, key)), "version 2 answering on B");
      System.out.printf("deploy on A answered from on B after %d ms (including the load)%n",
          (System.nanoTime() - deployed) / 1_000_000);
      TestNodes.eventually(Duration.ofSeconds(30), () -> "2".equals(version(viaA, key)), "version 2 answering on A");

      // a rollback made on B: A answers from version 1 again
      assertThat(viaB.post("/api/v1/tenants/fed/models/digits/deployment/rollback", key, Map.of()).status()).isEqualTo(202);
      TestNodes.eventually(Duration.ofSeconds(30), () -> "1".equals(version(viaA, key)), "version 1 answering on A");
      TestNodes.eventually(Duration.ofSeconds(30), () -> "1".equals(version(viaB, key)), "version 1 answering on B");

      // suspended on B: refused on both, at once here and within the propagation bound on A
      assertThat(viaB.post("/api/v1/tenants/fed/suspend", OP, Map.of()).status()).isEqualTo(200);
      assertThat(viaB.post("/v2/models/digits/infer", key, one()).status()).isEqualTo(403);
      TestNodes.eventually(TestNodes.PROPAGATION, () -> viaA.post("/v2/models/digits/infer", key, one()).status() == 403,
          "suspension in force on A");
      assertThat(viaA.post("/api/v1/tenants/fed/resume", OP, Map.of()).status()).isEqualTo(200);
      TestNodes.eventually(TestNodes.PROPAGATION, () -> viaB.post("/v2/models/digits/infer", key, one()).status() == 200,
          "resumed on B");

      // A (the oldest node: it runs the placement singleton) leaves; B's new singleton reads the tables
      a.stop();
      TestNodes.eventually(Duration.ofSeconds(30), () -> upMembers(nodeB) == 1, "A gone");
      TestNodes.eventually(Duration.ofSeconds(60), () -> "1".equals(version(viaB, key)), "version 1 answering on B alone");
      TestNodes.eventually(Duration.ofSeconds(10), () -> {
        var replicas = viaB.get("/api/v1/tenants/fed/models/digits", key).json().get("replicas");
        // A's worker left with A: the one ready replica is the one the new singleton placed on B
        return replicas.size() == 1 && "READY".equals(replicas.get(0).get("state").asText());
      }, "the replica placed on B by the new singleton");
    } finally {
      if (b != null) {
        b.stop();
      }
      a.stop();
    }
  }

  static Map<String, Object> one() {
    List<Double> pixels = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      pixels.add((double) (i % 16));
    }
    return Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64), "datatype", "FP32", "data", pixels)));
  }

  /** The version that answered a predict call (null if it was refused). */
  static String version(ApiClient via, String key) {
    ApiClient.Reply r = via.post("/v2/models/digits/infer", key, one());
    return r.status() == 200 ? r.json().path("model_version").asText() : null;
  }

  static long upMembers(Main.Node node) {
    return StreamSupport.stream(Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }
}
