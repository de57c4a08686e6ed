package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.Address;
import akka.cluster.typed.Cluster;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two real nodes: a control+gateway+worker node holding the journal, and a worker-only node in the
 * dedicated pool {@code acme-only} started with no database settings at all. The worker-only node
 * serves a model without any credential or journal; only the pooled tenant's replicas go there.
 */
class WorkerIsolationTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final String POOL = "acme-only";

  @TempDir static Path controlDir;
  @TempDir static Path workerDir;
  static Main.Node control;
  static Main.Node worker;
  static ApiClient api;
  static String workerAddress;
  static String controlAddress;

  /** A node's cluster address as worker ids name it: host:port. */
  static String hostPort(Main.Node node) {
    Address a = Cluster.get(node.system()).selfMember().address();
    return a.getHost().orElseThrow() + ":" + a.getPort().orElseThrow();
  }

  static Map<String, Object> workerSettings() {
    Map<String, Object> settings = new HashMap<>();
    settings.put("modelplane.cluster.roles", "worker");
    settings.put("modelplane.operator-key", ""); // TestNodes gives every node one; a worker-only node takes none
    settings.put("modelplane.inference.worker-pool", POOL);
    settings.put("akka.cluster.seed-nodes", List.of(Cluster.get(control.system()).selfMember().address().toString()));
    settings.putAll(TestNodes.sharingArtifactsOf(control));
    return settings;
  }

  @BeforeAll
  static void start() {
    control = TestNodes.start(controlDir, Map.of(
        "modelplane.db.url", "jdbc:h2:mem:isolation;DB_CLOSE_DELAY=-1",
        "modelplane.cluster.roles", "control,gateway,worker",
        "modelplane.resident-sample-interval", "1s"));
    worker = TestNodes.start(workerDir, workerSettings());
    workerAddress = hostPort(worker);
    controlAddress = hostPort(control);
    api = new ApiClient(control.baseUrl());
    TestNodes.eventually(Duration.ofSeconds(30), () -> api.get("/api/v1/admin/cluster", OP).json()
        .path("workers").size() == 2, "both workers listed");
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.stop();
    }
    if (control != null) {
      control.stop();
    }
  }

  @Test
  void theWorkerOnlyNodeHasNoDatabaseSettingsAndWroteNoJournal() throws IOException {
    Config running = worker.system().settings().config();
    String db = "akka-persistence-jdbc.shared-databases.slick.db.";
    assertThat(running.getString(db + "url")).isEmpty();
    assertThat(running.getString(db + "user")).isEmpty();
    assertThat(running.getString(db + "password")).isEmpty();
    assertThat(running.getString("modelplane.db.url")).isEmpty();
    // the control node's journal is where it should be; the worker's data dir holds no database file
    assertThat(control.system().settings().config().getString(db + "url")).startsWith("jdbc:h2:mem:isolation");
    try (Stream<Path> files = Files.walk(workerDir)) {
      assertThat(files.map(p -> workerDir.relativize(p).toString()))
          .noneMatch(name -> name.startsWith("journal") || name.endsWith(".db") || name.contains("operator-key"));
    }
    JsonNode workers = api.get("/api/v1/admin/cluster", OP).json().get("workers");
    assertThat(workers).anySatisfy(w -> {
      assertThat(w.get("workerId").asText()).isEqualTo(workerAddress + "/cpu0");
      assertThat(w.get("pool").asText()).isEqualTo(POOL);
    });
    assertThat(new ApiClient(worker.baseUrl()).get("/v2/health/ready", null).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"modelplane.db.url", "modelplane.db.user", "modelplane.db.password",
      "modelplane.keycloak.admin-password", "modelplane.operator-key"})
  void aWorkerOnlyNodeGivenACredentialRefusesToStartAndSaysWhich(String setting) {
    Map<String, Object> settings = workerSettings();
    settings.put(setting, "s3cret-value-42");
    assertThatThrownBy(() -> Main.init(TestNodes.config(workerDir, settings)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("worker-only nodes must not be given database credentials")
        .hasMessageContaining("MODELPLANE_" + setting.substring("modelplane.".length())
            .replace("keycloak.", "KEYCLOAK_").replace("db.", "DB_").replace('-', '_').toUpperCase())
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
  }

  @Test
  void aWorkerOnlyNodeGivenAKeyEncryptionKeyRefusesToStart() {
    Map<String, Object> settings = workerSettings();
    settings.put("modelplane.keys.kek", TestNodes.TEST_KEK);
    settings.put("modelplane.keys.kek-file", "/run/secrets/kek");
    assertThatThrownBy(() -> Main.init(TestNodes.config(workerDir, settings)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("MODELPLANE_KEK, MODELPLANE_KEK_FILE")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TestNodes.TEST_KEK));
  }

  @Test
  void aModelResidentOnlyOnTheWorkerOnlyNodeIsBilledFromTheControlNodesSamples() {
    ApiClient.Reply created = api.post("/api/v1/tenants", OP,
        Map.of("id", "initech", "displayName", "Initech", "workerPool", POOL));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String key = deployDigits("initech", 1);
    assertThat(predict(key).status()).isEqualTo(200);
    assertThat(replicas("initech", key)).allSatisfy(r ->
        assertThat(r.get("worker").asText()).isEqualTo(workerAddress + "/cpu0"));
    // the worker-only node has no database: its resident bytes reach the usage tables through the control node
    TestNodes.eventually(Duration.ofSeconds(15), () -> api.get("/api/v1/tenants/initech/billing", OP).json()
        .path("usage").path("residentGiBHours").asDouble() > 0, "the pooled model's resident bytes billed");
  }

  @Test
  void aPooledTenantIsServedOnlyOnItsPoolAndNoOtherTenantLandsThere() {
    ApiClient.Reply created = api.post("/api/v1/tenants", OP,
        Map.of("id", "acme", "displayName", "Acme", "workerPool", POOL));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().get("workerPool").asText()).isEqualTo(POOL);
    String acme = deployDigits("acme", 1);
    assertThat(predict(acme).status()).isEqualTo(200);
    assertThat(replicas("acme", acme)).singleElement().satisfies(r -> {
      assertThat(r.get("state").asText()).isEqualTo("READY");
      assertThat(r.get("worker").asText()).isEqualTo(workerAddress + "/cpu0");
    });

    // another tenant wants two replicas: one on the shared worker, the other waits rather than use acme's
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "globex", "displayName", "Globex")).status()).isEqualTo(201);
    String globex = deployDigits("globex", 2);
    assertThat(predict(globex).status()).isEqualTo(200);
    List<JsonNode> globexReplicas = replicas("globex", globex);
    assertThat(globexReplicas).hasSize(2);
    assertThat(globexReplicas).noneMatch(r -> r.path("worker").asText().contains(workerAddress));
    // the control node's own worker is named by its address too, as in the cluster view (not a local-only path)
    assertThat(globexReplicas).anySatisfy(r -> {
      assertThat(r.get("state").asText()).isEqualTo("READY");
      assertThat(r.get("worker").asText()).isEqualTo(controlAddress + "/cpu0");
    });
    assertThat(api.get("/api/v1/admin/cluster", OP).json().get("workers").findValuesAsText("workerId"))
        .containsExactlyInAnyOrder(controlAddress + "/cpu0", workerAddress + "/cpu0");
    assertThat(globexReplicas).anySatisfy(r -> {
      assertThat(r.get("state").asText()).isEqualTo("PENDING");
      assertThat(r.get("reason").asText()).startsWith("no worker has");
    });

    // the pool is the operator's to set: a tenant's own admin cannot move itself
    String admin = api.post("/api/v1/tenants/acme/api-keys", OP, Map.of("name", "admin", "role", "tenant-admin"))
        .json().get("key").asText();
    assertThat(api.patch("/api/v1/tenants/acme", admin, Map.of("workerPool", "shared")).status()).isEqualTo(403);
    assertThat(api.patch("/api/v1/tenants/acme", OP, Map.of("workerPool", "Not A Pool")).code())
        .isEqualTo("invalid_worker_pool");

    // moved to a pool with no worker: its replica leaves acme-only and waits, with the reason
    ApiClient.Reply moved = api.patch("/api/v1/tenants/acme", OP, Map.of("workerPool", "acme-gpu"));
    assertThat(moved.status()).as(moved.toString()).isEqualTo(200);
    TestNodes.eventually(Duration.ofSeconds(10), () -> {
      List<JsonNode> now = replicas("acme", acme);
      return now.size() == 1 && now.get(0).get("state").asText().equals("PENDING")
          && now.get(0).get("reason").asText().equals("no worker of pool acme-gpu is available");
    }, "acme's replica pending on pool acme-gpu");
    TestNodes.eventually(Duration.ofSeconds(10), () -> api.get("/api/v1/admin/cluster", OP).json().get("workers")
        .findValues("models").stream().flatMap(m -> ApiClient.each(m, "key").stream())
        .noneMatch(k -> k.startsWith("acme/")), "acme's replica unloaded");
    TestNodes.eventually(ManagementApiTest.READ_SIDE_LAG, () -> ApiClient.each(
        api.get("/api/v1/tenants/acme/history", OP).json().get("events"), "type").contains("worker_pool_changed"),
        "the pool change in the tenant's history");
  }

  private static String deployDigits(String tenant, int replicas) {
    String key = api.post("/api/v1/tenants/" + tenant + "/api-keys", OP, Map.of("name", "k", "role", "developer"))
        .json().get("key").asText();
    assertThat(api.upload(tenant, "digits", key, ApiClient.manifest(), TestNodes.digitsModel()).status()).isEqualTo(201);
    assertThat(api.put("/api/v1/tenants/" + tenant + "/models/digits/deployment", key,
        Map.of("traffic", Map.of("1", 100), "replicas", replicas)).status()).isEqualTo(202);
    TestNodes.eventually(Duration.ofSeconds(60),
        () -> api.get("/v2/models/digits/ready", key).json().path("ready").asBoolean(), tenant + " digits ready");
    return key;
  }

  private static List<JsonNode> replicas(String tenant, String key) {
    List<JsonNode> list = new ArrayList<>();
    api.get("/api/v1/tenants/" + tenant + "/models/digits", key).json().get("replicas").forEach(list::add);
    return list;
  }

  private static ApiClient.Reply predict(String key) {
    List<Double> pixels = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      pixels.add((double) (i % 16));
    }
    return api.post("/v2/models/digits/infer", key, Map.of("inputs",
        List.of(Map.of("name", "input", "shape", List.of(1, 64), "datatype", "FP32", "data", pixels))));
  }
}
