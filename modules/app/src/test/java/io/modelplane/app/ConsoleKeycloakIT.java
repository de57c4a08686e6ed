package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.identity.keycloak.KeycloakProvisioner;
import io.modelplane.identity.keycloak.KeycloakTestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.admin.client.resource.UserResource;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

/**
 * The operator console in Keycloak mode, in a real Chromium: the built jar against a real Keycloak 26; a user
 * with the realm role {@code operator} signs in on Keycloak's login page and works in the console, a tenant-admin
 * is refused with the operators-only page ({@code ops/console/e2e/keycloak.test.mjs}, {@code npm run e2e:keycloak}).
 */
class ConsoleKeycloakIT {
  private static final String JAR = "modules/app/target/modelplane.jar";
  private static final String REALM = "modelplane";
  private static final String OPERATOR = "olga";
  private static final String MEMBER = "tam";
  private static final String PASSWORD = "console-password-1";

  @TempDir
  static Path dir;
  private static KeycloakTestServer keycloak;
  private static NodeProcess node;
  private static ApiClient api;
  private static String operatorKey;

  @BeforeAll
  static void startKeycloakAndTheJar() {
    Path jar = BrowserTests.REPO.resolve(JAR);
    assertThat(jar).as("build %s first (mvn package)", JAR).isRegularFile();
    BrowserTests.assumeChromium();
    keycloak = KeycloakTestServer.builder().build().start();
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    operatorKey = "mp_operator_" + HexFormat.of().formatHex(secret);
    node = NodeProcess.startJar(jar, dir.resolve("data"), dir.resolve("node.log"), Map.of(
        "MODELPLANE_OPERATOR_KEY", operatorKey,
        "MODELPLANE_DEMO", "false",
        "MODELPLANE_KEYCLOAK_URL", keycloak.baseUrl(),
        "MODELPLANE_KEYCLOAK_REALM", REALM,
        "MODELPLANE_KEYCLOAK_ADMIN_USER", keycloak.adminUser(),
        "MODELPLANE_KEYCLOAK_ADMIN_PASSWORD", keycloak.adminPassword()));
    node.awaitReady(Duration.ofMinutes(3));
    api = new ApiClient(node.baseUrl());
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (keycloak != null) {
      keycloak.close();
    }
  }

  /** A tenant with a tenant-admin, and a person given the platform role operator in Keycloak (in no tenant). */
  private static void anOperatorAndATenantAdmin() {
    ApiClient.Reply created = api.post("/api/v1/tenants", operatorKey, Map.of("id", "kc-ops", "displayName", "kc-ops"));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    TestNodes.eventually(Duration.ofSeconds(60), () -> "provisioned".equals(
        api.get("/api/v1/tenants/kc-ops", operatorKey).json().at("/identity/state").asText()), "kc-ops provisioned");
    ApiClient.Reply invited = api.post("/api/v1/tenants/kc-ops/members", operatorKey,
        Map.of("username", MEMBER, "role", "tenant-admin"));
    assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
    try (Keycloak admin = KeycloakBuilder.builder().serverUrl(keycloak.baseUrl()).realm("master").clientId("admin-cli")
        .username(keycloak.adminUser()).password(keycloak.adminPassword()).build()) {
      RealmResource realm = admin.realm(REALM);
      UserRepresentation person = new UserRepresentation();
      person.setUsername(OPERATOR);
      person.setEnabled(true);
      assertThat(realm.users().create(person).getStatus()).isEqualTo(201);
      String operatorId = realm.users().searchByUsername(OPERATOR, true).get(0).getId();
      realm.users().get(operatorId).roles().realmLevel()
          .add(List.of(realm.roles().get(KeycloakProvisioner.OPERATOR_ROLE).toRepresentation()));
      ready(realm.users().get(operatorId), "Olga");
      ready(realm.users().get(invited.json().get("id").asText()), "Tam");
    }
  }

  /** What a person does at first sign-in: a password, the profile filled in. */
  private static void ready(UserResource user, String firstName) {
    CredentialRepresentation credential = new CredentialRepresentation();
    credential.setType(CredentialRepresentation.PASSWORD);
    credential.setValue(PASSWORD);
    credential.setTemporary(false);
    user.resetPassword(credential);
    UserRepresentation person = user.toRepresentation();
    person.setRequiredActions(List.of());
    person.setEmail(firstName.toLowerCase() + "@example.com");
    person.setEmailVerified(true);
    person.setFirstName(firstName);
    person.setLastName("Person");
    user.update(person);
  }

  @Test
  void anOperatorSignsInThroughKeycloakAndATenantAdminIsRefused() throws IOException, InterruptedException {
    anOperatorAndATenantAdmin();
    BrowserTests.run("ops/console", "e2e:keycloak", Map.of("E2E_AUTH", "keycloak",
        "APP_URL", node.baseUrl() + "/console/", "OPERATOR_KEY", operatorKey,
        "KEYCLOAK_OPERATOR", OPERATOR, "KEYCLOAK_MEMBER", MEMBER, "KEYCLOAK_PASSWORD", PASSWORD),
        dir.resolve("e2e.out"), Duration.ofMinutes(5), node);
  }
}
