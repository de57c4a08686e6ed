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
    node = TestNodes.start(dataDir, Map.of());
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
      assertThat(api.upload(tenant, model, dev, ApiClient.manifest(), new byte[] {1, 2, 3}).status()).isEqualTo(201);
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
}
