package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plans and the tenants on them, end to end against a real node (H2 journal on disk). */
class PlansApiTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final Duration READ_SIDE_LAG = Duration.ofSeconds(10);
  static final String PLANS = "/api/v1/admin/plans";

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dataDir, Map.of());
    api = new ApiClient(node.baseUrl());
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  static JsonNode createPlan(String id, Map<String, Object> fields) {
    Map<String, Object> body = new HashMap<>(fields);
    body.put("id", id);
    body.putIfAbsent("displayName", "Plan " + id);
    ApiClient.Reply r = api.post(PLANS, OP, body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json();
  }

  static JsonNode createTenant(String id, Map<String, Object> fields) {
    Map<String, Object> body = new HashMap<>(fields);
    body.put("id", id);
    body.putIfAbsent("displayName", "Tenant " + id);
    ApiClient.Reply r = api.post("/api/v1/tenants", OP, body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json();
  }

  static void assertError(ApiClient.Reply r, int status, String code) {
    ManagementApiTest.assertError(r, status, code);
  }

  static List<String> ids(JsonNode array) {
    return ApiClient.each(array, "id");
  }

  @Test
  void aPlanIsCreatedReadChangedAndDeleted() {
    ApiClient.Reply created = api.post(PLANS, OP, Map.of("id", "gold", "displayName", "Gold",
        "quota", Map.of("requestsPerSecond", 500, "monthlyComputeSeconds", 7200),
        "prices", Map.of("perMillionRequests", 250, "monthlyBase", 9900), "currency", "EUR"));

    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.header("Location")).isEqualTo("/api/v1/admin/plans/gold");
    System.out.println("a plan as answered: " + created.raw().body());
    JsonNode gold = created.json();
    assertThat(gold.get("id").asText()).isEqualTo("gold");
    assertThat(gold.get("displayName").asText()).isEqualTo("Gold");
    // the limits named over the default quota
    assertThat(gold.at("/quota/requestsPerSecond").asDouble()).isEqualTo(500.0);
    assertThat(gold.at("/quota/burst").asInt()).isEqualTo(200);
    assertThat(gold.at("/quota/monthlyComputeSeconds").asLong()).isEqualTo(7200);
    // prices not named are 0
    assertThat(gold.get("prices")).isEqualTo(ApiClient.JSON.valueToTree(Map.of("perMillionRequests", 250,
        "perComputeHour", 0, "perGiBHourResident", 0, "monthlyBase", 9900)));
    assertThat(gold.get("currency").asText()).isEqualTo("EUR");
    assertThat(gold.get("tenants").asInt()).isZero();
    assertThat(gold.get("createdAt").asText()).isEqualTo(gold.get("updatedAt").asText());
    assertThat(api.get(PLANS + "/gold", OP).json()).isEqualTo(gold);

    ApiClient.Reply changed = api.patch(PLANS + "/gold", OP, Map.of("displayName", "Gold 2027",
        "quota", Map.of("burst", 1000), "prices", Map.of("perComputeHour", 1200)));
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
    JsonNode after = changed.json();
    assertThat(after.get("displayName").asText()).isEqualTo("Gold 2027");
    assertThat(after.at("/quota/burst").asInt()).isEqualTo(1000);
    assertThat(after.at("/quota/requestsPerSecond").asDouble()).isEqualTo(500.0);
    assertThat(after.at("/prices/perComputeHour").asLong()).isEqualTo(1200);
    assertThat(after.at("/prices/monthlyBase").asLong()).isEqualTo(9900);
    assertThat(after.get("createdAt")).isEqualTo(gold.get("createdAt"));

    TestNodes.eventually(READ_SIDE_LAG, () -> ids(api.get(PLANS, OP).json().get("items")).contains("gold"),
        "gold listed");
    JsonNode listed = api.get(PLANS, OP).json().get("items");
    assertThat(ids(listed)).isSorted().contains("default", "gold");

    assertThat(api.delete(PLANS + "/gold", OP).status()).isEqualTo(204);
    assertError(api.get(PLANS + "/gold", OP), 404, "plan_not_found");
    assertError(api.delete(PLANS + "/gold", OP), 404, "plan_not_found");
    TestNodes.eventually(READ_SIDE_LAG, () -> !ids(api.get(PLANS, OP).json().get("items")).contains("gold"),
        "gold no longer listed");
    // every change is in the audit log with its actor
    TestNodes.eventually(READ_SIDE_LAG, () -> ApiClient.each(api.get("/api/v1/admin/audit?actor=operator", OP)
        .json().get("entries"), "type").containsAll(List.of("plan_created", "plan_updated", "plan_deleted")),
        "plan changes audited");
  }

  @Test
  void theDefaultPlanAlwaysExistsAndIsProtected() {
    JsonNode plan = api.get(PLANS + "/default", OP).json();
    assertThat(plan.get("id").asText()).isEqualTo("default");
    assertThat(plan.at("/quota/requestsPerSecond").asDouble()).isEqualTo(100.0);
    assertThat(plan.get("currency").asText()).isEqualTo("USD");
    assertThat(plan.at("/prices/monthlyBase").asLong()).isZero();

    assertError(api.delete(PLANS + "/default", OP), 409, "plan_protected");
    assertError(api.post(PLANS, OP, Map.of("id", "default", "displayName", "Again")), 409, "plan_exists");
    assertThat(api.get(PLANS + "/default", OP).status()).isEqualTo(200);
  }

  @Test
  void badPlansAreRefusedWithInvalidPlan() {
    Object[][] bodies = {
        {Map.of("displayName", "No id")},
        {Map.of("id", "Gold!", "displayName", "Bad id")},
        {Map.of("id", "x", "displayName", "Too short")},
        {Map.of("id", "bad-currency", "displayName", "B", "currency", "usd")},
        {Map.of("id", "bad-price", "displayName", "B", "prices", Map.of("monthlyBase", -1))},
        {Map.of("id", "bad-price", "displayName", "B", "prices", Map.of("monthlyBase", 9.5))},
        {Map.of("id", "bad-price", "displayName", "B", "prices", Map.of("monthlyBase", "ten"))},
        {Map.of("id", "bad-price", "displayName", "B", "prices", 5)},
        {Map.of("id", "bad-price", "displayName", "B", "prices", Map.of("perRequest", 1))},
        {Map.of("id", "bad-quota", "displayName", "B", "quota", 5)},
        {Map.of("id", "bad-quota", "displayName", "B", "quota", Map.of("burst", -1))},
        {Map.of("id", "bad-quota", "displayName", "B", "quota", Map.of("requestsPerSecond", "fast"))},
        {Map.of("id", "bad-quota", "displayName", "B", "quota", Map.of("speed", 1))},
        {Map.of("id", "no-name")},
        {Map.of("id", "blank-name", "displayName", "  ")},
        {Map.of("id", "extra", "displayName", "E", "colour", "gold")},
    };
    for (Object[] body : bodies) {
      assertError(api.post(PLANS, OP, body[0]), 400, "invalid_plan");
    }
    assertError(api.raw("POST", PLANS, OP, "application/json", "{\"id\": ".getBytes()), 400, "malformed_json");
    createPlan("patched", Map.of());
    assertError(api.patch(PLANS + "/patched", OP, Map.of("currency", "dollars")), 400, "invalid_plan");
    assertError(api.patch(PLANS + "/patched", OP, Map.of("prices", Map.of("perComputeHour", -5))), 400, "invalid_plan");
    assertError(api.patch(PLANS + "/patched", OP, Map.of("id", "renamed")), 400, "invalid_plan");
    // a malformed body is a 400 even for a plan that does not exist
    assertError(api.patch(PLANS + "/nowhere", OP, Map.of("quota", "none")), 400, "invalid_plan");
    assertError(api.patch(PLANS + "/nowhere", OP, Map.of("displayName", "N")), 404, "plan_not_found");
    assertError(api.get(PLANS + "/Not_A_Plan", OP), 404, "plan_not_found");
    assertError(api.get(PLANS + "/nowhere", OP), 404, "plan_not_found");
    assertError(api.get(PLANS + "?limit=0", OP), 400, "invalid_limit");
    assertError(api.post(PLANS, OP, Map.of("id", "patched", "displayName", "Twice")), 409, "plan_exists");
    // nothing of the refused bodies was created
    assertError(api.get(PLANS + "/bad-price", OP), 404, "plan_not_found");
  }

  @Test
  void onlyTheOperatorManagesPlans() {
    createTenant("plan-outsider", Map.of());
    ApiClient.Reply key = api.post("/api/v1/tenants/plan-outsider/api-keys", OP,
        Map.of("name", "admin", "role", "tenant-admin"));
    assertThat(key.status()).as(key.toString()).isEqualTo(201);
    String admin = key.json().get("key").asText();
    createPlan("guarded", Map.of());

    assertThat(api.get(PLANS, admin).status()).isEqualTo(403);
    assertThat(api.get(PLANS + "/guarded", admin).status()).isEqualTo(403);
    assertThat(api.post(PLANS, admin, Map.of("id", "mine", "displayName", "Mine")).status()).isEqualTo(403);
    assertThat(api.patch(PLANS + "/guarded", admin, Map.of("displayName", "Mine")).status()).isEqualTo(403);
    assertThat(api.delete(PLANS + "/guarded", admin).status()).isEqualTo(403);
    assertThat(api.get(PLANS, null).status()).isEqualTo(401);
    // and nothing changed
    assertThat(api.get(PLANS + "/guarded", OP).json().get("displayName").asText()).isEqualTo("Plan guarded");
    assertError(api.get(PLANS + "/mine", OP), 404, "plan_not_found");
  }

  @Test
  void aTenantOnAPlanHasItsQuotaButForWhatItOverrides() {
    createPlan("silver", Map.of("quota", Map.of("requestsPerSecond", 20, "burst", 40, "maxModels", 5)));

    ApiClient.Reply created = api.post("/api/v1/tenants", OP, Map.of("id", "on-silver", "displayName", "On Silver",
        "plan", "silver", "quota", Map.of("maxModels", 9)));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    System.out.println("a tenant as answered: " + created.raw().body());
    JsonNode tenant = created.json();
    assertThat(tenant.get("plan").asText()).isEqualTo("silver");
    assertThat(tenant.get("quotaOverrides")).isEqualTo(ApiClient.JSON.valueToTree(Map.of("maxModels", 9)));
    assertThat(tenant.at("/quota/requestsPerSecond").asDouble()).isEqualTo(20.0);
    assertThat(tenant.at("/quota/burst").asInt()).isEqualTo(40);
    assertThat(tenant.at("/quota/maxModels").asInt()).isEqualTo(9);
    assertThat(tenant.at("/quota/maxConcurrentRequests").asInt()).isEqualTo(32);

    // the plan's new quota is the tenant's at once, overrides still in force
    assertThat(api.patch(PLANS + "/silver", OP, Map.of("quota", Map.of("burst", 60, "maxModels", 2))).status())
        .isEqualTo(200);
    JsonNode now = api.get("/api/v1/tenants/on-silver", OP).json();
    assertThat(now.at("/quota/burst").asInt()).isEqualTo(60);
    assertThat(now.at("/quota/maxModels").asInt()).isEqualTo(9);

    // overrides: quota adds to them, quotaOverrides replaces them, null is unlimited
    JsonNode more = api.patch("/api/v1/tenants/on-silver", OP,
        Map.of("quota", java.util.Collections.singletonMap("maxResidentBytes", null))).json();
    assertThat(more.get("quotaOverrides").fieldNames()).toIterable().containsExactly("maxModels", "maxResidentBytes");
    assertThat(more.at("/quota/maxResidentBytes").isNull()).isTrue();
    JsonNode none = api.patch("/api/v1/tenants/on-silver", OP, Map.of("quotaOverrides", Map.of())).json();
    assertThat(none.get("quotaOverrides").size()).isZero();
    assertThat(none.at("/quota/maxModels").asInt()).isEqualTo(2);

    // moving to another plan keeps the overrides
    api.patch("/api/v1/tenants/on-silver", OP, Map.of("quota", Map.of("requestsPerSecond", 3)));
    JsonNode moved = api.patch("/api/v1/tenants/on-silver", OP, Map.of("plan", "default")).json();
    assertThat(moved.get("plan").asText()).isEqualTo("default");
    assertThat(moved.at("/quota/requestsPerSecond").asDouble()).isEqualTo(3.0);
    assertThat(moved.at("/quota/burst").asInt()).isEqualTo(200);

    TestNodes.eventually(READ_SIDE_LAG, () -> api.get("/api/v1/tenants/on-silver/history", OP).json().path("events")
        .findValuesAsText("type").contains("plan_terms_changed"), "plan changes in the tenant's history");
  }

  @Test
  void anUnknownPlanIsRefusedForATenant() {
    assertError(api.post("/api/v1/tenants", OP, Map.of("id", "lost-plan", "displayName", "L", "plan", "platinum")),
        400, "unknown_plan");
    assertError(api.post("/api/v1/tenants", OP, Map.of("id", "lost-plan", "displayName", "L", "plan", "Not A Plan")),
        400, "unknown_plan");
    assertThat(api.get("/api/v1/tenants/lost-plan", OP).status()).isEqualTo(404);
    createTenant("stays-put", Map.of());
    assertError(api.patch("/api/v1/tenants/stays-put", OP, Map.of("plan", "platinum")), 400, "unknown_plan");
    assertError(api.patch("/api/v1/tenants/stays-put", OP, Map.of("plan", 7)), 400, "unknown_plan");
    assertError(api.patch("/api/v1/tenants/stays-put", OP, Map.of("quotaOverrides", 7)), 400, "invalid_quota");
    // refused whole: the display name did not change either
    assertError(api.patch("/api/v1/tenants/stays-put", OP, Map.of("plan", "platinum", "displayName", "Moved")),
        400, "unknown_plan");
    JsonNode tenant = api.get("/api/v1/tenants/stays-put", OP).json();
    assertThat(tenant.get("plan").asText()).isEqualTo("default");
    assertThat(tenant.get("displayName").asText()).isEqualTo("Tenant stays-put");
    assertThat(tenant.get("quotaOverrides").size()).isZero();
  }

  @Test
  void aPlanWithTenantsIsNotDeletedAndTheyAreCounted() {
    createPlan("busy", Map.of());
    createTenant("busy-one", Map.of("plan", "busy"));

    TestNodes.eventually(READ_SIDE_LAG, () -> api.get(PLANS + "/busy", OP).json().get("tenants").asInt() == 1,
        "the tenant counted");
    ApiClient.Reply refused = api.delete(PLANS + "/busy", OP);
    assertError(refused, 409, "plan_in_use");
    assertThat(refused.json().get("error").asText()).contains("1 tenant");

    api.patch("/api/v1/tenants/busy-one", OP, Map.of("plan", "default"));
    // the move is counted before the delete is decided: no waiting needed
    assertThat(api.delete(PLANS + "/busy", OP).status()).isEqualTo(204);
  }

  @Test
  void tenantsAreFilteredByPlanStatusAndText() {
    createPlan("bronze", Map.of());
    createTenant("filter-able", Map.of("plan", "bronze", "displayName", "Able Ltd"));
    createTenant("filter-baker", Map.of("plan", "bronze", "displayName", "Baker & Sons"));
    createTenant("filter-charlie", Map.of("displayName", "Charlie Able"));
    assertThat(api.post("/api/v1/tenants/filter-baker/suspend", OP, Map.of()).status()).isEqualTo(200);

    TestNodes.eventually(READ_SIDE_LAG, () -> ids(api.get("/api/v1/tenants?plan=bronze&status=suspended", OP)
        .json().get("tenants")).equals(List.of("filter-baker")), "suspended on bronze");
    assertThat(ids(api.get("/api/v1/tenants?plan=bronze", OP).json().get("tenants")))
        .containsExactly("filter-able", "filter-baker");
    assertThat(ids(api.get("/api/v1/tenants?q=ABLE", OP).json().get("tenants")))
        .containsExactly("filter-able", "filter-charlie");
    assertThat(ids(api.get("/api/v1/tenants?q=able&plan=default", OP).json().get("tenants")))
        .containsExactly("filter-charlie");
    JsonNode page = api.get("/api/v1/tenants?plan=bronze&limit=1", OP).json();
    assertThat(ids(page.get("tenants"))).containsExactly("filter-able");
    assertThat(ids(api.get("/api/v1/tenants?plan=bronze&limit=1&after=" + page.get("next").asText(), OP).json()
        .get("tenants"))).containsExactly("filter-baker");
    JsonNode listed = api.get("/api/v1/tenants?q=baker", OP).json().get("tenants").get(0);
    assertThat(listed.get("plan").asText()).isEqualTo("bronze");
    assertThat(listed.get("quotaOverrides").size()).isZero();
    assertThat(listed.at("/quota/requestsPerSecond").asDouble()).isEqualTo(100.0);
    assertError(api.get("/api/v1/tenants?status=gone", OP), 400, "invalid_status");
    assertError(api.get("/api/v1/tenants?q=" + "x".repeat(201), OP), 400, "invalid_request");
    assertThat(ids(api.get("/api/v1/tenants?plan=nothing-here", OP).json().get("tenants"))).isEmpty();
  }
}
