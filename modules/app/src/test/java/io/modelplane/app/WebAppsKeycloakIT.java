package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.identity.keycloak.KeycloakProvisioner;
import io.modelplane.identity.keycloak.KeycloakTestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
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
 * The web apps in Keycloak mode, in a real Chromium: the built jar against a real Keycloak 26 (one of each for
 * both apps). In the portal a member of two tenants signs in on Keycloak's login page, picks one, works in it and
 * signs out ({@code tenant-portal/e2e/keycloak.test.mjs}); in the console a user with the realm role operator signs
 * in and works, and a tenant-admin is refused ({@code ops/console/e2e/keycloak.test.mjs}).
 */
class WebAppsKeycloakIT {
  private static final String REALM = "modelplane";
  private static final String PASSWORD = "web-apps-password-1";

  @TempDir
  static Path dir;
  private static KeycloakTestServer keycloak;
  private static NodeProcess node;
  private static ApiClient api;
  private static String operatorKey;

  @BeforeAll
  static void startKeycloakAndTheJar() {
    BrowserTests.assumeJarAndChromium();
    keycloak = KeycloakTestServer.builder().build().start();
    System.out.printf("Keycloak ready in %d ms%n", keycloak.lastStartDuration().toMillis());
    operatorKey = BrowserTests.newOperatorKey();
    node = BrowserTests.startJar(dir, Map.of(
        "MODELPLANE_OPERATOR_KEY", operatorKey,
        "MODELPLANE_DEMO", "false",
        "MODELPLANE_KEYCLOAK_URL", keycloak.baseUrl(),
        "MODELPLANE_KEYCLOAK_REALM", REALM,
        "MODELPLANE_KEYCLOAK_ADMIN_USER", keycloak.adminUser(),
        "MODELPLANE_KEYCLOAK_ADMIN_PASSWORD", keycloak.adminPassword()));
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

  @Test
  void aMemberSignsInToThePortalThroughKeycloakAndWorksInOneTenant() throws IOException, InterruptedException {
    // two tenants, and one person in both: tenant-admin of the first, viewer of the second
    provisioned("kc-north");
    provisioned("kc-south");
    String pat = invite("kc-north", "pat", "tenant-admin");
    invite("kc-south", "pat", "viewer");
    inRealm(realm -> signInReady(realm.users().get(pat), "Pat"));
    BrowserTests.run("tenant-portal", "e2e:keycloak", Map.of("E2E_AUTH", "keycloak",
        "PORTAL_URL", node.baseUrl() + "/portal/", "OPERATOR_KEY", operatorKey,
        "KEYCLOAK_USER", "pat", "KEYCLOAK_PASSWORD", PASSWORD), dir.resolve("portal-e2e.out"), Duration.ofMinutes(5), node);
  }

  @Test
  void anOperatorSignsInToTheConsoleThroughKeycloakAndATenantAdminIsRefused() throws IOException, InterruptedException {
    // a tenant with a tenant-admin, and a person given the platform role operator in Keycloak (in no tenant)
    provisioned("kc-ops");
    String tam = invite("kc-ops", "tam", "tenant-admin");
    inRealm(realm -> {
      UserRepresentation person = new UserRepresentation();
      person.setUsername("olga");
      person.setEnabled(true);
      assertThat(realm.users().create(person).getStatus()).isEqualTo(201);
      String olga = realm.users().searchByUsername("olga", true).get(0).getId();
      realm.users().get(olga).roles().realmLevel()
          .add(List.of(realm.roles().get(KeycloakProvisioner.OPERATOR_ROLE).toRepresentation()));
      signInReady(realm.users().get(olga), "Olga");
      signInReady(realm.users().get(tam), "Tam");
    });
    BrowserTests.run("ops/console", "e2e:keycloak", Map.of("E2E_AUTH", "keycloak",
        "APP_URL", node.baseUrl() + "/console/", "OPERATOR_KEY", operatorKey,
        "KEYCLOAK_OPERATOR", "olga", "KEYCLOAK_MEMBER", "tam", "KEYCLOAK_PASSWORD", PASSWORD),
        dir.resolve("console-e2e.out"), Duration.ofMinutes(5), node);
  }

  private static void provisioned(String tenant) {
    ApiClient.Reply created = api.post("/api/v1/tenants", operatorKey, Map.of("id", tenant, "displayName", tenant));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    TestNodes.eventually(Duration.ofSeconds(60), () -> "provisioned".equals(
        api.get("/api/v1/tenants/" + tenant, operatorKey).json().at("/identity/state").asText()), tenant + " provisioned");
  }

  /** Invites the person into the tenant with the role; answers their Keycloak user id. */
  private static String invite(String tenant, String username, String role) {
    ApiClient.Reply invited = api.post("/api/v1/tenants/" + tenant + "/members", operatorKey,
        Map.of("username", username, "role", role));
    assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
    return invited.json().get("id").asText();
  }

  private static void inRealm(Consumer<RealmResource> work) {
    try (Keycloak admin = KeycloakBuilder.builder().serverUrl(keycloak.baseUrl()).realm("master").clientId("admin-cli")
        .username(keycloak.adminUser()).password(keycloak.adminPassword()).build()) {
      work.accept(admin.realm(REALM));
    }
  }

  /** What a person does at first sign-in (the invitation e-mail's link): a password, the profile filled in. */
  private static void signInReady(UserResource user, String firstName) {
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
}
