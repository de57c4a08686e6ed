package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metering end to end on PostgreSQL: every predict answer (by status) shows in the usage API; a
 * node killed without a graceful shutdown loses none of what was answered more than the
 * documented window (2 s) before; a new node on the same database sees it all.
 */
class UsageApiTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  /** What a crash may lose: the meter's flush interval (1 s) plus a flush. */
  // documented: 1 s between writes plus two writes' time; the rest is room for a stalled CI machine
  static final Duration LOSS_WINDOW = Duration.ofSeconds(3);

  @TempDir static Path dataDir;
  static EmbeddedPostgres pg;
  static Map<String, Object> db;
  static Main.Node node;
  static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    pg = EmbeddedPostgres.builder().start();
    db = Map.of(
        "modelplane.db.url", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres",
        "modelplane.db.user", "postgres",
        "modelplane.db.password", "postgres",
        // stopping a node's actor system is then a crash: no graceful shutdown, no last flush
        "akka.coordinated-shutdown.run-by-actor-system-terminate", "off");
    node = TestNodes.start(dataDir, db);
    api = new ApiClient(node.baseUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.stop();
    }
    pg.close();
  }

  static String tenantWithDigits(ApiClient via, String id, Map<String, Object> quota) {
    return TestNodes.tenantWithDigits(via, id, quota, 1);
  }

  static Map<String, Object> rows(int n) {
    List<List<Double>> data = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      List<Double> row = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        row.add((double) ((i + r) % 16));
      }
      data.add(row);
    }
    return Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(n, 64), "datatype", "FP32", "data", data)));
  }

  static String usagePath(String tenant, Instant from, String step) {
    return "/api/v1/tenants/" + tenant + "/usage?step=" + step + "&from=" + from + "&to="
        + Instant.now().plus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.HOURS); // even if the test crosses an hour
  }

  /** Sums of the usage rows: requests, items, errors, and requests per status. */
  record Totals(long requests, long items, long errors, double computeMillis, Map<String, Long> statuses) {
    static Totals of(JsonNode rows) {
      long requests = 0;
      long items = 0;
      long errors = 0;
      double compute = 0;
      Map<String, Long> statuses = new HashMap<>();
      for (JsonNode row : rows) {
        requests += row.get("requests").asLong();
        items += row.get("items").asLong();
        errors += row.get("errors").asLong();
        compute += row.get("computeMillis").asDouble();
        row.get("statuses").fields().forEachRemaining(e -> statuses.merge(e.getKey(), e.getValue().asLong(), Long::sum));
      }
      return new Totals(requests, items, errors, compute, statuses);
    }
  }

  @Test
  void everyAnswerIsMeteredByStatusAndSurvivesAKilledNode() {
    Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(1, ChronoUnit.MINUTES);
    String key = tenantWithDigits(api, "metered", Map.of("requestsPerSecond", 1000, "burst", 1000));
    for (int i = 0; i < 7; i++) {
      assertThat(api.post("/v2/models/digits/infer", key, rows(3)).status()).isEqualTo(200);
    }
    for (int i = 0; i < 2; i++) {
      assertThat(api.post("/v2/models/digits/infer", key, Map.of("inputs", List.of(Map.of("name", "input",
          "shape", List.of(1, 5), "datatype", "FP32", "data", List.of(1, 2, 3, 4, 5))))).status()).isEqualTo(422);
    }
    assertThat(api.raw("POST", "/v2/models/digits/infer", key, "application/json", "{not json".getBytes()).status())
        .isEqualTo(400);
    assertThat(api.post("/v2/models/digits/versions/9/infer", key, rows(1)).status()).isEqualTo(404);

    String path = usagePath("metered", from, "minute");
    TestNodes.eventually(Duration.ofSeconds(5), () -> Totals.of(api.get(path, OP).json()
        .get("rows")).requests() == 11, "usage flushed");
    Totals totals = Totals.of(api.get(path, OP).json().get("rows"));
    assertThat(totals.statuses()).containsExactlyInAnyOrderEntriesOf(Map.of("200", 7L, "422", 2L, "400", 1L, "404", 1L));
    assertThat(totals.items()).isEqualTo(7 * 3); // the refused requests ran nothing
    assertThat(totals.errors()).isEqualTo(4);
    assertThat(totals.computeMillis()).isPositive();
    JsonNode row = api.get(usagePath("metered", from, "hour"), OP).json().get("rows").get(0);
    assertThat(row.get("model").asText()).isIn("digits", "");
    assertThat(row.has("start") && row.has("version")).isTrue();
    // the operator's view of every tenant has the same counts for this one
    Totals platform = platformTotals("metered", from);
    assertThat(platform.requests()).isEqualTo(11);
    assertThat(platform.statuses()).isEqualTo(totals.statuses());
    assertThat(platform.items()).isEqualTo(totals.items());

    // answered now, then the node dies abruptly (no graceful shutdown, no last flush)
    for (int i = 0; i < 5; i++) {
      assertThat(api.post("/v2/models/digits/infer", key, rows(1)).status()).isEqualTo(200);
    }
    java.util.concurrent.locks.LockSupport.parkNanos(LOSS_WINDOW.toNanos());
    Main.Node killed = node;
    node = null;
    killed.system().terminate(); // the node's meter is abandoned, as in a crash
    killed.stopped().join();

    node = TestNodes.start(dataDir, db); // a new node on the same database (and artifact store)
    api = new ApiClient(node.baseUrl());
    Totals after = Totals.of(api.get(path, OP).json().get("rows"));
    assertThat(after.requests()).as("nothing answered %s before the crash is lost", LOSS_WINDOW).isEqualTo(16);
    assertThat(after.statuses().get("200")).isEqualTo(12);
    assertThat(platformTotals("metered", from).requests()).isEqualTo(16);
  }

  /** Sums of one tenant's rows in {@code GET /api/v1/admin/usage} (minute step, from {@code from}). */
  static Totals platformTotals(String tenant, Instant from) {
    ApiClient.Reply r = api.get("/api/v1/admin/usage?step=minute&from=" + from + "&to="
        + Instant.now().plus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.HOURS), OP);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    com.fasterxml.jackson.databind.node.ArrayNode mine = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
    r.json().get("rows").forEach(row -> {
      if (row.get("tenant").asText().equals(tenant)) {
        mine.add(row);
      }
    });
    return Totals.of(mine);
  }

  @Test
  void usageIsForTheTenantAdminAndTheOperatorAndBadQueriesAre400() {
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "usage-a", "displayName", "A")).status()).isEqualTo(201);
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "usage-b", "displayName", "B")).status()).isEqualTo(201);
    String admin = api.post("/api/v1/tenants/usage-a/api-keys", OP, Map.of("name", "a", "role", "tenant-admin"))
        .json().get("key").asText();
    String viewer = api.post("/api/v1/tenants/usage-a/api-keys", OP, Map.of("name", "v", "role", "viewer"))
        .json().get("key").asText();
    ApiClient.Reply empty = api.get("/api/v1/tenants/usage-a/usage", admin);
    assertThat(empty.status()).isEqualTo(200);
    assertThat(empty.json().get("step").asText()).isEqualTo("hour");
    assertThat(empty.json().get("rows")).isEmpty();
    assertThat(api.get("/api/v1/tenants/usage-a/usage?step=day", OP).status()).isEqualTo(200);
    ApiClient.Reply withOffset = api.get("/api/v1/tenants/usage-a/usage?step=hour&from=2026-11-26T09:00:00%2B01:00"
        + "&to=2026-11-26T10:00:00Z", admin);
    assertThat(withOffset.status()).isEqualTo(200);
    assertThat(withOffset.json().get("from").asText()).isEqualTo("2026-11-26T08:00:00Z");

    ManagementApiTest.assertError(api.get("/api/v1/tenants/usage-a/usage", viewer), 403, "forbidden");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/usage-b/usage", admin), 404, "tenant_not_found");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/nobody-here/usage", OP), 404, "tenant_not_found");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/usage-a/usage?step=week", admin), 400, "invalid_step");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/usage-a/usage?from=yesterday", admin), 400, "invalid_time");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/usage-a/usage?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z",
        admin), 400, "invalid_range");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/usage-a/usage?step=minute&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z",
        admin), 400, "range_too_large");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/usage-a/usage", null), 401, "missing_credential");

    // every tenant's usage is the operator's alone
    ApiClient.Reply platform = api.get("/api/v1/admin/usage?step=day", OP);
    assertThat(platform.status()).as(platform.toString()).isEqualTo(200);
    assertThat(platform.json().get("step").asText()).isEqualTo("day");
    assertThat(platform.json().has("rows")).isTrue();
    ManagementApiTest.assertError(api.get("/api/v1/admin/usage", admin), 403, "forbidden");
    ManagementApiTest.assertError(api.get("/api/v1/admin/usage?step=fortnight", OP), 400, "invalid_step");
    ManagementApiTest.assertError(api.get("/api/v1/admin/usage?step=minute&from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z",
        OP), 400, "range_too_large");
  }

  @Test
  void anExhaustedBudgetIs429BudgetExhaustedAndOtherTenantsAreUnaffected() {
    String spent = tenantWithDigits(api, "spent", Map.of("monthlyComputeSeconds", 0));
    String other = tenantWithDigits(api, "unspent", Map.of("monthlyComputeSeconds", 3600));
    ApiClient.Reply refused = api.post("/v2/models/digits/infer", spent, rows(1));
    ManagementApiTest.assertError(refused, 429, "budget_exhausted");
    assertThat(Long.parseLong(refused.header("Retry-After"))).isPositive(); // until the next month starts
    assertThat(refused.header("RateLimit-Limit")).isEqualTo("0"); // the budget, in seconds
    assertThat(refused.header("RateLimit-Remaining")).isEqualTo("0");
    assertThat(refused.header("RateLimit-Reset")).isEqualTo(refused.header("Retry-After"));
    assertThat(api.post("/v2/models/digits/infer", other, rows(1)).status()).isEqualTo(200);

    Map<String, Object> unlimited = new HashMap<>();
    unlimited.put("monthlyComputeSeconds", null);
    assertThat(api.patch("/api/v1/tenants/spent", OP, Map.of("quota", unlimited)).status()).isEqualTo(200);
    TestNodes.eventually(TestNodes.PROPAGATION,
        () -> api.post("/v2/models/digits/infer", spent, rows(1)).status() == 200, "a lifted budget in force");
  }
}
