package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The access matrix of API.md with API keys: every endpoint × every tenant role × own and other tenant. */
class IsolationMatrixTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dataDir, Map.of("modelplane.key-usage-report-interval", "200ms"));
    api = new ApiClient(node.baseUrl());
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  static void tenantWithModels(String tenant, String... models) {
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", tenant, "displayName", tenant)).status()).isEqualTo(201);
    String dev = api.post("/api/v1/tenants/" + tenant + "/api-keys", OP, Map.of("name", "setup", "role", "developer"))
        .json().get("key").asText();
    for (String model : models) {
      assertThat(api.upload(tenant, model, dev, ApiClient.manifest(), TestModels.digits()).status()).isEqualTo(201);
    }
  }

  @Test
  void apiKeysOfEachRoleGetExactlyTheirRightsAndNothingOfAnotherTenant() {
    tenantWithModels("iso-a", "shared");
    tenantWithModels("iso-b", "shared", "b-only");
    Map<AccessMatrix.Role, String> keys = new EnumMap<>(AccessMatrix.Role.class);
    for (AccessMatrix.Role role : AccessMatrix.Role.values()) {
      String wire = role.name().toLowerCase().replace('_', '-');
      keys.put(role, api.post("/api/v1/tenants/iso-a/api-keys", OP, Map.of("name", wire, "role", wire))
          .json().get("key").asText());
    }
    AccessMatrix.check(api, "iso-a", "iso-b", "shared", "b-only", keys);
  }

  @Test
  void aKeysLastUseIsShownToTheMinuteAndItsSecretNever() {
    tenantWithModels("iso-used");
    ApiClient.Reply created = api.post("/api/v1/tenants/iso-used/api-keys", OP, Map.of("name", "reader", "role", "viewer"));
    String key = created.json().get("key").asText();
    String id = created.json().get("id").asText();
    assertThat(api.get("/api/v1/tenants/iso-used/api-keys", OP).json().toString()).contains("\"lastUsedAt\":null");
    java.time.Instant before = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
    assertThat(api.get("/api/v1/tenants/iso-used", key).status()).isEqualTo(200);
    TestNodes.eventually(java.time.Duration.ofSeconds(5), () -> {
      var keys = api.get("/api/v1/tenants/iso-used/api-keys", OP).json().get("apiKeys");
      for (var k : keys) {
        if (k.get("id").asText().equals(id) && !k.get("lastUsedAt").isNull()) {
          return !java.time.Instant.parse(k.get("lastUsedAt").asText()).isBefore(before);
        }
      }
      return false;
    }, "last use recorded");
    String listed = api.get("/api/v1/tenants/iso-used/api-keys", OP).raw().body();
    assertThat(listed).doesNotContain(key.substring(key.lastIndexOf('_') + 1)).doesNotContain("secretHash");
    // the tenant's history: every change with its actor, never a secret or its hash, not the key's use
    assertThat(api.delete("/api/v1/tenants/iso-used/api-keys/" + id, OP).status()).isEqualTo(204);
    TestNodes.eventually(ManagementApiTest.READ_SIDE_LAG, () -> ApiClient.each(api.get("/api/v1/tenants/iso-used/history", OP)
        .json().get("events"), "type").contains("api_key_revoked"), "the revocation in the tenant's history");
    var history = api.get("/api/v1/tenants/iso-used/history", OP);
    assertThat(ApiClient.each(history.json().get("events"), "type")).containsExactly(
        "tenant_created", "api_key_created", "api_key_created", "api_key_revoked");
    assertThat(history.raw().body()).doesNotContain(key.substring(key.lastIndexOf('_') + 1)).doesNotContain("secretHash");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/no-such-tenant/history", OP), 404, "tenant_not_found");
  }
}
