package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.ShardRegion;
import io.modelplane.identity.Secrets;
import io.modelplane.tenancy.TenantEntity;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys naming tenants that do not exist are refused without waking a tenant entity, in the time a
 * wrong secret of a real tenant takes; and an address whose requests keep failing authentication
 * is cut off with 429 before any credential is looked at.
 */
class UnknownTenantKeysTest {
  @TempDir
  static Path dataDir;
  static Main.Node node;
  static InetSocketAddress server;
  static String key;

  @BeforeAll
  static void start() {
    // room for the measured failures from 127.0.0.1; the cut-off is shown from another address
    node = TestNodes.start(dataDir, Map.of("modelplane.http.failed-auth-burst", 1000,
        "modelplane.http.failed-auth-per-second", 1));
    server = node.httpAddress();
    ApiClient api = new ApiClient(node.baseUrl());
    assertThat(api.post("/api/v1/tenants", TestNodes.OPERATOR_KEY, Map.of("id", "known", "displayName", "k"))
        .status()).isEqualTo(201);
    key = api.post("/api/v1/tenants/known/api-keys", TestNodes.OPERATOR_KEY,
        Map.of("name", "k", "role", "tenant-admin")).json().get("key").asText();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
  }

  private static int status(String local, String credential) {
    return response(local, credential).status();
  }

  private static RawHttp.Response response(String local, String credential) {
    return RawHttp.exchange(server, local, RawHttp.request("GET", "/api/v1/tenants/known",
        Map.of("Authorization", "Bearer " + credential), null).getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));
  }

  private static String randomTenantKey() {
    return "mp_t" + Secrets.randomHex(8) + "." + Secrets.randomHex(6) + "_" + Secrets.randomHex(32);
  }

  private static int tenantEntities() throws Exception {
    ShardRegion.CurrentShardRegionState state = AskPattern.<akka.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
        ClusterSharding.get(node.system()).shardState(),
        replyTo -> new GetShardRegionState(TenantEntity.ENTITY_KEY, replyTo),
        Duration.ofSeconds(5), node.system().scheduler()).toCompletableFuture().get();
    return state.getShards().stream().mapToInt(s -> s.getEntityIds().size()).sum();
  }

  @Test
  void unknownTenantsWakeNoEntityAndAnswerAsFastAsAWrongSecret() throws Exception {
    assertThat(status("127.0.0.1", key)).isEqualTo(200);
    String wrongSecret = key.substring(0, key.lastIndexOf('_') + 1) + Secrets.randomHex(32);
    // warm up both paths
    for (int i = 0; i < 50; i++) {
      status("127.0.0.1", randomTenantKey());
      status("127.0.0.1", wrongSecret);
    }
    int before = tenantEntities();
    List<Long> unknown = new ArrayList<>();
    List<Long> wrong = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      long start = System.nanoTime();
      assertThat(status("127.0.0.1", randomTenantKey())).isEqualTo(401);
      unknown.add(System.nanoTime() - start);
      start = System.nanoTime();
      assertThat(status("127.0.0.1", wrongSecret)).isEqualTo(401);
      wrong.add(System.nanoTime() - start);
    }
    int after = tenantEntities();
    double unknownMedian = median(unknown) / 1e6;
    double wrongMedian = median(wrong) / 1e6;
    System.out.printf("tenant entities before %d, after 300 random-tenant keys %d; median ms: unknown tenant %.3f,"
        + " known tenant wrong secret %.3f%n", before, after, unknownMedian, wrongMedian);

    assertThat(after).as("tenant entities after 300 keys of unknown tenants").isEqualTo(before);
    assertThat(unknownMedian).as("median ms, unknown tenant vs wrong secret (%.3f)", wrongMedian)
        .isLessThan(1.5 * wrongMedian + 0.3);
  }

  @Test
  void aTenantCreatedNowIsKnownAtOnce() {
    ApiClient api = new ApiClient(node.baseUrl());
    assertThat(api.post("/api/v1/tenants", TestNodes.OPERATOR_KEY, Map.of("id", "newcomer", "displayName", "n"))
        .status()).isEqualTo(201);
    String fresh = api.post("/api/v1/tenants/newcomer/api-keys", TestNodes.OPERATOR_KEY,
        Map.of("name", "k", "role", "tenant-admin")).json().get("key").asText();
    assertThat(api.get("/api/v1/tenants/newcomer", fresh).status()).isEqualTo(200);
  }

  @Test
  void anAddressThatKeepsFailingAuthenticationIsCutOffWith429() {
    String attacker = "127.0.0.3";
    int refused = 0;
    RawHttp.Response last = null;
    for (int i = 0; i < 1_100 && refused == 0; i++) {
      last = response(attacker, randomTenantKey());
      if (last.status() == 429) {
        refused++;
      } else {
        assertThat(last.status()).isEqualTo(401);
      }
    }
    assertThat(refused).as("a 429 after the burst of failures").isPositive();
    assertThat(last.contentType()).startsWith("application/json");
    assertThat(last.json().path("code").asText()).isEqualTo("too_many_failed_authentications");
    assertThat(last.headers()).containsKey("retry-after");
    // while cut off, even a valid key from that address waits; other addresses are not affected
    assertThat(status(attacker, key)).isEqualTo(429);
    assertThat(status("127.0.0.4", key)).isEqualTo(200);
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
