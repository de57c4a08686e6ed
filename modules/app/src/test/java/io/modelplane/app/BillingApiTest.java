package io.modelplane.app;

import static io.modelplane.app.ManagementApiTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Statements and the platform overview end to end on a real node: a tenant's predict calls and the memory its
 * model keeps resident show up in both, and every route answers its failures with the documented codes.
 */
class BillingApiTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;
  static String developerKey;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dataDir, Map.of("modelplane.resident-sample-interval", "1s"));
    api = new ApiClient(node.baseUrl());
    developerKey = TestNodes.tenantWithDigits(api, "billed", null, 1);
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  static String key(String tenant, String role) {
    ApiClient.Reply r = api.post("/api/v1/tenants/" + tenant + "/api-keys", OP, Map.of("name", role, "role", role));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json().get("key").asText();
  }

  static void createTenant(String id) {
    ApiClient.Reply r = api.post("/api/v1/tenants", OP, Map.of("id", id, "displayName", "Tenant " + id));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
  }

  static HttpResponse<String> csv(String path, String credential) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
        .header("Authorization", "Bearer " + credential).header("Accept", "text/csv").GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode tenantIn(JsonNode list, String field, String tenant) {
    for (JsonNode item : list) {
      if (item.path(field).asText().equals(tenant)) {
        return item;
      }
    }
    return null;
  }

  @Test
  void aTenantsPredictCallsShowInTheOverviewAndInTheMonthsStatement() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(api.post("/v2/models/digits/infer", developerKey, UsageApiTest.rows(3)).status()).isEqualTo(200);
    }
    assertThat(api.post("/v2/models/nope/infer", developerKey, UsageApiTest.rows(1)).status()).isEqualTo(404);

    JsonNode[] overview = new JsonNode[1];
    TestNodes.eventually(Duration.ofSeconds(10), () -> {
      overview[0] = api.get("/api/v1/admin/overview", OP).json();
      JsonNode t = tenantIn(overview[0].path("lastHour").path("tenants"), "tenant", "billed");
      return t != null && t.path("requests").asLong() == 6;
    }, "the calls in the overview");
    JsonNode billed = tenantIn(overview[0].path("lastHour").path("tenants"), "tenant", "billed");
    assertThat(billed.path("errors").asLong()).isEqualTo(1);
    assertThat(billed.path("p50Ms").asDouble()).isPositive();
    assertThat(billed.path("p99Ms").asDouble()).isGreaterThanOrEqualTo(billed.path("p50Ms").asDouble());
    assertThat(billed.path("computeSeconds").asDouble()).isPositive();
    assertThat(tenantIn(overview[0].path("topByCompute"), "tenant", "billed")).isNotNull();
    assertThat(overview[0].path("tenants").path("total").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(overview[0].path("tenants").path("active").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(overview[0].path("models").path("byStatus").path("deployed").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(overview[0].path("lastHour").path("from").asText()).endsWith(":00Z");

    String month = YearMonth.now(ZoneOffset.UTC).toString();
    JsonNode[] statement = new JsonNode[1];
    // the sampler writes the resident digits model within a second or two
    TestNodes.eventually(Duration.ofSeconds(15), () -> {
      statement[0] = api.get("/api/v1/tenants/billed/billing?month=" + month, OP).json();
      return statement[0].path("usage").path("residentGiBHours").asDouble() > 0;
    }, "the resident model in the statement");
    JsonNode s = statement[0];
    assertThat(s.path("tenant").asText()).isEqualTo("billed");
    assertThat(s.path("month").asText()).isEqualTo(month);
    assertThat(s.path("plan").asText()).isEqualTo("default");
    assertThat(s.path("currency").asText()).isEqualTo("USD");
    assertThat(s.path("usage").path("requests").asLong()).isEqualTo(6);
    assertThat(s.path("usage").path("errors").asLong()).isEqualTo(1);
    assertThat(s.path("usage").path("items").asLong()).isEqualTo(15);
    assertThat(s.path("usage").path("computeSeconds").asDouble()).isPositive();
    List<String> items = new ArrayList<>();
    s.path("lines").forEach(line -> items.add(line.path("item").asText()));
    assertThat(items).containsExactly("base", "requests", "compute", "resident");
    assertThat(s.path("lines").get(1).path("quantity").asDouble()).isEqualTo(5e-6); // errors are not billed
    assertThat(s.path("prices").has("perMillionRequests")).isTrue();
    assertThat(s.path("total").isIntegralNumber()).isTrue();
    // no month given: this month
    assertThat(api.get("/api/v1/tenants/billed/billing", OP).json().path("month").asText()).isEqualTo(month);

    JsonNode all = api.get("/api/v1/admin/billing?month=" + month, OP).json();
    assertThat(all.path("month").asText()).isEqualTo(month);
    assertThat(all.path("from").asText()).isEqualTo(month + "-01T00:00:00Z");
    JsonNode inAll = tenantIn(all.path("statements"), "tenant", "billed");
    assertThat(inAll.path("usage").path("requests").asLong()).isEqualTo(6);
    assertThat(all.path("totals").get(0).path("currency").asText()).isEqualTo("USD");

    HttpResponse<String> csv = csv("/api/v1/tenants/billed/billing?month=" + month, OP);
    assertThat(csv.statusCode()).isEqualTo(200);
    assertThat(csv.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/csv"));
    String[] lines = csv.body().split("\r\n");
    assertThat(lines[0]).isEqualTo("month,tenant,plan,currency,item,description,quantity,unit,unitPrice,amount,total");
    assertThat(lines).hasSize(5);
    assertThat(lines[2]).startsWith(month + ",billed,default,USD,requests,");
    HttpResponse<String> allCsv = csv("/api/v1/admin/billing?month=" + month, OP);
    assertThat(allCsv.statusCode()).isEqualTo(200);
    assertThat(allCsv.body()).contains("\r\n" + month + ",billed,default,USD,base,");

    // a restart: the statement comes from the tables alone (resident bytes keep being sampled, so that
    // part grows while the model stays loaded)
    node.stop();
    node = TestNodes.start(dataDir, Map.of("modelplane.resident-sample-interval", "1s"));
    api = new ApiClient(node.baseUrl());
    JsonNode after = api.get("/api/v1/tenants/billed/billing?month=" + month, OP).json();
    assertThat(after.path("usage").path("requests")).isEqualTo(s.path("usage").path("requests"));
    assertThat(after.path("usage").path("items")).isEqualTo(s.path("usage").path("items"));
    assertThat(after.path("usage").path("computeSeconds")).isEqualTo(s.path("usage").path("computeSeconds"));
    assertThat(after.path("lines").get(1)).isEqualTo(s.path("lines").get(1));
    assertThat(after.path("lines").get(2)).isEqualTo(s.path("lines").get(2));
    assertThat(after.path("usage").path("residentGiBHours").asDouble())
        .isGreaterThanOrEqualTo(s.path("usage").path("residentGiBHours").asDouble());
  }

  @Test
  void theTenantAdminReadsItsOwnStatementAndNobodyElseDoes() throws Exception {
    String admin = key("billed", "tenant-admin");
    assertThat(api.get("/api/v1/tenants/billed/billing", admin).status()).isEqualTo(200);
    assertThat(csv("/api/v1/tenants/billed/billing", admin).statusCode()).isEqualTo(200);
    assertError(api.get("/api/v1/tenants/billed/billing", developerKey), 403, "forbidden");
    assertError(api.get("/api/v1/tenants/billed/billing", key("billed", "viewer")), 403, "forbidden");
    createTenant("other-billed");
    String otherAdmin = key("other-billed", "tenant-admin");
    assertError(api.get("/api/v1/tenants/billed/billing", otherAdmin), 404, "tenant_not_found");
    assertError(api.get("/api/v1/tenants/nobody-here/billing", OP), 404, "tenant_not_found");
    // the platform's routes are the operator's
    assertError(api.get("/api/v1/admin/billing", admin), 403, "forbidden");
    assertError(api.get("/api/v1/admin/overview", admin), 403, "forbidden");
    assertError(api.get("/api/v1/admin/overview", null), 401, "missing_credential");
  }

  @Test
  void aMalformedOrFutureMonthIsInvalid() {
    String next = YearMonth.now(ZoneOffset.UTC).plusMonths(1).toString();
    for (String month : List.of("2026-13", "2026-1", "abc", "2026-11-01", next)) {
      assertError(api.get("/api/v1/admin/billing?month=" + month, OP), 400, "invalid_month");
      assertError(api.get("/api/v1/tenants/billed/billing?month=" + month, OP), 400, "invalid_month");
    }
    // a past month without usage: the base only (the default plan is free)
    JsonNode past = api.get("/api/v1/tenants/billed/billing?month=2020-01", OP).json();
    assertThat(past.path("usage").path("requests").asLong()).isZero();
    assertThat(past.path("total").asLong()).isZero();
  }

  @Test
  void suspendedTenantsAreBilledAndCountedAsSuspended() {
    createTenant("dormant");
    assertThat(api.post("/api/v1/tenants/dormant/suspend", OP, Map.of()).status()).isEqualTo(200);
    TestNodes.eventually(ManagementApiTest.READ_SIDE_LAG, () -> {
      JsonNode all = api.get("/api/v1/admin/billing", OP).json();
      JsonNode overview = api.get("/api/v1/admin/overview", OP).json();
      return tenantIn(all.path("statements"), "tenant", "dormant") != null
          && overview.path("tenants").path("suspended").asLong() >= 1;
    }, "the suspended tenant billed and counted");
  }
}
