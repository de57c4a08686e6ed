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
 * A control-only node, a gateway-only node and a worker-only node in one cluster: the control node hosts
 * the entities and serves only the health endpoints; the gateway serves the API and reaches the entities
 * remotely; neither the gateway nor the worker hosts a shard, and the worker has no database.
 */
class NodeRolesTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @TempDir static Path controlDir;
  @TempDir static Path gatewayDir;
  @TempDir static Path workerDir;
  static Main.Node control;
  static Main.Node gateway;
  static Main.Node worker;

  @BeforeAll
  static void start() {
    String db = "jdbc:h2:mem:node-roles;DB_CLOSE_DELAY=-1";
    control = TestNodes.start(controlDir, Map.of("modelplane.db.url", db, "modelplane.cluster.roles", "control"));
    gateway = TestNodes.start(gatewayDir, Map.of("modelplane.db.url", db, "modelplane.cluster.roles", "gateway",
        "modelplane.db.create-schema", false,
        "akka.cluster.seed-nodes", List.of(Cluster.get(control.system()).selfMember().address().toString())));
    worker = TestNodes.start(workerDir, Map.of("modelplane.cluster.roles", "worker", "modelplane.operator-key", "",
        "akka.cluster.seed-nodes", List.of(Cluster.get(control.system()).selfMember().address().toString())));
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.stop();
    }
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

  @Test
  void onlyTheControlNodeHostsShardsAndTheWorkerHasNoDatabase() throws Exception {
    // a message through each node's region reaches the entity on the control node
    for (Main.Node node : List.of(gateway, worker)) {
      TenantEntity.Reply reply = ClusterSharding.get(node.system()).entityRefFor(TenantEntity.ENTITY_KEY, "_probe")
          .<TenantEntity.Reply>ask(TenantEntity.Get::new, Duration.ofSeconds(5)).toCompletableFuture().get();
      assertThat(reply).isNotNull();
    }
    List<akka.cluster.sharding.typed.javadsl.EntityTypeKey<?>> keys = List.of(TenantEntity.ENTITY_KEY,
        io.modelplane.registry.ModelEntity.ENTITY_KEY, io.modelplane.tenancy.plan.PlanEntity.ENTITY_KEY);
    for (var key : keys) {
      assertThat(shards(worker.system(), key)).as("%s shards on the worker", key.name()).isZero();
      assertThat(shards(gateway.system(), key)).as("%s shards on the gateway", key.name()).isZero();
    }
    assertThat(shards(control.system(), TenantEntity.ENTITY_KEY)).isPositive();
    assertThat(shards(gateway.system(), io.modelplane.tenancy.admission.QuotaEntity.ENTITY_KEY)).isZero();

    // no database: neither the journal's nor any other connection is configured on the worker
    com.typesafe.config.Config config = worker.system().settings().config();
    assertThat(config.getString("akka-persistence-jdbc.shared-databases.slick.db.url")).isEmpty();
    assertThat(config.getString("modelplane.db.url")).isEmpty();
    assertThat(config.getString("modelplane.db.password")).isEmpty();
    assertThat(config.getString("modelplane.operator-key")).isEmpty();
    // it serves only health on its HTTP port, and is ready
    ApiClient api = new ApiClient(worker.baseUrl());
    assertThat(api.get("/v2/health/ready", null).status()).isEqualTo(200);
    assertThat(api.get("/api/v1/tenants", OP).status()).isEqualTo(404);
    assertThat(Cluster.get(worker.system()).selfMember().getRoles()).contains("worker").doesNotContain("control", "gateway");
  }

  private static int shards(ActorSystem<?> system, akka.cluster.sharding.typed.javadsl.EntityTypeKey<?> key)
      throws Exception {
    ShardRegion.CurrentShardRegionState state = AskPattern.<akka.cluster.sharding.typed.ClusterShardingQuery,
        ShardRegion.CurrentShardRegionState>ask(ClusterSharding.get(system).shardState(),
        replyTo -> new GetShardRegionState(key, replyTo), Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture().get();
    return state.getShards().size();
  }

  private static int tenantEntities(ActorSystem<?> system) throws Exception {
    ShardRegion.CurrentShardRegionState state = AskPattern.<akka.cluster.sharding.typed.ClusterShardingQuery,
        ShardRegion.CurrentShardRegionState>ask(ClusterSharding.get(system).shardState(),
        replyTo -> new GetShardRegionState(TenantEntity.ENTITY_KEY, replyTo),
        Duration.ofSeconds(5), system.scheduler()).toCompletableFuture().get();
    return state.getShards().stream().mapToInt(s -> s.getEntityIds().size()).sum();
  }
}
