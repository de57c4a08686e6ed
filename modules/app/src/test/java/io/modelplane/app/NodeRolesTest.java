package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.ShardRegion;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import io.modelplane.tenancy.TenantEntity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A control-only node and a gateway-only node in one cluster: the control node hosts the entities
 * and serves only the health endpoints; the gateway serves the API and reaches the entities remotely.
 */
class NodeRolesTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @TempDir static Path controlDir;
  @TempDir static Path gatewayDir;
  static Main.Node control;
  static Main.Node gateway;

  @BeforeAll
  static void start() {
    String db = "jdbc:h2:mem:node-roles;DB_CLOSE_DELAY=-1";
    control = TestNodes.start(controlDir, Map.of("modelplane.db.url", db, "modelplane.cluster.roles", "control"));
    gateway = TestNodes.start(gatewayDir, Map.of("modelplane.db.url", db, "modelplane.cluster.roles", "gateway",
        "modelplane.db.create-schema", false,
        "akka.cluster.seed-nodes", List.of(Cluster.get(control.system()).selfMember().address().toString())));
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.stop();
    }
    if (control != null) {
      control.stop();
    }
  }

  @Test
  void aControlOnlyNodeIsReadyButServesNoApi() {
    ApiClient api = new ApiClient(control.baseUrl());
    assertThat(api.get("/v2/health/ready", null).status()).isEqualTo(200);
    assertThat(api.get("/v2/health/live", null).status()).isEqualTo(200);
    assertThat(api.get("/api/v1/tenants", OP).status()).isEqualTo(404);
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "nowhere", "displayName", "x")).status()).isEqualTo(404);
    assertThat(api.post("/v2/models/digits/infer", OP, Map.of("inputs", List.of())).status()).isEqualTo(404);
    assertThat(api.get("/metrics", OP).status()).isEqualTo(404);
  }

  @Test
  void theGatewayServesTheApiWhileTheEntitiesLiveOnTheControlNode() throws Exception {
    ApiClient api = new ApiClient(gateway.baseUrl());
    ApiClient.Reply created = api.post("/api/v1/tenants", OP, Map.of("id", "roles-co", "displayName", "Roles"));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(api.get("/api/v1/tenants/roles-co", OP).status()).isEqualTo(200);

    assertThat(tenantEntities(gateway.system())).as("the gateway holds a proxy only").isZero();
    assertThat(tenantEntities(control.system())).as("the tenant lives on the control node").isPositive();
  }

  @Test
  void aNodeThatCannotBindItsHttpPortFailsToStartWithTheReason(@TempDir Path dir) {
    Map<String, Object> busy = Map.of("modelplane.db.url", "jdbc:h2:mem:node-roles-busy;DB_CLOSE_DELAY=-1",
        "modelplane.http.port", gateway.httpAddress().getPort());
    assertThatThrownBy(() -> Main.init(TestNodes.config(dir, busy)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("node did not start")
        .hasMessageContaining(String.valueOf(gateway.httpAddress().getPort()));
    // the gateway that holds the port is unaffected
    assertThat(new ApiClient(gateway.baseUrl()).get("/v2/health/ready", null).status()).isEqualTo(200);
  }

  private static int tenantEntities(ActorSystem<?> system) throws Exception {
    ShardRegion.CurrentShardRegionState state = AskPattern.<akka.cluster.sharding.typed.ClusterShardingQuery,
        ShardRegion.CurrentShardRegionState>ask(ClusterSharding.get(system).shardState(),
        replyTo -> new GetShardRegionState(TenantEntity.ENTITY_KEY, replyTo),
        Duration.ofSeconds(5), system.scheduler()).toCompletableFuture().get();
    return state.getShards().stream().mapToInt(s -> s.getEntityIds().size()).sum();
  }
}
