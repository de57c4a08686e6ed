package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every endpoint of API.md against every tenant role, whatever the credential (API key or token):
 * on its own tenant a role gets 403 exactly where API.md denies it; on another tenant's resources
 * every role gets the 404 of a missing tenant, and nothing there changes. Requests that pass are
 * sent with bodies that cannot change anything important (unknown ids, invalid bodies): the matrix
 * is about who may ask, not about what the answer then is.
 */
final class AccessMatrix {
  enum Role { TENANT_ADMIN, DEVELOPER, VIEWER, PREDICTOR }

  static final Set<Role> ADMIN = EnumSet.of(Role.TENANT_ADMIN);
  static final Set<Role> READERS = EnumSet.of(Role.TENANT_ADMIN, Role.DEVELOPER, Role.VIEWER);
  static final Set<Role> WRITERS = EnumSet.of(Role.TENANT_ADMIN, Role.DEVELOPER);
  static final Set<Role> PREDICTORS = EnumSet.of(Role.TENANT_ADMIN, Role.DEVELOPER, Role.PREDICTOR);
  static final Set<Role> NOBODY = EnumSet.noneOf(Role.class);

  /** One endpoint: {@code {t}} is the tenant, {@code {m}} a model of it; {@code allowed} the tenant roles. */
  record Endpoint(String method, String path, Object body, Set<Role> allowed) {
    String on(String tenant, String model) {
      return path.replace("{t}", tenant).replace("{m}", model);
    }

    boolean tenantScoped() {
      return path.contains("{t}");
    }
  }

  static final List<Endpoint> ENDPOINTS = List.of(
      new Endpoint("GET", "/api/v1/tenants", null, NOBODY),
      new Endpoint("POST", "/api/v1/tenants", Map.of(), NOBODY),
      new Endpoint("GET", "/api/v1/admin/cluster", null, NOBODY),
      new Endpoint("GET", "/api/v1/admin/usage", null, NOBODY),
      new Endpoint("GET", "/api/v1/admin/plans", null, NOBODY),
      new Endpoint("POST", "/api/v1/admin/plans", Map.of(), NOBODY),
      new Endpoint("GET", "/api/v1/admin/plans/default", null, NOBODY),
      new Endpoint("PATCH", "/api/v1/admin/plans/default", Map.of(), NOBODY),
      new Endpoint("DELETE", "/api/v1/admin/plans/default", null, NOBODY),
      new Endpoint("POST", "/api/v1/admin/keys/rotate", Map.of(), NOBODY),
      new Endpoint("GET", "/metrics", null, NOBODY),
      new Endpoint("POST", "/api/v1/admin/workers/no-such-worker/drain", Map.of(), NOBODY),
      new Endpoint("POST", "/api/v1/admin/workers/no-such-worker/undrain", Map.of(), NOBODY),
      new Endpoint("DELETE", "/api/v1/admin/workers/no-such-worker/residents/some-tenant/some-model/1", null, NOBODY),
      new Endpoint("GET", "/api/v1/tenants/{t}", null, READERS),
      new Endpoint("PATCH", "/api/v1/tenants/{t}", Map.of("displayName", "changed by the matrix"), NOBODY),
      new Endpoint("POST", "/api/v1/tenants/{t}/suspend", Map.of(), NOBODY),
      new Endpoint("POST", "/api/v1/tenants/{t}/resume", Map.of(), NOBODY),
      new Endpoint("GET", "/api/v1/tenants/{t}/api-keys", null, ADMIN),
      new Endpoint("POST", "/api/v1/tenants/{t}/api-keys", Map.of(), ADMIN),
      new Endpoint("DELETE", "/api/v1/tenants/{t}/api-keys/{t}.000000000000", null, ADMIN),
      new Endpoint("GET", "/api/v1/tenants/{t}/members", null, ADMIN),
      new Endpoint("POST", "/api/v1/tenants/{t}/members", Map.of(), ADMIN),
      new Endpoint("PATCH", "/api/v1/tenants/{t}/members/no-such-member", Map.of(), ADMIN),
      new Endpoint("DELETE", "/api/v1/tenants/{t}/members/no-such-member", null, ADMIN),
      new Endpoint("GET", "/api/v1/tenants/{t}/service-accounts", null, ADMIN),
      new Endpoint("POST", "/api/v1/tenants/{t}/service-accounts", Map.of(), ADMIN),
      new Endpoint("DELETE", "/api/v1/tenants/{t}/service-accounts/no-such-account", null, ADMIN),
      new Endpoint("POST", "/api/v1/tenants/{t}/service-accounts/no-such-account/secret", Map.of(), ADMIN),
      new Endpoint("GET", "/api/v1/tenants/{t}/usage", null, ADMIN),
      new Endpoint("GET", "/api/v1/tenants/{t}/history", null, ADMIN),
      new Endpoint("GET", "/api/v1/tenants/{t}/models", null, READERS),
      new Endpoint("GET", "/api/v1/tenants/{t}/models/{m}", null, READERS),
      new Endpoint("POST", "/api/v1/tenants/{t}/models/{m}/versions", Map.of(), WRITERS),
      new Endpoint("GET", "/api/v1/tenants/{t}/models/{m}/versions", null, READERS),
      new Endpoint("GET", "/api/v1/tenants/{t}/models/{m}/versions/1", null, READERS),
      new Endpoint("POST", "/api/v1/tenants/{t}/models/{m}/versions/99/archive", Map.of(), WRITERS),
      new Endpoint("GET", "/api/v1/tenants/{t}/models/{m}/deployment", null, READERS),
      new Endpoint("PUT", "/api/v1/tenants/{t}/models/{m}/deployment", Map.of(), WRITERS),
      new Endpoint("POST", "/api/v1/tenants/{t}/models/{m}/deployment/rollback", Map.of("unexpected", 1), WRITERS),
      new Endpoint("GET", "/api/v1/tenants/{t}/models/{m}/history", null, READERS),
      new Endpoint("GET", "/v2/models/{m}", null, PREDICTORS),
      new Endpoint("GET", "/v2/models/{m}/ready", null, PREDICTORS),
      new Endpoint("POST", "/v2/models/{m}/infer", Map.of(), PREDICTORS));

