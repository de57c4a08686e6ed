package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every change is an event in the journal: a node stopped and started again has all of it, on H2 and on PostgreSQL. */
class JournalDurabilityTest {
  private static final Logger log = LoggerFactory.getLogger(JournalDurabilityTest.class);
  static final String OP = TestNodes.OPERATOR_KEY;

  @Test
  void stateSurvivesARestartOnTheH2File(@TempDir Path dataDir) {
    survivesRestart(dataDir, Map.of(), "H2");
  }

  @Test
  void aStoppedNodeHasClosedItsDatabase(@TempDir Path dataDir) throws Exception {
    Main.Node node = TestNodes.start(dataDir, Map.of());
    ApiClient api = new ApiClient(node.baseUrl());
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "closing", "displayName", "Closing")).status()).isEqualTo(201);
    node.stop();
    // an H2 file database stays open while any connection to it is: opened again in this JVM, a
    // database the node left open would show its sessions (the journal's pool, the usage store's)
    String url = "jdbc:h2:file:" + dataDir.resolve("journal").resolve("modelplane") + ";IFEXISTS=TRUE";
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, "", "");
        java.sql.ResultSet sessions = c.createStatement().executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS")) {
      sessions.next();
      assertThat(sessions.getInt(1)).as("sessions open after stop(), this one included").isEqualTo(1);
    }
  }

  @Test
  void stateSurvivesARestartOnPostgres(@TempDir Path dataDir) throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      Map<String, Object> db = Map.of(
          "modelplane.db.url", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres",
          "modelplane.db.user", "postgres",
          "modelplane.db.password", "postgres");
      survivesRestart(dataDir, db, "PostgreSQL");
    }
  }

  private void survivesRestart(Path dataDir, Map<String, Object> db, String label) {
    String devKey;
    Main.Node first = TestNodes.start(dataDir, db);
    try {
      ApiClient api = new ApiClient(first.baseUrl());
      Map<String, Object> create = new HashMap<>(Map.of("id", "durable", "displayName", "Durable Ltd",
          "quota", Map.of("maxModels", 5, "requestsPerSecond", 25)));
      assertThat(api.post("/api/v1/tenants", OP, create).status()).isEqualTo(201);
      devKey = api.post("/api/v1/tenants/durable/api-keys", OP, Map.of("name", "dev", "role", "developer"))
          .json().get("key").asText();
      String revoked = api.post("/api/v1/tenants/durable/api-keys", OP, Map.of("name", "old", "role", "viewer"))
          .json().get("id").asText();
      assertThat(api.delete("/api/v1/tenants/durable/api-keys/" + revoked, OP).status()).isEqualTo(204);
      assertThat(api.upload("durable", "digits", devKey, ApiClient.manifest(), TestModels.distinct(20_000, 7))
          .status()).isEqualTo(201);
      assertThat(api.upload("durable", "digits", devKey, ApiClient.manifest(), TestModels.distinct(20_000, 8))
          .status()).isEqualTo(201);
      assertThat(api.put("/api/v1/tenants/durable/models/digits/deployment", devKey,
          Map.of("traffic", Map.of("1", 100))).status()).isEqualTo(202);
      assertThat(api.put("/api/v1/tenants/durable/models/digits/deployment", devKey,
          Map.of("traffic", Map.of("1", 50, "2", 50))).status()).isEqualTo(202);
      assertThat(api.post("/api/v1/tenants/durable/suspend", OP, Map.of()).status()).isEqualTo(200);
      assertThat(api.post("/api/v1/tenants/durable/resume", OP, Map.of()).status()).isEqualTo(200);
      assertThat(api.patch("/api/v1/tenants/durable", OP, Map.of("displayName", "Durable plc")).status()).isEqualTo(200);
      logLatency(api, label);
    } finally {
      first.stop();
    }

    Main.Node second = TestNodes.start(dataDir, db);
    try {
      ApiClient api = new ApiClient(second.baseUrl());
      JsonNode tenant = api.get("/api/v1/tenants/durable", OP).json();
      assertThat(tenant.get("displayName").asText()).isEqualTo("Durable plc");
      assertThat(tenant.get("status").asText()).isEqualTo("active");
      assertThat(tenant.get("quota").get("maxModels").asInt()).isEqualTo(5);
      assertThat(ApiClient.each(api.get("/api/v1/tenants/durable/api-keys", OP).json().get("apiKeys"), "name"))
          .containsExactly("dev");
      JsonNode model = api.get("/api/v1/tenants/durable/models/digits", devKey).json();
      assertThat(model.get("versions")).hasSize(2);
      assertThat(model.get("deployment").get("revision").asInt()).isEqualTo(2);
      assertThat(model.get("deployment").get("traffic").get("2").asInt()).isEqualTo(50);
      // the history is projected again from where the first node's read side had got to
      TestNodes.eventually(ManagementApiTest.READ_SIDE_LAG, () -> api.get("/api/v1/tenants/durable/models/digits/history",
          devKey).json().get("events").size() == 4, "the model's history");
      // the rollback stack survived too
      assertThat(api.post("/api/v1/tenants/durable/models/digits/deployment/rollback", devKey, Map.of())
          .json().get("revision").asInt()).isEqualTo(1);
    } finally {
      second.stop();
    }
  }

  /** Median latency of a read and a write through HTTP, for the record (not asserted: shared machines are noisy). */
  private static void logLatency(ApiClient api, String label) {
    int n = 50;
    long[] reads = new long[n];
    long[] writes = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      api.get("/api/v1/tenants/durable", OP);
      reads[i] = System.nanoTime() - t0;
      long t1 = System.nanoTime();
      api.patch("/api/v1/tenants/durable", OP, Map.of("quota", Map.of("burst", 100 + i)));
      writes[i] = System.nanoTime() - t1;
    }
    java.util.Arrays.sort(reads);
    java.util.Arrays.sort(writes);
    String line = String.format("%s journal: GET tenant p50 %.2f ms, PATCH tenant (read + persist) p50 %.2f ms",
        label, reads[n / 2] / 1e6, writes[n / 2] / 1e6);
    log.warn(line);
    System.out.println(line);
  }
}
