package io.modelplane.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.testing.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Starts real nodes for tests: loopback only, random ports, a given data dir and database. */
final class TestNodes {
  static final String OPERATOR_KEY = "test-operator-key-9f2c4e7a1b8d3f6c0e5a2d9b7c4f1e8a";

  private TestNodes() {}

  /** Settings for a node on random ports with its data under {@code dataDir}; {@code extra} on top. */
  static Config config(Path dataDir, Map<String, Object> extra) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("modelplane.http.host", "127.0.0.1");
    settings.put("modelplane.http.port", 0);
    settings.put("modelplane.grpc.port", 0);
    // tests start many nodes: readiness without the warm-up's wait (NodeWarmupTest covers it)
    settings.put("modelplane.warmup.max-duration", "0s");
    settings.put("modelplane.cluster.host", "127.0.0.1");
    settings.put("modelplane.cluster.port", 0);
    settings.put("modelplane.management.port", 0);
    settings.put("modelplane.data-dir", dataDir.toString());
    settings.put("modelplane.operator-key", OPERATOR_KEY);
    settings.put("akka.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    settings.put("akka.loglevel", "WARNING");
    settings.put("modelplane.demo", false);
    // every control and gateway node must hold the same KEK (each would make its own development key
    // otherwise); a worker-only node refuses one
    if (!"worker".equals(extra.get("modelplane.cluster.roles"))) {
      settings.put("modelplane.keys.kek", TEST_KEK);
    }
    settings.putAll(extra);
    return ConfigFactory.parseMap(settings);
  }

  /** The key-encryption key every test node holds (base64 of 32 bytes). */
  static final String TEST_KEK = "dGVzdC1rZWstMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=";

  static Main.Node start(Path dataDir, Map<String, Object> extra) {
    Main.Node node = Main.init(config(dataDir, extra));
    awaitReady(node, Duration.ofSeconds(30));
    return node;
  }

  /** A second node on the same database ({@code db}) that joins {@code seed}'s cluster. */
  static Main.Node startJoining(Main.Node seed, Path dataDir, Map<String, Object> db) {
    Map<String, Object> join = new HashMap<>(db);
    join.put("modelplane.db.create-schema", false);
    join.put("akka.cluster.seed-nodes", java.util.List.of(
        akka.cluster.typed.Cluster.get(seed.system()).selfMember().address().toString()));
    join.putAll(sharingArtifactsOf(seed));
    return start(dataDir, join);
  }

  /**
   * The setting that gives a node {@code seed}'s local artifact store, as nodes on one shared volume
   * have: workers find artifacts by sha256 in their own node's store.
   */
  static Map<String, Object> sharingArtifactsOf(Main.Node seed) {
    Config config = seed.system().settings().config();
    String dir = config.getString("modelplane.artifacts.local-dir");
    return Map.of("modelplane.artifacts.local-dir",
        dir.isBlank() ? Path.of(config.getString("modelplane.data-dir")).resolve("artifacts").toString() : dir);
  }

  /** Polls /v2/health/ready until 200, as a load balancer would. */
  static void awaitReady(Main.Node node, Duration timeout) {
    HttpClient client = HttpClient.newHttpClient();
    eventually(timeout, () -> {
      try {
        return client.send(
            HttpRequest.newBuilder(URI.create(node.baseUrl() + "/v2/health/ready")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
      } catch (Exception e) {
        return false; // not listening yet
      }
    }, "node at " + node.baseUrl() + " ready");
  }

  /**
   * How long tests give a change (quota, revocation, suspension) to reach a node: documented as within a
   * second and measured in milliseconds; the rest is room for a stalled shared CI machine.
   */
  static final Duration PROPAGATION = Duration.ofSeconds(3);

  /** {@link Eventually#eventually}: polls every 100 ms until {@code timeout}. */
  static void eventually(Duration timeout, java.util.function.BooleanSupplier condition, String what) {
    Eventually.eventually(timeout, condition, what);
  }

  /**
   * {@code GET /api/v1/admin/cluster} once it lists a worker: a worker busy past the view's 2 s ask
   * is left out of one answer, not of the next.
   */
  static JsonNode clusterWithWorkers(ApiClient api) {
    JsonNode[] cluster = new JsonNode[1];
    eventually(Duration.ofSeconds(10), () -> {
      cluster[0] = api.get("/api/v1/admin/cluster", OPERATOR_KEY).json();
      return cluster[0].path("workers").size() > 0;
    }, "the cluster view lists a worker");
    return cluster[0];
  }

  /** The demo digits TorchScript model, as uploaded by tests. */
  static byte[] digitsModel() {
    try (java.io.InputStream in = TestNodes.class.getResourceAsStream("/io/modelplane/inference/demo/digits.pt")) {
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * A new tenant ({@code quota} null: the default plan) with digits uploaded and deployed with
   * {@code replicas}, ready on {@code via}; returns a developer key of it.
   */
  static String tenantWithDigits(ApiClient via, String id, Map<String, Object> quota, int replicas) {
    return tenantWithDigits(via, id, null, quota, replicas);
  }

  /** As above, on {@code plan} (null: the default plan). */
  static String tenantWithDigits(ApiClient via, String id, String plan, Map<String, Object> quota, int replicas) {
    Map<String, Object> create = new HashMap<>(Map.of("id", id, "displayName", id));
    if (quota != null) {
      create.put("quota", quota);
    }
    if (plan != null) {
      create.put("plan", plan);
    }
    assertStatus(via.post("/api/v1/tenants", OPERATOR_KEY, create), 201);
    String key = via.post("/api/v1/tenants/" + id + "/api-keys", OPERATOR_KEY, Map.of("name", "k", "role", "developer"))
        .json().get("key").asText();
    assertStatus(via.upload(id, "digits", key, ApiClient.manifest(), digitsModel()), 201);
    assertStatus(via.put("/api/v1/tenants/" + id + "/models/digits/deployment", key,
        Map.of("traffic", Map.of("1", 100), "replicas", replicas)), 202);
    eventually(Duration.ofSeconds(60),
        () -> via.get("/v2/models/digits/ready", key).json().path("ready").asBoolean(), id + " digits ready");
    return key;
  }

  private static void assertStatus(ApiClient.Reply reply, int status) {
    if (reply.status() != status) {
      throw new AssertionError("expected " + status + ", got " + reply);
    }
  }
}