  private AccessMatrix() {}

  /**
   * Checks the whole matrix: {@code credentials} are tenant {@code own}'s, one per role;
   * {@code model} exists in both tenants; {@code otherOnly} only in tenant {@code other}.
   */
  static void check(ApiClient api, String own, String other, String model, String otherOnly,
      Map<Role, String> credentials) {
    JsonNode otherBefore = snapshot(api, other, otherOnly);
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<Role, String> credential : credentials.entrySet()) {
      Role role = credential.getKey();
      for (Endpoint e : ENDPOINTS) {
        // on its own tenant
        ApiClient.Reply r = send(api, e.method(), e.on(own, model), credential.getValue(), e.body());
        boolean allowed = e.allowed().contains(role);
        if (allowed && (r.status() == 401 || r.status() == 403 || "tenant_not_found".equals(r.code()))) {
          wrong.add(role + " " + e.method() + " " + e.path() + " on its own tenant: expected access, got " + r);
        } else if (!allowed && !(r.status() == 403 && "forbidden".equals(r.code()))) {
          wrong.add(role + " " + e.method() + " " + e.path() + " on its own tenant: expected 403 forbidden, got " + r);
        }
        // on the other tenant's resources: exactly like a missing tenant (or a missing model for /v2)
        if (e.tenantScoped()) {
          ApiClient.Reply x = send(api, e.method(), e.on(other, otherOnly), credential.getValue(), e.body());
          if (!(x.status() == 404 && "tenant_not_found".equals(x.code()))) {
            wrong.add(role + " " + e.method() + " " + e.path() + " on the other tenant: expected 404 tenant_not_found, got " + x);
          }
        } else if (e.path().startsWith("/v2/") && allowed) {
          ApiClient.Reply x = send(api, e.method(), e.on(other, otherOnly), credential.getValue(), e.body());
          if (!(x.status() == 404 && "model_not_found".equals(x.code()))) {
            wrong.add(role + " " + e.method() + " " + e.path() + " for the other tenant's model: expected 404 model_not_found, got " + x);
          }
        }
      }
    }
    assertThat(wrong).as("access matrix violations").isEmpty();
    assertThat(snapshot(api, other, otherOnly)).as("the other tenant is unchanged").isEqualTo(otherBefore);
  }

  private static ApiClient.Reply send(ApiClient api, String method, String path, String credential, Object body) {
    return switch (method) {
      case "GET" -> api.get(path, credential);
      case "DELETE" -> api.delete(path, credential);
      case "POST" -> api.post(path, credential, body);
      case "PUT" -> api.put(path, credential, body);
      case "PATCH" -> api.patch(path, credential, body);
      default -> throw new IllegalArgumentException(method);
    };
  }

  /** What matters of a tenant, read with the operator key: its profile, keys and one model. */
  private static JsonNode snapshot(ApiClient api, String tenant, String model) {
    var node = ApiClient.JSON.createObjectNode();
    JsonNode profile = api.get("/api/v1/tenants/" + tenant, TestNodes.OPERATOR_KEY).json();
    node.set("tenant", profile);
    JsonNode keys = api.get("/api/v1/tenants/" + tenant + "/api-keys", TestNodes.OPERATOR_KEY).json();
    // the tenant's own set-up key may report its last use meanwhile: that is not a change by the other tenant
    keys.get("apiKeys").forEach(k -> ((com.fasterxml.jackson.databind.node.ObjectNode) k).remove("lastUsedAt"));
    node.set("apiKeys", keys);
    JsonNode m = api.get("/api/v1/tenants/" + tenant + "/models/" + model, TestNodes.OPERATOR_KEY).json();
    ((com.fasterxml.jackson.databind.node.ObjectNode) m).remove("replicas"); // loading progress is not a change
    node.set("model", m);
    // the history is read from the read side: wait until it holds at least the versions and revisions the model has
    String history = "/api/v1/tenants/" + tenant + "/models/" + model + "/history";
    int changes = m.get("versions").size() + (m.path("deployment").isObject() ? m.get("deployment").get("revision").asInt() : 0);
    TestNodes.eventually(ManagementApiTest.READ_SIDE_LAG,
        () -> api.get(history, TestNodes.OPERATOR_KEY).json().get("events").size() >= changes, "the model's history projected");
    node.set("history", api.get(history, TestNodes.OPERATOR_KEY).json());
    return node;
  }
}
