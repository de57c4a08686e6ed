package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.keycloak.admin.client.resource.UserResource;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

/**
 * The tenant portal in Keycloak mode, in a real Chromium: the built jar against a real Keycloak 26, a member of
 * two tenants signs in on Keycloak's login page, picks one, works in it and signs out
 * ({@code tenant-portal/e2e/keycloak.test.mjs}, run by {@code npm run e2e:keycloak}).
 */
class PortalKeycloakIT {
  private static final String JAR = "modules/app/target/modelplane.jar";
  private static final String REALM = "modelplane";
  private static final String MEMBER = "pat";
  private static final String PASSWORD = "pat-password-1";

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
    System.out.printf("Keycloak ready in %d ms%n", keycloak.lastStartDuration().toMillis());
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

  /** Two tenants, and one person in both: tenant-admin of the first, viewer of the second. */
  private static void twoTenantsAndTheirMember() {
    for (String tenant : List.of("kc-north", "kc-south")) {
      ApiClient.Reply created = api.post("/api/v1/tenants", operatorKey, Map.of("id", tenant, "displayName", tenant));
      assertThat(created.status()).as(created.toString()).isEqualTo(201);
      TestNodes.eventually(Duration.ofSeconds(60), () -> "provisioned".equals(
          api.get("/api/v1/tenants/" + tenant, operatorKey).json().at("/identity/state").asText()), tenant + " provisioned");
    }
    ApiClient.Reply invited = api.post("/api/v1/tenants/kc-north/members", operatorKey,
        Map.of("username", MEMBER, "role", "tenant-admin"));
    assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
    ApiClient.Reply second = api.post("/api/v1/tenants/kc-south/members", operatorKey,
        Map.of("username", MEMBER, "role", "viewer"));
    assertThat(second.status()).as(second.toString()).isEqualTo(201);
    // what the person would do at first sign-in (the invitation e-mail's link): a password, the profile filled in
    try (Keycloak admin = KeycloakBuilder.builder().serverUrl(keycloak.baseUrl()).realm("master").clientId("admin-cli")
        .username(keycloak.adminUser()).password(keycloak.adminPassword()).build()) {
      UserResource user = admin.realm(REALM).users().get(invited.json().get("id").asText());
      CredentialRepresentation credential = new CredentialRepresentation();
      credential.setType(CredentialRepresentation.PASSWORD);
      credential.setValue(PASSWORD);
      credential.setTemporary(false);
      user.resetPassword(credential);
      UserRepresentation person = user.toRepresentation();
      person.setRequiredActions(List.of());
      person.setEmail("pat@example.com");
      person.setEmailVerified(true);
      person.setFirstName("Pat");
      person.setLastName("Member");
      user.update(person);
    }
  }

  @Test
  void aMemberSignsInThroughKeycloakAndWorksInOneTenant() throws IOException, InterruptedException {
    twoTenantsAndTheirMember();
    BrowserTests.run("tenant-portal", "e2e:keycloak", Map.of("E2E_AUTH", "keycloak",
        "PORTAL_URL", node.baseUrl() + "/portal/", "OPERATOR_KEY", operatorKey,
        "KEYCLOAK_USER", MEMBER, "KEYCLOAK_PASSWORD", PASSWORD), dir.resolve("e2e.out"), Duration.ofMinutes(5), node);
  }
}
