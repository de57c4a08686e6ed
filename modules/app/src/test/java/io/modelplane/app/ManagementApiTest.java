package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The management API of API.md end to end against a real node (H2 journal on disk). */
class ManagementApiTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final long MAX_ARTIFACT = 256 * 1024;
  /** How long tests give a change to reach the read tables (the poll interval plus handler time; room for a slow CI). */
  static final Duration READ_SIDE_LAG = Duration.ofSeconds(10);

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dataDir, Map.of("modelplane.api.max-artifact-bytes", MAX_ARTIFACT));
    api = new ApiClient(node.baseUrl());
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  /** A real model (uploads are admitted), distinct per seed, of about 80 KB plus {@code padding}. */
  static byte[] artifact(int padding, long seed) {
    return TestModels.distinct(padding, seed);
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  static void createTenant(String id, Object quota) {
    Map<String, Object> body = new java.util.HashMap<>(Map.of("id", id, "displayName", "Tenant " + id));
    if (quota != null) {
      body.put("quota", quota);
    }
    ApiClient.Reply r = api.post("/api/v1/tenants", OP, body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
  }

  static String apiKey(String tenant, String role) {
    ApiClient.Reply r = api.post("/api/v1/tenants/" + tenant + "/api-keys", OP, Map.of("name", role + " key", "role", role));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json().get("key").asText();
  }

  static long storedArtifacts() throws Exception {
    Path root = dataDir.resolve("artifacts");
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  static void assertError(ApiClient.Reply r, int status, String code) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.raw().headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
    assertThat(r.code()).as(r.toString()).isEqualTo(code);
    assertThat(r.json().get("error").asText()).isNotBlank();
    assertThat(r.raw().body()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Nested
  class HealthAndDocs {
    @Test
    void liveAndReadyNeedNoCredential() {
      assertThat(api.get("/v2/health/live", null).json().get("live").asBoolean()).isTrue();
      ApiClient.Reply ready = api.get("/v2/health/ready", null);
      assertThat(ready.status()).isEqualTo(200);
      assertThat(ready.json().get("ready").asBoolean()).isTrue();
    }

    @Test
    void openApiDocumentDescribesEveryEndpoint() {
      ApiClient.Reply r = api.get("/api/v1/openapi.yaml", null);
      assertThat(r.status()).isEqualTo(200);
      Map<String, Object> doc = new org.yaml.snakeyaml.Yaml().load(r.raw().body());
      @SuppressWarnings("unchecked")
      Map<String, Object> paths = (Map<String, Object>) doc.get("paths");
      assertThat(paths).containsKeys(
          "/v2/health/live", "/v2/health/ready", "/api/v1/auth/config",
          "/api/v1/tenants", "/api/v1/tenants/{tenant}", "/api/v1/tenants/{tenant}/suspend",
          "/api/v1/tenants/{tenant}/resume", "/api/v1/tenants/{tenant}/api-keys",
          "/api/v1/tenants/{tenant}/api-keys/{keyId}", "/api/v1/tenants/{tenant}/usage", "/api/v1/tenants/{tenant}/models",
          "/api/v1/tenants/{tenant}/history", "/api/v1/tenants/{tenant}/members", "/api/v1/tenants/{tenant}/members/{memberId}",
          "/api/v1/tenants/{tenant}/service-accounts", "/api/v1/tenants/{tenant}/service-accounts/{accountId}",
          "/api/v1/tenants/{tenant}/models/{model}", "/api/v1/tenants/{tenant}/models/{model}/versions",
          "/api/v1/tenants/{tenant}/models/{model}/versions/{version}",
          "/api/v1/tenants/{tenant}/models/{model}/versions/{version}/archive",
          "/api/v1/tenants/{tenant}/models/{model}/deployment",
          "/api/v1/tenants/{tenant}/models/{model}/deployment/rollback",
          "/api/v1/tenants/{tenant}/models/{model}/history",
          "/api/v1/admin/cluster", "/api/v1/admin/usage", "/api/v1/admin/audit", "/v2", "/v2/models/{model}", "/v2/models/{model}/versions/{version}", "/v2/models/{model}/ready",
          "/v2/models/{model}/versions/{version}/ready", "/v2/models/{model}/infer",
          "/v2/models/{model}/versions/{version}/infer");
    }

    @Test
    void authConfigSaysApiKeysWithoutKeycloak() {
      ApiClient.Reply r = api.get("/api/v1/auth/config", null);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().get("mode").asText()).isEqualTo("api-key");
    }

    @Test
    void unknownPathsAndMethodsAnswerJson() {
      assertError(api.get("/api/v1/nope", OP), 404, "not_found");
      assertError(api.delete("/api/v1/tenants", OP), 405, "method_not_allowed");
    }
  }

  @Nested
  class Credentials {
    @Test
    void noCredentialIs401WithAChallenge() {
      ApiClient.Reply r = api.get("/api/v1/tenants", null);
      assertError(r, 401, "missing_credential");
      assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
    }

    @Test
    void wrongCredentialsAre401() {
      assertError(api.get("/api/v1/tenants", "not-the-operator-key"), 401, "invalid_credential");
      createTenant("cred-co", null);
      String key = apiKey("cred-co", "developer");
      String forged = key.substring(0, key.length() - 4) + "0000";
      assertError(api.get("/api/v1/tenants/cred-co/models", forged), 401, "invalid_credential");
      assertError(api.get("/api/v1/tenants/cred-co/models", "mp_nosuch.aaaaaaaaaaaa_" + "0".repeat(64)), 401, "invalid_credential");
    }

    /** The status of GET …/models with {@code authorization} sent exactly as given. */
    int withAuthorization(String tenant, String authorization) throws Exception {
      java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(node.baseUrl() + "/api/v1/tenants/" + tenant + "/models"))
          .header("Authorization", authorization).GET().build();
      return java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString())
          .statusCode();
    }

    @Test
    void bearerWithoutItsSpaceIsReadAsTheHttpParserReadsItAndTheKeyMustStillBeValid() throws Exception {
      createTenant("space-co", null);
      String key = apiKey("space-co", "developer");
      assertThat(withAuthorization("space-co", "Bearer " + key)).isEqualTo(200);
      assertThat(withAuthorization("space-co", "bearer " + key)).isEqualTo(200);
      // the documented deviation: the server's header model reads "Bearer<key>" as "Bearer <key>"
      assertThat(withAuthorization("space-co", "Bearer" + key)).isEqualTo(200);
      assertThat(withAuthorization("space-co", "Bearer" + key.substring(0, key.length() - 4) + "0000")).isEqualTo(401);
      assertThat(withAuthorization("space-co", key)).isEqualTo(401);
      assertThat(withAuthorization("space-co", "Basic " + key)).isEqualTo(401);
      assertThat(withAuthorization("space-co", "Token " + key)).isEqualTo(401);
    }

    @Test
    void keyListsNeverShowSecretsAndRevocationTakesEffect() {
      createTenant("keys-co", null);
      ApiClient.Reply created = api.post("/api/v1/tenants/keys-co/api-keys", OP, Map.of("name", "ci", "role", "developer"));
      assertThat(created.status()).isEqualTo(201);
      String key = created.json().get("key").asText();
      String id = created.json().get("id").asText();
      assertThat(key).startsWith("mp_" + id + "_");
      assertThat(api.get("/api/v1/tenants/keys-co/models", key).status()).isEqualTo(200);

      ApiClient.Reply list = api.get("/api/v1/tenants/keys-co/api-keys", OP);
      assertThat(list.status()).isEqualTo(200);
      assertThat(list.json().get("apiKeys")).hasSize(1);
      assertThat(list.raw().body()).doesNotContain(key.substring(key.lastIndexOf('_') + 1));
      assertThat(list.json().get("apiKeys").get(0).get("role").asText()).isEqualTo("developer");

      assertThat(api.delete("/api/v1/tenants/keys-co/api-keys/" + id, OP).status()).isEqualTo(204);
      // at once on the node that revoked it (other nodes: AdmissionAcrossNodesTest)
      assertError(api.get("/api/v1/tenants/keys-co/models", key), 401, "invalid_credential");
      assertError(api.delete("/api/v1/tenants/keys-co/api-keys/" + id, OP), 404, "api_key_not_found");
      assertThat(api.get("/api/v1/tenants/keys-co/api-keys", OP).json().get("apiKeys")).isEmpty();
    }

    @Test
    void meNamesTheCaller() {
      createTenant("me-co", null);
      ApiClient.Reply created = api.post("/api/v1/tenants/me-co/api-keys", OP, Map.of("name", "portal", "role", "viewer"));
      String key = created.json().get("key").asText();
      JsonNode me = api.get("/api/v1/me", key).json();
      assertThat(me.get("tenant").asText()).isEqualTo("me-co");
      assertThat(me.get("role").asText()).isEqualTo("viewer");
      assertThat(me.get("credential").asText()).isEqualTo("api_key");
      assertThat(me.get("name").asText()).isEqualTo(created.json().get("id").asText());

      ApiClient.Reply operator = api.get("/api/v1/me", OP);
      assertThat(operator.status()).isEqualTo(200);
      assertThat(operator.json().get("tenant").isNull()).as(operator.toString()).isTrue();
      assertThat(operator.json().get("role").asText()).isEqualTo("operator");
      assertThat(operator.json().get("credential").asText()).isEqualTo("operator_key");
      assertThat(operator.json().get("name").asText()).isEqualTo("operator");

      assertError(api.get("/api/v1/me", null), 401, "missing_credential");
      assertError(api.get("/api/v1/me", key.substring(0, key.length() - 4) + "0000"), 401, "invalid_credential");
      assertError(api.post("/api/v1/me", key, Map.of()), 405, "method_not_allowed");
    }

    @Test
    void badKeyRequestsAre400() {
      createTenant("badkey-co", null);
      assertError(api.post("/api/v1/tenants/badkey-co/api-keys", OP, Map.of("name", "x", "role", "operator")), 400, "invalid_role");
      assertError(api.post("/api/v1/tenants/badkey-co/api-keys", OP, Map.of("name", "x", "role", "boss")), 400, "invalid_role");
      assertError(api.post("/api/v1/tenants/badkey-co/api-keys", OP, Map.of("name", " ", "role", "viewer")), 400, "invalid_api_key_name");
    }

    @Test
    void tenantAdminsManageTheirOwnKeys() {
      createTenant("admin-co", null);
      String admin = apiKey("admin-co", "tenant-admin");
      ApiClient.Reply r = api.post("/api/v1/tenants/admin-co/api-keys", admin, Map.of("name", "svc", "role", "predictor"));
      assertThat(r.status()).isEqualTo(201);
      assertThat(api.get("/api/v1/tenants/admin-co/api-keys", admin).json().get("apiKeys")).hasSize(2);
    }
  }

  @Nested
  class Tenants {
    @Test
    void createReadListAndPatch() {
      ApiClient.Reply created = api.post("/api/v1/tenants", OP, Map.of("id", "acme", "displayName", "Acme Inc.",
          "quota", Map.of("requestsPerSecond", 50, "burst", 100, "maxModels", 3)));
      assertThat(created.status()).isEqualTo(201);
      JsonNode t = created.json();
      assertThat(t.get("id").asText()).isEqualTo("acme");
      assertThat(t.get("status").asText()).isEqualTo("active");
      assertThat(t.get("quota").get("requestsPerSecond").asDouble()).isEqualTo(50.0);
      assertThat(t.get("quota").get("maxModels").asInt()).isEqualTo(3);
      assertThat(t.get("quota").has("monthlyComputeSeconds")).isTrue();
      assertThat(t.get("createdAt").asText()).isNotBlank();

      assertThat(api.get("/api/v1/tenants/acme", OP).json().get("displayName").asText()).isEqualTo("Acme Inc.");
      // lists read the tables the journal is projected to: a change shows there within the read side's lag
      TestNodes.eventually(READ_SIDE_LAG,
          () -> ApiClient.each(api.get("/api/v1/tenants", OP).json().get("tenants"), "id").contains("acme"), "acme listed");

      ApiClient.Reply patched = api.patch("/api/v1/tenants/acme", OP,
          Map.of("displayName", "Acme Corp", "quota", Map.of("burst", 300)));
      assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
      assertThat(patched.json().get("displayName").asText()).isEqualTo("Acme Corp");
      assertThat(patched.json().get("quota").get("burst").asInt()).isEqualTo(300);
      assertThat(patched.json().get("quota").get("requestsPerSecond").asDouble()).isEqualTo(50.0);

      java.util.HashMap<String, Object> unlimited = new java.util.HashMap<>();
      unlimited.put("maxModels", null);
      ApiClient.Reply cleared = api.patch("/api/v1/tenants/acme", OP, Map.of("quota", unlimited));
      assertThat(cleared.json().get("quota").get("maxModels").isNull()).isTrue();
    }

    @Test
    void defaultQuotaWhenNoneIsGiven() {
      createTenant("plain-co", null);
      JsonNode quota = api.get("/api/v1/tenants/plain-co", OP).json().get("quota");
      assertThat(quota.get("maxModels").asInt()).isPositive();
      assertThat(quota.get("requestsPerSecond").asDouble()).isPositive();
    }

    @Test
    void aPartialQuotaTakesTheDefaultPlanForTheLimitsItDoesNotName() {
      createTenant("plan-co", null);
      JsonNode plan = api.get("/api/v1/tenants/plan-co", OP).json().get("quota");
      // the README's tour: three limits named, the other four are the default plan's, not unlimited
      createTenant("partial-co", Map.of("requestsPerSecond", 50, "burst", 100, "maxModels", 10));
      JsonNode quota = api.get("/api/v1/tenants/partial-co", OP).json().get("quota");
      assertThat(quota.get("requestsPerSecond").asDouble()).isEqualTo(50.0);
      assertThat(quota.get("burst").asInt()).isEqualTo(100);
      assertThat(quota.get("maxModels").asInt()).isEqualTo(10);
      for (String limit : List.of("maxConcurrentRequests", "maxVersionsPerModel", "maxResidentBytes")) {
        assertThat(quota.get(limit).isNull()).as(limit).isFalse();
        assertThat(quota.get(limit)).as(limit).isEqualTo(plan.get(limit));
      }
      assertThat(quota.get("monthlyComputeSeconds")).isEqualTo(plan.get("monthlyComputeSeconds"));

      // only an explicit null means unlimited
      java.util.Map<String, Object> open = new java.util.HashMap<>();
      open.put("maxResidentBytes", null);
      open.put("maxModels", 2);
      createTenant("open-co", open);
      JsonNode openQuota = api.get("/api/v1/tenants/open-co", OP).json().get("quota");
      assertThat(openQuota.get("maxResidentBytes").isNull()).isTrue();
      assertThat(openQuota.get("maxModels").asInt()).isEqualTo(2);
      assertThat(openQuota.get("requestsPerSecond")).isEqualTo(plan.get("requestsPerSecond"));

      // a PATCH changes only what it names: the defaults taken at creation stay
      ApiClient.Reply patched = api.patch("/api/v1/tenants/partial-co", OP, Map.of("quota", Map.of("burst", 150)));
      assertThat(patched.json().get("quota").get("burst").asInt()).isEqualTo(150);
      assertThat(patched.json().get("quota").get("maxConcurrentRequests")).isEqualTo(plan.get("maxConcurrentRequests"));
      assertError(api.post("/api/v1/tenants", OP, Map.of("id", "shape-co", "displayName", "x", "quota", List.of(1))),
          400, "invalid_quota");
    }

    @Test
    void invalidTenantRequests() {
      createTenant("dupe-co", null);
      assertError(api.post("/api/v1/tenants", OP, Map.of("id", "dupe-co", "displayName", "again")), 409, "tenant_exists");
      assertError(api.post("/api/v1/tenants", OP, Map.of("id", "Bad_Id", "displayName", "x")), 400, "invalid_tenant_id");
      assertError(api.post("/api/v1/tenants", OP, Map.of("id", "ab", "displayName", "x")), 400, "invalid_tenant_id");
      assertError(api.post("/api/v1/tenants", OP, Map.of("displayName", "x")), 400, "invalid_tenant_id");
      assertError(api.post("/api/v1/tenants", OP, Map.of("id", "nameless-co")), 400, "invalid_display_name");
      assertError(api.post("/api/v1/tenants", OP, Map.of("id", "neg-co", "displayName", "x",
          "quota", Map.of("maxConcurrentRequests", 0))), 400, "invalid_quota");
      assertError(api.post("/api/v1/tenants", OP, Map.of("id", "typo-co", "displayName", "x", "qouta", Map.of())),
          400, "invalid_request");
      assertError(api.post("/api/v1/tenants", OP, Map.of("id", "type-co", "displayName", "x",
          "quota", Map.of("burst", "lots"))), 400, "invalid_request");
      assertError(api.patch("/api/v1/tenants/dupe-co", OP, Map.of("status", "suspended")), 400, "invalid_request");
      assertError(api.get("/api/v1/tenants/no-such-co", OP), 404, "tenant_not_found");
      assertError(api.get("/api/v1/tenants/NOT_VALID", OP), 404, "tenant_not_found");
      // nothing of the refused requests exists
      assertError(api.get("/api/v1/tenants/nameless-co", OP), 404, "tenant_not_found");
    }

    @Test
    void malformedMistypedAndOversizedBodies() {
      assertError(api.raw("POST", "/api/v1/tenants", OP, "application/json",
          "{\"id\": \"broken-co\", ".getBytes(StandardCharsets.UTF_8)), 400, "malformed_json");
      assertError(api.raw("POST", "/api/v1/tenants", OP, "application/json",
          "[1,2]".getBytes(StandardCharsets.UTF_8)), 400, "invalid_request");
      // one JSON value per body: whatever follows it is malformed, and nothing is created
      for (String garbage : List.of(" garbage", "{}", "}", ",1")) {
        assertError(api.raw("POST", "/api/v1/tenants", OP, "application/json",
            ("{\"id\": \"trailing-co\", \"displayName\": \"x\"}" + garbage).getBytes(StandardCharsets.UTF_8)),
            400, "malformed_json");
      }
      assertError(api.get("/api/v1/tenants/trailing-co", OP), 404, "tenant_not_found");
      assertError(api.raw("POST", "/api/v1/tenants", OP, "text/plain",
          "{\"id\":\"text-co\",\"displayName\":\"x\"}".getBytes(StandardCharsets.UTF_8)), 415, "unsupported_media_type");
      byte[] huge = ("{\"id\":\"huge-co\",\"displayName\":\"" + "x".repeat(1_200_000) + "\"}")
          .getBytes(StandardCharsets.UTF_8);
      assertError(api.raw("POST", "/api/v1/tenants", OP, "application/json", huge), 413, "payload_too_large");
      assertError(api.get("/api/v1/tenants/huge-co", OP), 404, "tenant_not_found");
    }

    @Test
    void suspendedTenantsGet403UntilResumed() {
      createTenant("sleepy-co", null);
      String key = apiKey("sleepy-co", "developer");
      assertThat(api.post("/api/v1/tenants/sleepy-co/suspend", OP, Map.of()).json().get("status").asText())
          .isEqualTo("suspended");
      assertError(api.get("/api/v1/tenants/sleepy-co/models", key), 403, "tenant_suspended");
      assertThat(api.post("/api/v1/tenants/sleepy-co/resume", OP, Map.of()).json().get("status").asText())
          .isEqualTo("active");
      assertThat(api.get("/api/v1/tenants/sleepy-co/models", key).status()).isEqualTo(200);
    }

    @Test
    void onlyOperatorsManageTenants() {
      createTenant("boss-co", null);
      String admin = apiKey("boss-co", "tenant-admin");
      assertError(api.post("/api/v1/tenants", admin, Map.of("id", "evil-co", "displayName", "x")), 403, "forbidden");
      assertError(api.get("/api/v1/tenants", admin), 403, "forbidden");
      assertError(api.patch("/api/v1/tenants/boss-co", admin, Map.of("quota", Map.of("maxModels", 1000))), 403, "forbidden");
      assertError(api.post("/api/v1/tenants/boss-co/suspend", admin, Map.of()), 403, "forbidden");
      assertThat(api.get("/api/v1/tenants/boss-co", admin).status()).isEqualTo(200);
    }
  }

  @Nested
  class ModelsAndDeployments {
    /** What a node killed between the two steps of a first upload leaves: the tenant's reservation, no version. */
    private void reserveWithoutVersion(String tenant, String model) throws Exception {
      ClusterSharding.get(node.system())
          .entityRefFor(TenantEntity.ENTITY_KEY, tenant)
          .<TenantEntity.Reply>ask(
              r -> new TenantEntity.AddModel(model, "crashed-upload", r), Duration.ofSeconds(5))
          .toCompletableFuture().get();
    }

    @Test
    void aNameReservedByAnUploadThatNeverRegisteredNeitherCountsNorStays() throws Exception {
      createTenant("ghost-co", Map.of("maxModels", 1));
      reserveWithoutVersion("ghost-co", "ghost");
      assertThat(ApiClient.each(api.get("/api/v1/tenants/ghost-co/models", OP).json().get("models"), "name")).isEmpty();
      String dev = apiKey("ghost-co", "developer");

      // the phantom does not take the only model slot
      ApiClient.Reply up = api.upload("ghost-co", "real", dev, ApiClient.digitsManifest(), TestNodes.digitsModel());
      assertThat(up.status()).as(up.toString()).isEqualTo(201);
      assertThat(up.json().get("version").asInt()).isEqualTo(1);
      JsonNode tenant = api.get("/api/v1/tenants/ghost-co", OP).json();
      assertThat(ApiClient.each(tenant.get("models"), "x")).hasSize(1);
      assertThat(tenant.get("models").get(0).asText()).isEqualTo("real");
      TestNodes.eventually(READ_SIDE_LAG, () -> ApiClient.each(api.get("/api/v1/tenants/ghost-co/history", OP).json()
          .get("events"), "type").contains("model_released"), "the release in the tenant's history");
      assertError(api.get("/api/v1/tenants/ghost-co/models/ghost", OP), 404, "model_not_found");
      assertError(api.get("/api/v1/tenants/ghost-co/models/ghost/history", OP), 404, "model_not_found");

      // listing the models gives a phantom up as well; the name can be uploaded again later
      createTenant("ghost-list-co", null);
      reserveWithoutVersion("ghost-list-co", "ghost");
      assertThat(ApiClient.each(api.get("/api/v1/tenants/ghost-list-co/models", OP).json().get("models"), "name")).isEmpty();
      // a list gives up the phantoms it sees (once the reservation has reached the read tables)
      TestNodes.eventually(READ_SIDE_LAG, () -> {
        api.get("/api/v1/tenants/ghost-list-co/models", OP);
        return api.get("/api/v1/tenants/ghost-list-co", OP).json().get("models").isEmpty();
      }, "phantom released");
      ApiClient.Reply again = api.upload("ghost-list-co", "ghost", OP, ApiClient.digitsManifest(), TestNodes.digitsModel());
      assertThat(again.status()).as(again.toString()).isEqualTo(201);
      assertThat(again.json().get("version").asInt()).isEqualTo(1);
      assertThat(api.get("/api/v1/tenants/ghost-list-co", OP).json().get("models").get(0).asText()).isEqualTo("ghost");

      // a release that stopped half-way (the model released reservation 1, the tenant still holds it)
      // does not block the name: the upload completes the release and reserves the name anew
      createTenant("half-co", null);
      reserveWithoutVersion("half-co", "half");
      ClusterSharding.get(node.system())
          .entityRefFor(ModelEntity.ENTITY_KEY, "half-co/half")
          .<ModelEntity.Reply>ask(
              r -> new ModelEntity.ReleaseReservation(1, "crashed-healer", r), Duration.ofSeconds(5))
          .toCompletableFuture().get();
      ApiClient.Reply half = api.upload("half-co", "half", OP, ApiClient.digitsManifest(), TestNodes.digitsModel());
      assertThat(half.status()).as(half.toString()).isEqualTo(201);
      assertThat(half.json().get("version").asInt()).isEqualTo(1);
      assertThat(api.get("/api/v1/tenants/half-co", OP).json().get("models").get(0).asText()).isEqualTo("half");
    }

    @Test
    void uploadDeployRollBackAndReadHistory() throws Exception {
      createTenant("ml-co", null);
      String dev = apiKey("ml-co", "developer");
      byte[] v1 = artifact(50_000, 1);
      ApiClient.Reply up1 = api.upload("ml-co", "digits", dev, ApiClient.manifest(), v1);
      assertThat(up1.status()).as(up1.toString()).isEqualTo(201);
      assertThat(up1.json().get("version").asInt()).isEqualTo(1);
      assertThat(up1.json().get("sha256").asText()).isEqualTo(sha256(v1));
      assertThat(up1.json().get("sizeBytes").asLong()).isEqualTo(v1.length);
      byte[] v2 = artifact(40_000, 2);
      ApiClient.Reply up2 = api.upload("ml-co", "digits", dev, ApiClient.manifest(), v2);
      assertThat(up2.json().get("version").asInt()).isEqualTo(2);

      JsonNode model = api.get("/api/v1/tenants/ml-co/models/digits", dev).json();
      assertThat(model.get("name").asText()).isEqualTo("digits");
      assertThat(model.get("versions")).hasSize(2);
      assertThat(model.get("versions").get(0).get("inputs").get(0).get("datatype").asText()).isEqualTo("FP32");
      assertThat(model.get("status").asText()).isEqualTo("not_deployed");
      assertThat(model.get("deployment").isNull()).isTrue();
      TestNodes.eventually(READ_SIDE_LAG,
          () -> api.get("/api/v1/tenants/ml-co/models", dev).json().get("models").size() == 1, "digits listed");
      JsonNode models = api.get("/api/v1/tenants/ml-co/models", dev).json().get("models");
      assertThat(models).hasSize(1);
      assertThat(models.get(0).get("name").asText()).isEqualTo("digits");
      assertThat(api.get("/api/v1/tenants/ml-co/models/digits/versions/2", dev).json().get("sizeBytes").asInt())
          .isEqualTo(v2.length);
      assertError(api.get("/api/v1/tenants/ml-co/models/digits/versions/9", dev), 404, "version_not_found");

      ApiClient.Reply d1 = api.put("/api/v1/tenants/ml-co/models/digits/deployment", dev, Map.of("traffic", Map.of("1", 100)));
      assertThat(d1.status()).as(d1.toString()).isEqualTo(202);
      assertThat(d1.json().get("revision").asLong()).isEqualTo(1);
      assertThat(d1.json().get("replicas").asInt()).isEqualTo(1);
      assertThat(d1.json().get("rollbackAvailable").asBoolean()).isFalse();
      assertThat(d1.json().get("rollbackRevision").isNull()).isTrue();
      ApiClient.Reply d2 = api.put("/api/v1/tenants/ml-co/models/digits/deployment", dev,
          Map.of("traffic", Map.of("1", 90, "2", 10), "replicas", 2, "maxBatchSize", 16, "engineThreads", 0,
              "expectedRevision", 1));
      assertThat(d2.status()).as(d2.toString()).isEqualTo(202);
      assertThat(d2.json().get("revision").asLong()).isEqualTo(2);
      assertThat(d2.json().get("traffic").get("2").asInt()).isEqualTo(10);
      assertThat(d2.json().get("previousRevision").asLong()).isEqualTo(1);
      assertThat(d2.json().get("rollbackAvailable").asBoolean()).isTrue();
      assertThat(d2.json().get("rollbackRevision").asLong()).isEqualTo(1);
      JsonNode current = api.get("/api/v1/tenants/ml-co/models/digits/deployment", dev).json();
      assertThat(current.get("revision").asLong()).isEqualTo(2);
      assertThat(current.get("rollbackAvailable").asBoolean()).isTrue();
      assertThat(current.get("rollbackRevision").asLong()).isEqualTo(1);
      assertThat(d2.json().get("engineThreads").asInt()).isZero();
      assertThat(d1.json().get("engineThreads").isNull()).as("the node's default").isTrue();
      assertError(api.put("/api/v1/tenants/ml-co/models/digits/deployment", dev,
          Map.of("traffic", Map.of("2", 100), "expectedRevision", 1)), 409, "stale_revision");

      ApiClient.Reply back = api.post("/api/v1/tenants/ml-co/models/digits/deployment/rollback", dev, Map.of());
      assertThat(back.status()).as(back.toString()).isEqualTo(202);
      assertThat(back.json().get("revision").asLong()).as("the now-current revision").isEqualTo(1);
      assertThat(back.json().get("previousRevision").asLong()).as("the one rolled back from").isEqualTo(2);
      assertThat(back.json().get("rollbackAvailable").asBoolean()).as("nothing left to roll back").isFalse();
      assertThat(back.json().get("rollbackRevision").isNull()).isTrue();
      assertThat(api.get("/api/v1/tenants/ml-co/models/digits/deployment", dev).json().get("rollbackAvailable")
          .asBoolean()).isFalse();
      assertThat(api.get("/api/v1/tenants/ml-co/models/digits", dev).json().get("deployment").get("rollbackAvailable")
          .asBoolean()).isFalse();
      assertThat(api.get("/api/v1/tenants/ml-co/models/digits/deployment", dev).json().get("traffic").get("1").asInt())
          .isEqualTo(100);
      assertError(api.post("/api/v1/tenants/ml-co/models/digits/deployment/rollback", dev, Map.of()), 409,
          "no_previous_revision");

      TestNodes.eventually(READ_SIDE_LAG, () -> api.get("/api/v1/tenants/ml-co/models/digits/history", dev).json()
          .get("events").size() == 5, "the rollback in the model's history");
      JsonNode history = api.get("/api/v1/tenants/ml-co/models/digits/history", dev).json().get("events");
      assertThat(ApiClient.each(history, "type")).containsExactly(
          "version_registered", "version_registered", "deployment_revised", "deployment_revised", "deployment_rolled_back");
      assertThat(history.get(0).get("actor").asText()).startsWith("apikey:ml-co.");
      assertThat(history.get(0).get("at").asText()).isNotBlank();
      assertThat(history.get(4).get("details").get("toRevision").asInt()).isEqualTo(1);
    }

    @Test
    void invalidDeployments() {
      createTenant("dep-co", null);
      String dev = apiKey("dep-co", "developer");
      assertThat(api.upload("dep-co", "m", dev, ApiClient.manifest(), artifact(1000, 3)).status()).isEqualTo(201);
      String path = "/api/v1/tenants/dep-co/models/m/deployment";
      assertError(api.put(path, dev, Map.of("traffic", Map.of("1", 90))), 400, "invalid_traffic_split");
      assertError(api.put(path, dev, Map.of("traffic", Map.of())), 400, "invalid_traffic_split");
      assertError(api.put(path, dev, Map.of("traffic", Map.of("one", 100))), 400, "invalid_traffic_split");
      // version numbers as the API writes them, nothing that merely parses as one
      for (String key : List.of("+1", "01", " 1", "1 ", "1e0", "-1", "0")) {
        assertError(api.put(path, dev, Map.of("traffic", Map.of(key, 100))), 400, "invalid_traffic_split");
      }
      // whole percents only: 50.5 is neither truncated to 50 nor 100.0 taken as 100
      ApiClient.Reply fractional = api.raw("PUT", path, dev, "application/json",
          "{\"traffic\": {\"1\": 50.5, \"2\": 49.5}}".getBytes(StandardCharsets.UTF_8));
      assertError(fractional, 400, "invalid_traffic_split");
      assertThat(fractional.json().get("error").asText()).contains("whole numbers").contains("50.5");
      assertError(api.raw("PUT", path, dev, "application/json",
          "{\"traffic\": {\"1\": 100.0}}".getBytes(StandardCharsets.UTF_8)), 400, "invalid_traffic_split");
      assertError(api.raw("PUT", path, dev, "application/json",
          "{\"traffic\": {\"1\": 100}, \"replicas\": 1.5}".getBytes(StandardCharsets.UTF_8)), 400, "invalid_request");
      assertError(api.put(path, dev, Map.of("traffic", Map.of("1", 50, "7", 50))), 400, "unknown_version");
      assertError(api.put(path, dev, Map.of("traffic", Map.of("1", 100), "replicas", 0)), 400, "invalid_replicas");
      assertError(api.put(path, dev, Map.of("traffic", Map.of("1", 100), "maxBatchSize", 0)), 400, "invalid_batching");
      assertError(api.put(path, dev, Map.of("traffic", Map.of("1", 100), "engineThreads", -1)), 400, "invalid_engine_threads");
      assertError(api.put(path, dev, Map.of("traffic", Map.of("1", 100), "engineThreads", 257)), 400, "invalid_engine_threads");
      assertError(api.put(path, dev, Map.of("traffic", Map.of("1", 100), "engineThreads", "all")), 400, "invalid_request");
      assertError(api.put("/api/v1/tenants/dep-co/models/nope/deployment", dev, Map.of("traffic", Map.of("1", 100))),
          404, "model_not_found");
      assertError(api.post("/api/v1/tenants/dep-co/models/m/deployment/rollback", dev, Map.of()), 409, "no_previous_revision");
      assertError(api.get(path, dev), 404, "deployment_not_found");
      assertError(api.get("/api/v1/tenants/dep-co/models/nope", dev), 404, "model_not_found");
      assertError(api.get("/api/v1/tenants/dep-co/models/nope/history", dev), 404, "model_not_found");
      assertError(api.get("/api/v1/tenants/dep-co/models/Bad%20Name", dev), 404, "model_not_found");
    }

    @Test
    void archivingOnlyUnusedVersions() {
      createTenant("arch-co", null);
      String dev = apiKey("arch-co", "developer");
      api.upload("arch-co", "m", dev, ApiClient.manifest(), artifact(1000, 4));
      api.upload("arch-co", "m", dev, ApiClient.manifest(), artifact(1000, 5));
      api.put("/api/v1/tenants/arch-co/models/m/deployment", dev, Map.of("traffic", Map.of("1", 100)));
      assertError(api.post("/api/v1/tenants/arch-co/models/m/versions/1/archive", dev, Map.of()), 409, "version_in_use");
      ApiClient.Reply archived = api.post("/api/v1/tenants/arch-co/models/m/versions/2/archive", dev, Map.of());
      assertThat(archived.status()).as(archived.toString()).isEqualTo(200);
      assertThat(archived.json().get("archived").asBoolean()).isTrue();
      assertError(api.put("/api/v1/tenants/arch-co/models/m/deployment", dev, Map.of("traffic", Map.of("2", 100))),
          400, "version_archived");
      assertError(api.post("/api/v1/tenants/arch-co/models/m/versions/5/archive", dev, Map.of()), 404, "version_not_found");
    }

    @Test
    void badUploadsLeaveNothingBehind() throws Exception {
      createTenant("upl-co", null);
      String dev = apiKey("upl-co", "developer");
      long before = storedArtifacts();

      Map<String, Object> badFormat = new java.util.HashMap<>(ApiClient.manifest());
      badFormat.put("format", "onnx");
      assertError(api.upload("upl-co", "m", dev, badFormat, artifact(1000, 6)), 400, "unsupported_format");
      Map<String, Object> badShape = new java.util.HashMap<>(ApiClient.manifest());
      badShape.put("inputs", List.of(Map.of("name", "x", "datatype", "FP32", "shape", List.of(0))));
      assertError(api.upload("upl-co", "m", dev, badShape, artifact(1000, 7)), 400, "invalid_signature");
      Map<String, Object> badType = new java.util.HashMap<>(ApiClient.manifest());
      badType.put("outputs", List.of(Map.of("name", "y", "datatype", "FLOAT", "shape", List.of(-1))));
      assertError(api.upload("upl-co", "m", dev, badType, artifact(1000, 7)), 400, "invalid_signature");
      assertError(api.upload("upl-co", "m", dev, "{not json", artifact(1000, 8)), 400, "invalid_manifest");
      assertError(api.upload("upl-co", "m", dev, null, artifact(1000, 9)), 400, "invalid_upload");
      assertError(api.upload("upl-co", "m", dev, ApiClient.manifest(), null), 400, "invalid_upload");
      assertError(api.upload("upl-co", "m", dev, ApiClient.manifest(), new byte[0]), 400, "invalid_artifact");
      Map<String, Object> wrongSum = new java.util.HashMap<>(ApiClient.manifest());
      wrongSum.put("sha256", "0".repeat(64));
      assertError(api.upload("upl-co", "m", dev, wrongSum, artifact(1000, 10)), 400, "checksum_mismatch");
      assertError(api.upload("upl-co", "m", dev, ApiClient.manifest(), artifact((int) MAX_ARTIFACT, 11)),
          413, "payload_too_large");
      assertError(api.raw("POST", "/api/v1/tenants/upl-co/models/m/versions", dev, "application/json",
          "{}".getBytes(StandardCharsets.UTF_8)), 415, "unsupported_media_type");

      assertThat(storedArtifacts()).isEqualTo(before);
      assertError(api.get("/api/v1/tenants/upl-co/models/m", dev), 404, "model_not_found");
      assertThat(api.get("/api/v1/tenants/upl-co/models", dev).json().get("models")).isEmpty();

      Map<String, Object> rightSum = new java.util.HashMap<>(ApiClient.manifest());
      byte[] good = artifact(1000, 12);
      rightSum.put("sha256", sha256(good));
      assertThat(api.upload("upl-co", "m", dev, rightSum, good).status()).isEqualTo(201);
      assertThat(storedArtifacts()).isEqualTo(before + 1);
    }

    @Test
    void aCutUploadLeavesNothingBehind() throws Exception {
      createTenant("cut-co", null);
      String dev = apiKey("cut-co", "developer");
      long before = storedArtifacts();
      String boundary = "cutboundary";
      String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"manifest\"\r\nContent-Type: application/json\r\n\r\n"
          + ApiClient.JSON.writeValueAsString(ApiClient.manifest()) + "\r\n--" + boundary
          + "\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"m.pt\"\r\nContent-Type: application/octet-stream\r\n\r\n";
      byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
      int declared = headBytes.length + 100_000;
      java.net.URI uri = java.net.URI.create(node.baseUrl());
      try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
        var out = socket.getOutputStream();
        out.write(("POST /api/v1/tenants/cut-co/models/m/versions HTTP/1.1\r\nHost: localhost\r\n"
            + "Authorization: Bearer " + dev + "\r\nContent-Type: multipart/form-data; boundary=" + boundary
            + "\r\nContent-Length: " + declared + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(headBytes);
        out.write(artifact(30_000, 13)); // then the client goes away mid-artifact
        out.flush();
      }
      // the server may not have begun storing the upload yet: give it the time to (its temporary file
      // appears), then everything it stored must go again
      long begun = System.nanoTime() + java.time.Duration.ofSeconds(2).toNanos();
      while (System.nanoTime() < begun && storedArtifacts() == before) {
        Thread.sleep(5);
      }
      TestNodes.eventually(java.time.Duration.ofSeconds(10), () -> {
        try (Stream<Path> tmp = Files.list(dataDir.resolve("artifacts").resolve("tmp"))) {
          return tmp.findAny().isEmpty() && storedArtifacts() == before;
        } catch (Exception e) {
          return false;
        }
      }, "temporary upload file removed, nothing stored");
      assertError(api.get("/api/v1/tenants/cut-co/models/m", dev), 404, "model_not_found");
    }

    @Test
    void modelAndVersionQuotas() throws Exception {
      createTenant("quota-co", Map.of("maxModels", 1, "maxVersionsPerModel", 2));
      String dev = apiKey("quota-co", "developer");
      assertThat(api.upload("quota-co", "a", dev, ApiClient.manifest(), artifact(1000, 20)).status()).isEqualTo(201);
      assertThat(api.upload("quota-co", "a", dev, ApiClient.manifest(), artifact(1000, 21)).status()).isEqualTo(201);
      long before = storedArtifacts();
      assertError(api.upload("quota-co", "a", dev, ApiClient.manifest(), artifact(1000, 22)), 409, "version_quota_exceeded");
      assertError(api.upload("quota-co", "b", dev, ApiClient.manifest(), artifact(1000, 23)), 409, "model_quota_exceeded");
      assertThat(storedArtifacts()).isEqualTo(before);
      assertThat(api.get("/api/v1/tenants/quota-co/models/a", dev).json().get("versions")).hasSize(2);
    }
  }

  @Nested
  class ListsAndAudit {
    /** Every page of {@code path} with {@code limit}, following next; each page's items under {@code field}. */
    private List<JsonNode> pages(String path, String field, int limit, String credential) {
      List<JsonNode> pages = new java.util.ArrayList<>();
      String after = null;
      do {
        ApiClient.Reply r = api.get(path + (path.contains("?") ? "&" : "?") + "limit=" + limit
            + (after == null ? "" : "&after=" + after), credential);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode items = r.json().get(field);
        assertThat(items.size()).isLessThanOrEqualTo(limit);
        pages.add(items);
        JsonNode next = r.json().get("next");
        after = next == null || next.isNull() ? null : next.asText();
      } while (after != null && pages.size() < 1000);
      return pages;
    }

    private List<String> all(List<JsonNode> pages, String key) {
      return pages.stream().flatMap(p -> ApiClient.each(p, key).stream()).toList();
    }

    @Test
    void tenantsAndModelsArePagedInAStableOrder() {
      for (String id : List.of("page-c", "page-a", "page-e", "page-b", "page-d")) {
        createTenant(id, null);
      }
      TestNodes.eventually(READ_SIDE_LAG, () -> all(pages("/api/v1/tenants", "tenants", 500, OP), "id")
          .containsAll(List.of("page-a", "page-b", "page-c", "page-d", "page-e")), "the tenants listed");
      List<JsonNode> pages = pages("/api/v1/tenants", "tenants", 2, OP);
      List<String> ids = all(pages, "id");
      assertThat(ids).containsSubsequence("page-a", "page-b", "page-c", "page-d", "page-e").doesNotHaveDuplicates();
      assertThat(ids).isSortedAccordingTo(String::compareTo);
      assertThat(pages.size()).isGreaterThanOrEqualTo(3);
      JsonNode first = api.get("/api/v1/tenants?limit=1", OP).json();
      assertThat(first.get("tenants")).hasSize(1);
      // page-a's own quota: the first tenant may be one whose limits another test cleared
      JsonNode pageA = pages.stream().flatMap(page -> java.util.stream.StreamSupport.stream(page.spliterator(), false))
          .filter(tenant -> tenant.get("id").asText().equals("page-a")).findFirst().orElseThrow();
      assertThat(pageA.get("quota").get("maxModels").asInt()).isPositive();
      assertThat(first.get("next").asText()).isNotBlank();

      String dev = apiKey("page-a", "developer");
      for (String model : List.of("m-c", "m-a", "m-b")) {
        ApiClient.Reply up = api.upload("page-a", model, dev, ApiClient.manifest(), artifact(100, model.hashCode()));
        assertThat(up.status()).as(up.toString()).isEqualTo(201);
      }
      TestNodes.eventually(READ_SIDE_LAG, () -> all(pages("/api/v1/tenants/page-a/models", "models", 500, dev), "name")
          .size() == 3, "the models listed");
      List<JsonNode> modelPages = pages("/api/v1/tenants/page-a/models", "models", 2, dev);
      assertThat(modelPages).hasSize(2);
      assertThat(all(modelPages, "name")).containsExactly("m-a", "m-b", "m-c");
      assertThat(modelPages.get(0).get(0).get("versions").get(0).get("inputs").get(0).get("datatype").asText())
          .isEqualTo("FP32");
      JsonNode last = api.get("/api/v1/tenants/page-a/models?limit=2&after="
          + api.get("/api/v1/tenants/page-a/models?limit=2", dev).json().get("next").asText(), dev).json();
      assertThat(last.get("next") == null || last.get("next").isNull()).as("the last page has no next").isTrue();
    }

    @Test
    void badPagingIsRefusedWith400() {
      for (String limit : List.of("0", "501", "-3", "many")) {
        assertError(api.get("/api/v1/tenants?limit=" + limit, OP), 400, "invalid_limit");
        assertError(api.get("/api/v1/admin/audit?limit=" + limit, OP), 400, "invalid_limit");
      }
      assertError(api.get("/api/v1/tenants?after=%25%25", OP), 400, "invalid_cursor");
      assertError(api.get("/api/v1/tenants?after=Tk9UIEEgVEVOQU5U", OP), 400, "invalid_cursor");
      assertError(api.get("/api/v1/admin/audit?after=bm90LWEtbnVtYmVy", OP), 400, "invalid_cursor");
      createTenant("cursor-co", null);
      assertError(api.get("/api/v1/tenants/cursor-co/models?limit=0", OP), 400, "invalid_limit");
      assertError(api.get("/api/v1/tenants/cursor-co/models?after=Lw", OP), 400, "invalid_cursor");
    }

    @Test
    void theAuditLogIsFilteredPagedAndForOperatorsOnly() {
      createTenant("audit-co", null);
      String admin = apiKey("audit-co", "tenant-admin");
      String dev = apiKey("audit-co", "developer");
      assertThat(api.upload("audit-co", "digits", dev, ApiClient.manifest(), artifact(200, 77)).status()).isEqualTo(201);
      String path = "/api/v1/admin/audit?tenant=audit-co";
      // operators only, even for the tenant's own changes
      assertError(api.get("/api/v1/admin/audit", admin), 403, "forbidden");
      assertError(api.get(path, admin), 403, "forbidden");
      assertError(api.get(path, dev), 403, "forbidden");
      assertThat(api.post("/api/v1/tenants/audit-co/suspend", OP, Map.of()).status()).isEqualTo(200);
      TestNodes.eventually(READ_SIDE_LAG, () -> api.get(path, OP).json().get("entries").size() == 7, "the changes audited");

      JsonNode entries = api.get(path, OP).json().get("entries");
      // the first upload created the tenant's data key: its fact is audited (never the key), in the
      // order the projections applied it, which is not the order of the tenant's and model's own changes
      List<JsonNode> changes = new java.util.ArrayList<>();
      List<JsonNode> keyFacts = new java.util.ArrayList<>();
      entries.forEach(e -> (e.get("type").asText().equals("data_key_created") ? keyFacts : changes).add(e));
      assertThat(keyFacts).hasSize(1);
      assertThat(keyFacts.get(0).get("summary").get("keyId").asText()).isEqualTo("audit-co/1");
      assertThat(changes).extracting(e -> e.get("type").asText()).containsExactly("tenant_created", "api_key_created",
          "api_key_created", "model_added", "version_registered", "tenant_suspended");
      JsonNode created = changes.get(0);
      assertThat(created.get("tenant").asText()).isEqualTo("audit-co");
      assertThat(created.has("model")).as("a change of the tenant itself names no model").isFalse();
      assertThat(created.get("actor").asText()).isNotBlank();
      assertThat(created.get("time").asText()).isNotBlank();
      assertThat(created.get("summary").get("displayName").asText()).isEqualTo("Tenant audit-co");
      JsonNode version = changes.get(4);
      assertThat(version.get("model").asText()).isEqualTo("digits");
      assertThat(version.get("actor").asText()).startsWith("apikey:audit-co.");
      assertThat(version.get("summary").get("version").asInt()).isEqualTo(1);

      assertThat(ApiClient.each(api.get(path + "&model=digits", OP).json().get("entries"), "type"))
          .containsExactly("model_added", "version_registered");
      assertThat(ApiClient.each(api.get(path + "&type=api_key_created", OP).json().get("entries"), "type"))
          .containsExactly("api_key_created", "api_key_created");
      String devActor = version.get("actor").asText();
      assertThat(ApiClient.each(api.get(path + "&actor=" + devActor, OP).json().get("entries"), "type"))
          .containsExactly("model_added", "version_registered");
      String from = version.get("time").asText();
      assertThat(ApiClient.each(api.get(path + "&from=" + from, OP).json().get("entries"), "type"))
          .containsExactly("version_registered", "tenant_suspended");
      assertThat(ApiClient.each(api.get(path + "&to=" + from, OP).json().get("entries"), "type")).hasSize(5);
      assertThat(api.get(path + "&from=2999-01-01T00:00:00Z", OP).json().get("entries")).isEmpty();

      List<JsonNode> pages = pages(path, "entries", 2, OP);
      assertThat(pages).hasSize(4);
      assertThat(all(pages, "type")).isEqualTo(ApiClient.each(entries, "type"));

      assertError(api.get("/api/v1/admin/audit?from=yesterday", OP), 400, "invalid_time");
      assertError(api.get("/api/v1/admin/audit?to=2026-02-30T00:00:00Z", OP), 400, "invalid_time");
      assertError(api.get("/api/v1/admin/audit?from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z", OP), 400,
          "invalid_range");
      assertError(api.get("/api/v1/admin/audit", null), 401, "missing_credential");
    }
  }

  @Nested
  class Isolation {
    @Test
    void anotherTenantsResourcesLookExactlyLikeMissingOnes() {
      createTenant("alpha", null);
      createTenant("bravo", null);
      String bravoDev = apiKey("bravo", "developer");
      assertThat(api.upload("bravo", "secret-model", bravoDev, ApiClient.manifest(), artifact(1000, 30)).status()).isEqualTo(201);
      api.put("/api/v1/tenants/bravo/models/secret-model/deployment", bravoDev, Map.of("traffic", Map.of("1", 100)));

      for (String role : List.of("tenant-admin", "developer", "viewer", "predictor")) {
        String alpha = apiKey("alpha", role);
        String b = "/api/v1/tenants/bravo";
        List<ApiClient.Reply> replies = List.of(
            api.get(b, alpha),
            api.patch(b, alpha, Map.of("displayName", "pwned")),
            api.post(b + "/suspend", alpha, Map.of()),
            api.post(b + "/resume", alpha, Map.of()),
            api.get(b + "/api-keys", alpha),
            api.post(b + "/api-keys", alpha, Map.of("name", "x", "role", "developer")),
            api.delete(b + "/api-keys/bravo.000000000000", alpha),
            api.get(b + "/models", alpha),
            api.get(b + "/models/secret-model", alpha),
            api.get(b + "/models/secret-model/versions", alpha),
            api.get(b + "/models/secret-model/versions/1", alpha),
            api.post(b + "/models/secret-model/versions/1/archive", alpha, Map.of()),
            api.upload("bravo", "secret-model", alpha, ApiClient.manifest(), artifact(1000, 31)),
            api.put(b + "/models/secret-model/deployment", alpha, Map.of("traffic", Map.of("1", 100))),
            api.get(b + "/models/secret-model/deployment", alpha),
            api.post(b + "/models/secret-model/deployment/rollback", alpha, Map.of()),
            api.get(b + "/models/secret-model/history", alpha));
        ApiClient.Reply missing = api.get("/api/v1/tenants/charlie", alpha);
        for (ApiClient.Reply r : replies) {
          assertError(r, 404, "tenant_not_found");
          assertThat(r.json().get("error").asText())
              .isEqualTo(missing.json().get("error").asText().replace("charlie", "bravo"));
        }
      }
      // and nothing changed
      JsonNode bravo = api.get("/api/v1/tenants/bravo", OP).json();
      assertThat(bravo.get("displayName").asText()).isEqualTo("Tenant bravo");
      assertThat(bravo.get("status").asText()).isEqualTo("active");
      JsonNode model = api.get("/api/v1/tenants/bravo/models/secret-model", OP).json();
      assertThat(model.get("versions")).hasSize(1);
      assertThat(model.get("deployment").get("revision").asInt()).isEqualTo(1);
      assertThat(api.get("/api/v1/tenants/bravo/api-keys", OP).json().get("apiKeys")).hasSize(1);
    }

    @Test
    void rolesGet403WhereTheyLackTheRight() {
      createTenant("roles-co", null);
      String dev = apiKey("roles-co", "developer");
      String viewer = apiKey("roles-co", "viewer");
      String predictor = apiKey("roles-co", "predictor");
      api.upload("roles-co", "m", dev, ApiClient.manifest(), artifact(1000, 40));
      String m = "/api/v1/tenants/roles-co/models/m";

      assertThat(api.get(m, viewer).status()).isEqualTo(200);
      assertThat(api.get(m + "/history", viewer).status()).isEqualTo(200);
      assertError(api.upload("roles-co", "m", viewer, ApiClient.manifest(), artifact(1000, 41)), 403, "forbidden");
      assertError(api.put(m + "/deployment", viewer, Map.of("traffic", Map.of("1", 100))), 403, "forbidden");
      assertError(api.post(m + "/deployment/rollback", viewer, Map.of()), 403, "forbidden");
      assertError(api.post("/api/v1/tenants/roles-co/api-keys", viewer, Map.of("name", "x", "role", "viewer")), 403, "forbidden");

      assertError(api.get(m, predictor), 403, "forbidden");
      assertError(api.get("/api/v1/tenants/roles-co", predictor), 403, "forbidden");
      assertError(api.get("/api/v1/tenants/roles-co/models", predictor), 403, "forbidden");

      assertError(api.get("/api/v1/tenants/roles-co/api-keys", dev), 403, "forbidden");
      assertThat(api.get(m + "/versions", dev).status()).isEqualTo(200);
      assertThat(api.get(m, OP).json().get("versions")).hasSize(1);
    }
  }
}
