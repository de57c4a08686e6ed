package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.Address;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.MemberStatus;
import akka.cluster.sharding.ShardRegion;
import akka.cluster.sharding.typed.GetClusterShardingStats;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Down;
import io.modelplane.tenancy.TenantEntity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real nodes (two actor systems in this JVM, one shared journal): tenants spread over both;
 * one node is downed as if it had crashed; every tenant then answers from the survivor, nothing lost.
 */
class ClusterFailoverTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final int TENANTS = 24;

  @Test
  void everyEntityAnswersFromTheSurvivorAfterANodeIsDowned(@TempDir Path dirA, @TempDir Path dirB) {
    Map<String, Object> db = Map.of("modelplane.db.url", "jdbc:h2:mem:failover;DB_CLOSE_DELAY=-1");
    Main.Node a = TestNodes.start(dirA, db);
    Main.Node b = null;
    try {
      Map<String, Object> joinA = new HashMap<>(db);
      joinA.put("modelplane.db.create-schema", false);
      // B will "crash": no graceful leave or shard hand-off when its actor system stops
      joinA.put("akka.coordinated-shutdown.run-by-actor-system-terminate", "off");
      joinA.put("akka.cluster.seed-nodes", List.of(Cluster.get(a.system()).selfMember().address().toString()));
      joinA.putAll(TestNodes.sharingArtifactsOf(a));
      b = Main.init(TestNodes.config(dirB, joinA));
      Main.Node nodeB = b;
      TestNodes.eventually(Duration.ofSeconds(30), () -> upMembers(a) == 2 && upMembers(nodeB) == 2, "both nodes Up");
      TestNodes.awaitReady(b, Duration.ofSeconds(30));

      ApiClient viaA = new ApiClient(a.baseUrl());
      ApiClient viaB = new ApiClient(b.baseUrl());
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < TENANTS; i++) {
        ApiClient via = i % 2 == 0 ? viaA : viaB;
        String id = "spread-" + i;
        ApiClient.Reply created = via.post("/api/v1/tenants", OP, Map.of("id", id, "displayName", "Spread " + i,
            "quota", Map.of("maxModels", i + 1)));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        keys.add(via.post("/api/v1/tenants/" + id + "/api-keys", OP, Map.of("name", "k", "role", "viewer"))
            .json().get("key").asText());
      }

      Map<Address, Integer> entitiesPerNode = tenantsPerNode(a);
      Address addressB = Cluster.get(b.system()).selfMember().address();
      assertThat(entitiesPerNode.getOrDefault(Cluster.get(a.system()).selfMember().address(), 0)).isPositive();
      assertThat(entitiesPerNode.getOrDefault(addressB, 0)).isPositive();

      // B crashes (stops without leaving or handing off its shards); the survivor downs it, as the
      // split-brain resolver would once the failure detector has seen it unreachable.
      b.stop();
      b = null;
      Cluster.get(a.system()).manager().tell(new Down(addressB));
      TestNodes.eventually(Duration.ofSeconds(30),
          () -> Cluster.get(a.system()).state().getMembers().spliterator().estimateSize() == 1, "B removed");

      long start = System.nanoTime();
      for (int i = 0; i < TENANTS; i++) {
        String id = "spread-" + i;
        int expectedMaxModels = i + 1;
        String key = keys.get(i);
        TestNodes.eventually(Duration.ofSeconds(30), () -> {
          ApiClient.Reply r = viaA.get("/api/v1/tenants/" + id, key);
          return r.status() == 200 && r.json().get("quota").get("maxModels").asInt() == expectedMaxModels;
        }, id + " answers from the survivor");
      }
      System.out.printf("all %d tenants answered from the survivor %d ms after B was removed%n",
          TENANTS, (System.nanoTime() - start) / 1_000_000);
      assertThat(viaA.get("/api/v1/tenants", OP).json().get("tenants")).hasSize(TENANTS);
    } finally {
      if (b != null) {
        b.stop();
      }
      a.stop();
    }
  }

  private static int upMembers(Main.Node node) {
    return (int) StreamSupport.stream(Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }

  private static Map<Address, Integer> tenantsPerNode(Main.Node node) {
    TestProbe<ShardRegion.ClusterShardingStats> probe = TestProbe.create(node.system());
    ClusterSharding.get(node.system()).shardState()
        .tell(new GetClusterShardingStats(TenantEntity.ENTITY_KEY, Duration.ofSeconds(5), probe.getRef()));
    ShardRegion.ClusterShardingStats stats = probe.receiveMessage(Duration.ofSeconds(10));
    Map<Address, Integer> perNode = new HashMap<>();
    stats.getRegions().forEach((address, region) ->
        perNode.put(address, region.getStats().values().stream().mapToInt(count -> (Integer) count).sum()));
    return perNode;
  }
}
