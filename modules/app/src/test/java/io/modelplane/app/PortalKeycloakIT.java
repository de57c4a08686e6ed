package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.modelplane.identity.keycloak.KeycloakTestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
  private static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium");
  private static final Duration E2E_TIMEOUT = Duration.ofMinutes(5);
  private static final Path REPO = Path.of(System.getProperty("modelplane.repo", "../..")).toAbsolutePath().normalize();
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
    Path jar = REPO.resolve(JAR);
    assertThat(jar).as("build %s first (mvn package)", JAR).isRegularFile();
    assertThat(Path.of(CHROMIUM)).as("the browser tests drive Chromium at %s: install it (apt-get install -y chromium)"
        + " or point CHROMIUM_PATH at one", CHROMIUM).isRegularFile();
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
    Path output = dir.resolve("e2e.out");
    ProcessBuilder npm = new ProcessBuilder("npm", "run", "e2e:keycloak").directory(REPO.resolve("tenant-portal").toFile())
        .redirectErrorStream(true).redirectOutput(output.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Map<String, String> env = npm.environment();
    env.put("E2E_AUTH", "keycloak");
    env.put("PORTAL_URL", node.baseUrl() + "/portal/");
    env.put("OPERATOR_KEY", operatorKey);
    env.put("KEYCLOAK_USER", MEMBER);
    env.put("KEYCLOAK_PASSWORD", PASSWORD);
    env.put("CHROMIUM_PATH", CHROMIUM);
    long started = System.nanoTime();
    Process process = npm.start();
    if (!process.waitFor(E2E_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
      fail("the browser tests did not finish within " + E2E_TIMEOUT + ":\n" + Files.readString(output, StandardCharsets.UTF_8));
    }
    String out = Files.readString(output, StandardCharsets.UTF_8);
    System.out.printf("Keycloak browser tests: exit %d in %d s%n%s%n", process.exitValue(),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), out);
    if (process.exitValue() != 0) {
      fail("the browser tests failed (exit " + process.exitValue() + "):\n" + out + "\nnode log:\n" + node.tail());
    }
    assertThat(out).as("node's test runner reports its counts").containsPattern("(?m)^# pass [1-9]").contains("# fail 0")
        .contains("# skipped 0");
  }
}
