package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.modelplane.identity.keycloak.KeycloakTestServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.ComponentRepresentation;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

/**
 * Keycloak mode against a real Keycloak 26 (started from the Maven Central distribution): tenant
 * provisioning, service-account and user tokens with exactly their roles, the access matrix with
 * tokens, every kind of bad token, key rotation, and a Keycloak outage.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakModeTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final String REALM = "modelplane";

  @TempDir static Path dataDir;
  static KeycloakTestServer keycloak;
  static Keycloak admin;
  static Main.Node node;
  static ApiClient api;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    keycloak = KeycloakTestServer.builder().build().start();
    System.out.printf("Keycloak ready in %d ms%n", keycloak.lastStartDuration().toMillis());
    node = TestNodes.start(dataDir, Map.of(
        "modelplane.keycloak.url", keycloak.baseUrl(),
        "modelplane.keycloak.realm", REALM,
        "modelplane.keycloak.admin-user", keycloak.adminUser(),
        "modelplane.keycloak.admin-password", keycloak.adminPassword(),
        "modelplane.keycloak.public-url", "http://127.0.0.1:8080",
        "modelplane.keycloak.clock-skew", "0s",
        "modelplane.keycloak.resync-interval", "1s"));
    api = new ApiClient(node.baseUrl());
    admin = KeycloakBuilder.builder().serverUrl(keycloak.baseUrl()).realm("master").clientId("admin-cli")
        .username(keycloak.adminUser()).password(keycloak.adminPassword()).build();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
    if (admin != null) {
      admin.close();
    }
    if (keycloak != null) {
      keycloak.close();
    }
  }

  static RealmResource realm() {
    return admin.realm(REALM);
  }

  /** Creates the tenant as the API answers it (provisioned in Keycloak or still provisioning). */
  static JsonNode postTenant(String id) {
    ApiClient.Reply created = api.post("/api/v1/tenants", OP, Map.of("id", id, "displayName", id));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    return created.json();
  }

  /** Creates the tenant and waits until Keycloak has it (the API waits 5 s, a loaded machine may take longer). */
  static void createTenant(String id) {
    postTenant(id);
    TestNodes.eventually(Duration.ofSeconds(30),
        () -> "provisioned".equals(api.get("/api/v1/tenants/" + id, OP).json().at("/identity/state").asText()),
        id + " provisioned");
  }

  /** A service account of {@code tenant} with {@code role}, created through the API; its token. */
  static String serviceAccountToken(String tenant, String name, String role) {
    ApiClient.Reply created = api.post("/api/v1/tenants/" + tenant + "/service-accounts", OP,
        Map.of("name", name, "role", role));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    JsonNode account = created.json();
    assertThat(account.get("tokenUrl").asText()).isEqualTo(tokenUrl());
    return clientToken(account);
  }

  /** A client-credentials token of a service account as its creation answered it. */
  static String clientToken(JsonNode account) {
    return token(tokenUrl(), Map.of("grant_type", "client_credentials",
        "client_id", account.get("clientId").asText(), "client_secret", account.get("clientSecret").asText()));
  }

  static String token(String tokenUrl, Map<String, String> form) {
    HttpResponse<String> r = tokenRequest(tokenUrl, form);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    try {
      return ApiClient.JSON.readTree(r.body()).get("access_token").asText();
    } catch (java.io.IOException e) {
      throw new AssertionError("token answer is not JSON", e);
    }
  }

  /** The HTTP status Keycloak answers a token request with (200, or 400/401 when refused). */
  static int tokenStatus(String tokenUrl, Map<String, String> form) {
    return tokenRequest(tokenUrl, form).statusCode();
  }

  private static HttpResponse<String> tokenRequest(String tokenUrl, Map<String, String> form) {
    StringBuilder body = new StringBuilder();
    form.forEach((k, v) -> body.append(body.length() == 0 ? "" : "&").append(k).append('=')
        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    try {
      return http.send(HttpRequest.newBuilder(URI.create(tokenUrl))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError("token request failed", e);
    }
  }

  static String tokenUrl() {
    return keycloak.baseUrl() + "/realms/" + REALM + "/protocol/openid-connect/token";
  }

  @Test
  @Order(1)
  void creatingATenantProvisionsItsOrganizationRoleGroupsAndTheWebClient() {
    long started = System.nanoTime();
    JsonNode created = postTenant("kc-acme");
    // usually provisioned in the answer; the very first tenant also waits for the realm's set-up
    assertThat(created.at("/identity/state").asText()).isIn("provisioned", "provisioning");
    TestNodes.eventually(Duration.ofSeconds(30),
        () -> "provisioned".equals(api.get("/api/v1/tenants/kc-acme", OP).json().at("/identity/state").asText()),
        "kc-acme provisioned");
    System.out.printf("first tenant provisioned (realm set-up included) in %d ms%n", (System.nanoTime() - started) / 1_000_000);
    JsonNode tenant = api.get("/api/v1/tenants/kc-acme", OP).json();
    String organizationId = tenant.at("/identity/organizationId").asText();
    assertThat(realm().organizations().get(organizationId).toRepresentation().getAlias()).isEqualTo("kc-acme");
    for (String role : List.of("tenant-admin", "developer", "viewer", "predictor")) {
      assertThat(realm().getGroupByPath("/tenants/kc-acme/" + role).getName()).isEqualTo(role);
    }
    ClientRepresentation web = realm().clients().findByClientId("modelplane-web").get(0);
    assertThat(web.isPublicClient()).isTrue();
    assertThat(web.isStandardFlowEnabled()).isTrue();
    assertThat(web.getAttributes()).containsEntry("pkce.code.challenge.method", "S256");
    assertThat(web.getRedirectUris()).containsExactly("http://127.0.0.1:8080/*");
    assertThat(realm().roles().get("operator").toRepresentation().getName()).isEqualTo("operator");

    JsonNode config = api.get("/api/v1/auth/config", null).json();
    assertThat(config.get("mode").asText()).isEqualTo("keycloak");
    assertThat(config.get("issuer").asText()).isEqualTo(keycloak.baseUrl() + "/realms/" + REALM);
    assertThat(config.get("clientId").asText()).isEqualTo("modelplane-web");
  }

  /** What the person would do at first sign-in: a password set, e-mail verified, profile filled in. */
  static void signInReady(String userId, String password, String email) {
    CredentialRepresentation credential = new CredentialRepresentation();
    credential.setType(CredentialRepresentation.PASSWORD);
    credential.setValue(password);
    credential.setTemporary(false);
    realm().users().get(userId).resetPassword(credential);
    UserRepresentation user = realm().users().get(userId).toRepresentation();
    user.setRequiredActions(List.of());
    user.setEmail(email);
    user.setEmailVerified(true);
    user.setFirstName("Test");
    user.setLastName("Person");
    realm().users().get(userId).update(user);
  }

  /** Waits until the clock is a second past the token's issue time, so that a change made now postdates it. */
  static void afterIssueSecond(String token) {
    long issued;
    try {
      issued = SignedJWT.parse(token).getJWTClaimsSet().getIssueTime().toInstant().getEpochSecond();
    } catch (java.text.ParseException e) {
      throw new AssertionError(e);
    }
    TestNodes.eventually(Duration.ofSeconds(3), () -> Instant.now().getEpochSecond() > issued, "a second after the token's iat");
  }

  /** A revoked token is refused (401) at once on the node that made the change. */
  static void assertRevoked(java.util.function.Supplier<ApiClient.Reply> call) {
    ManagementApiTest.assertError(call.get(), 401, "invalid_credential");
  }

  @Test
  @Order(2)
  void serviceAccountTokensCallPredictAndTheManagementApiWithExactlyTheirRole() {
    String key = TestNodes.tenantWithDigits(api, "kc-models", null, 1);
    String predictor = serviceAccountToken("kc-models", "ci-predict", "predictor");
    Map<String, Object> one = Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64),
        "datatype", "FP32", "data", java.util.Collections.nCopies(64, 1.0))));
    long started = System.nanoTime();
    assertThat(api.post("/v2/models/digits/infer", predictor, one).status()).isEqualTo(200);
    System.out.printf("first predict with a token (JWKS fetch included): %d ms%n", (System.nanoTime() - started) / 1_000_000);
    ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-models/models", predictor), 403, "forbidden");
    ApiClient.Reply deployCreated = api.post("/api/v1/tenants/kc-models/service-accounts", OP,
        Map.of("name", "ci-deploy", "role", "developer"));
    assertThat(deployCreated.status()).as(deployCreated.toString()).isEqualTo(201);
    String developerSecret = deployCreated.json().get("clientSecret").asText();
    String developer = clientToken(deployCreated.json());
    assertThat(api.get("/api/v1/tenants/kc-models/models", developer).status()).isEqualTo(200);
    ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-models/api-keys", developer), 403, "forbidden");

    JsonNode accounts = api.get("/api/v1/tenants/kc-models/service-accounts", OP).json().get("serviceAccounts");
    assertThat(ApiClient.each(accounts, "clientId")).containsExactlyInAnyOrder("kc-models--ci-predict", "kc-models--ci-deploy");
    assertThat(accounts.toString()).doesNotContain("ecret");
    ManagementApiTest.assertError(api.post("/api/v1/tenants/kc-models/service-accounts", OP,
        Map.of("name", "ci-predict", "role", "viewer")), 409, "conflict");
    ManagementApiTest.assertError(api.post("/api/v1/tenants/kc-models/service-accounts", OP,
        Map.of("name", "Bad Name", "role", "viewer")), 400, "invalid_name");
    ManagementApiTest.assertError(api.post("/api/v1/tenants/kc-models/service-accounts", OP,
        Map.of("name", "x", "role", "operator")), 400, "invalid_role");
    assertThat(key).isNotBlank();

    // a new secret: shown once, it gets tokens; the old one gets none (tokens it got stay valid until they expire)
    JsonNode deployAccount = null;
    for (JsonNode account : accounts) {
      if (account.get("clientId").asText().equals("kc-models--ci-deploy")) {
        deployAccount = account;
      }
    }
    ApiClient.Reply rotated = api.post("/api/v1/tenants/kc-models/service-accounts/" + deployAccount.get("id").asText()
        + "/secret", OP, Map.of());
    assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
    assertThat(rotated.json().get("clientId").asText()).isEqualTo("kc-models--ci-deploy");
    assertThat(rotated.json().get("tokenUrl").asText()).isEqualTo(tokenUrl());
    String rotatedToken = clientToken(rotated.json());
    assertThat(api.get("/api/v1/tenants/kc-models/models", rotatedToken).status()).isEqualTo(200);
    assertThat(api.get("/api/v1/tenants/kc-models/models", developer).status()).as("issued before").isEqualTo(200);
    assertThat(tokenStatus(tokenUrl(), Map.of("grant_type", "client_credentials", "client_id", "kc-models--ci-deploy",
        "client_secret", developerSecret))).as("the old secret gets no token").isEqualTo(401);
    ManagementApiTest.assertError(api.post("/api/v1/tenants/kc-models/service-accounts/no-such-id/secret", OP, Map.of()),
        404, "service_account_not_found");

    // deleting the account: its client is gone, and the tokens it was issued stop working at once
    String id = null;
    for (JsonNode account : accounts) {
      if (account.get("clientId").asText().equals("kc-models--ci-predict")) {
        id = account.get("id").asText();
      }
    }
    afterIssueSecond(predictor);
    assertThat(api.delete("/api/v1/tenants/kc-models/service-accounts/" + id, OP).status()).isEqualTo(204);
    assertRevoked(() -> api.post("/v2/models/digits/infer", predictor, one));
    assertThat(api.get("/api/v1/tenants/kc-models/models", developer).status()).as("the other account's token").isEqualTo(200);
    ManagementApiTest.assertError(api.delete("/api/v1/tenants/kc-models/service-accounts/" + id, OP),
        404, "service_account_not_found");
    // the journal is the audit log of these changes too
    List<String> changes = new ArrayList<>();
    TestNodes.eventually(ManagementApiTest.READ_SIDE_LAG, () -> {
      changes.clear();
      api.get("/api/v1/tenants/kc-models/history", OP).json().get("events").forEach(e -> {
        if (e.get("type").asText().startsWith("service_account_")) {
          changes.add(e.get("type").asText() + " " + e.get("actor").asText());
        }
      });
      return changes.size() == 4;
    }, "the service account changes in the tenant's history");
    assertThat(changes).containsExactly("service_account_created operator", "service_account_created operator",
        "service_account_secret_rotated operator", "service_account_deleted operator");
  }

  @Test
  @Order(3)
  void tokensOfEachRoleGetExactlyTheirRightsAndNothingOfAnotherTenant() {
    createTenant("kc-iso-a");
    createTenant("kc-iso-b");
    for (String t : List.of("kc-iso-a", "kc-iso-b")) {
      String dev = api.post("/api/v1/tenants/" + t + "/api-keys", OP, Map.of("name", "setup", "role", "developer"))
          .json().get("key").asText();
      assertThat(api.upload(t, "shared", dev, ApiClient.manifest(), TestModels.digits()).status()).isEqualTo(201);
    }
    String dev = api.post("/api/v1/tenants/kc-iso-b/api-keys", OP, Map.of("name", "setup2", "role", "developer"))
        .json().get("key").asText();
    assertThat(api.upload("kc-iso-b", "b-only", dev, ApiClient.manifest(), TestModels.digits()).status()).isEqualTo(201);
    Map<AccessMatrix.Role, String> tokens = new EnumMap<>(AccessMatrix.Role.class);
    for (AccessMatrix.Role role : AccessMatrix.Role.values()) {
      String wire = role.name().toLowerCase().replace('_', '-');
      tokens.put(role, serviceAccountToken("kc-iso-a", "m-" + wire, wire));
    }
    AccessMatrix.check(api, "kc-iso-a", "kc-iso-b", "shared", "b-only", tokens);
  }

  @Test
  @Order(4)
  void aMembersUserTokenWorksWithItsRoleWhichTheAdminCanChangeAndRemove() {
    createTenant("kc-people");
    ApiClient.Reply invited = api.post("/api/v1/tenants/kc-people/members", OP, Map.of("username", "alice", "role", "viewer"));
    assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
    String aliceId = invited.json().get("id").asText();
    ManagementApiTest.assertError(api.post("/api/v1/tenants/kc-people/members", OP,
        Map.of("username", "alice", "role", "viewer")), 409, "conflict");
    ManagementApiTest.assertError(api.post("/api/v1/tenants/kc-people/members", OP,
        Map.of("username", "alice", "email", "a@example.com", "role", "viewer")), 400, "invalid_member");
    // the test gives alice a password and a client that allows the password grant (for this test only)
    signInReady(aliceId, "alice-password-1", "alice@example.com");
    ClientRepresentation direct = new ClientRepresentation();
    direct.setClientId("test-direct-grant");
    direct.setPublicClient(true);
    direct.setDirectAccessGrantsEnabled(true);
    direct.setStandardFlowEnabled(false);
    realm().clients().create(direct).close();
    Map<String, String> login = Map.of("grant_type", "password", "client_id", "test-direct-grant",
        "username", "alice", "password", "alice-password-1");

    String viewer = token(tokenUrl(), login);
    assertThat(api.get("/api/v1/tenants/kc-people", viewer).status()).isEqualTo(200);
    JsonNode me = api.get("/api/v1/me", viewer).json();
    assertThat(List.of(me.get("tenant").asText(), me.get("role").asText(), me.get("credential").asText(), me.get("name").asText()))
        .containsExactly("kc-people", "viewer", "token", "alice");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-people/members", viewer), 403, "forbidden");
    JsonNode members = api.get("/api/v1/tenants/kc-people/members", OP).json().get("members");
    assertThat(ApiClient.each(members, "username")).containsExactly("alice");
    assertThat(members.get(0).has("invitation")).as("only in the answer that added her").isFalse();

    // a role change revokes the tokens issued before it: she signs in again to get the new role
    afterIssueSecond(viewer);
    assertThat(api.patch("/api/v1/tenants/kc-people/members/" + aliceId, OP, Map.of("role", "tenant-admin")).status())
        .isEqualTo(200);
    String tenantAdmin = token(tokenUrl(), login);
    assertThat(api.get("/api/v1/tenants/kc-people/members", tenantAdmin).status()).isEqualTo(200);
    assertRevoked(() -> api.get("/api/v1/tenants/kc-people", viewer));

    // the platform role operator, given in Keycloak, makes her token an operator's
    realm().users().get(aliceId).roles().realmLevel().add(List.of(realm().roles().get("operator").toRepresentation()));
    String operator = token(tokenUrl(), login);
    assertThat(api.get("/api/v1/tenants", operator).status()).isEqualTo(200);
    assertThat(api.get("/api/v1/admin/cluster", operator).status()).isEqualTo(200);
    realm().users().get(aliceId).roles().realmLevel().remove(List.of(realm().roles().get("operator").toRepresentation()));
    ManagementApiTest.assertError(api.get("/api/v1/tenants", token(tokenUrl(), login)), 403, "forbidden");

    afterIssueSecond(tenantAdmin);
    assertThat(api.delete("/api/v1/tenants/kc-people/members/" + aliceId, tenantAdmin).status()).isEqualTo(204);
    ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-people", token(tokenUrl(), login)), 401, "invalid_credential");
    // and the token she still holds from before is refused too
    assertRevoked(() -> api.get("/api/v1/tenants/kc-people", tenantAdmin));
    ManagementApiTest.assertError(api.patch("/api/v1/tenants/kc-people/members/" + aliceId, OP, Map.of("role", "viewer")),
        404, "member_not_found");
  }

  @Test
  @Order(5)
  void aNewPersonInvitedByEmailGetsALinkToSetAPasswordOnceTheRealmCanSendMail() throws Exception {
    createTenant("kc-invite");
    // the realm has no SMTP server yet: the member is added, and the answer says no invitation went out
    ApiClient.Reply quiet = api.post("/api/v1/tenants/kc-invite/members", OP, Map.of("email", "dana@example.com", "role", "developer"));
    assertThat(quiet.status()).as(quiet.toString()).isEqualTo(201);
    assertThat(quiet.json().get("invitation").asText()).isEqualTo("not_sent");
    assertThat(quiet.json().get("invitationNote").asText()).contains("SMTP");
    ApiClient.Reply byName = api.post("/api/v1/tenants/kc-invite/members", OP, Map.of("username", "erin", "role", "viewer"));
    assertThat(byName.json().get("invitation").asText()).isEqualTo("not_sent");
    assertThat(byName.json().get("invitationNote").asText()).contains("no e-mail address");

    GreenMail smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());
    smtp.start();
    try {
      // what an operator configures in Keycloak for production
      org.keycloak.representations.idm.RealmRepresentation settings = realm().toRepresentation();
      settings.setSmtpServer(Map.of("host", "127.0.0.1", "port", String.valueOf(smtp.getSmtp().getPort()),
          "from", "noreply@modelplane.test"));
      realm().update(settings);

      ApiClient.Reply invited = api.post("/api/v1/tenants/kc-invite/members", OP,
          Map.of("email", "frank@example.com", "role", "developer"));
      assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
      assertThat(invited.json().get("invitation").asText()).isEqualTo("sent");
      assertThat(smtp.waitForIncomingEmail(10_000, 1)).as("the invitation e-mail arrived").isTrue();
      jakarta.mail.internet.MimeMessage mail = smtp.getReceivedMessages()[0];
      assertThat(mail.getAllRecipients()[0].toString()).isEqualTo("frank@example.com");
      String body = com.icegreen.greenmail.util.GreenMailUtil.getBody(mail).replace("=\r\n", "").replace("=3D", "=");
      assertThat(body).contains(keycloak.baseUrl() + "/realms/" + REALM + "/login-actions/action-token?key=");

      // a person who already has an account needs no invitation: they sign in as before
      ApiClient.Reply existing = api.post("/api/v1/tenants/kc-invite/members", OP,
          Map.of("email", "frank@example.com", "role", "developer"));
      assertThat(existing.status()).as("already a member here").isEqualTo(409);
      createTenant("kc-invite-two");
      ApiClient.Reply elsewhere = api.post("/api/v1/tenants/kc-invite-two/members", OP,
          Map.of("email", "frank@example.com", "role", "viewer"));
      assertThat(elsewhere.json().get("invitation").asText()).isEqualTo("not_needed");
      assertThat(smtp.getReceivedMessages()).hasSize(1);

      // in two tenants now, he signs in to one of them at a time (Keycloak's organization scope)
      signInReady(invited.json().get("id").asText(), "frank-password-1", "frank@example.com");
      Map<String, String> login = Map.of("grant_type", "password", "client_id", "test-direct-grant",
          "username", "frank@example.com", "password", "frank-password-1");
      Map<String, String> asDeveloper = new HashMap<>(login);
      asDeveloper.put("scope", "openid organization:kc-invite");
      String developer = token(tokenUrl(), asDeveloper);
      assertThat(api.get("/api/v1/tenants/kc-invite/models", developer).status()).isEqualTo(200);
      ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-invite-two", developer), 404, "tenant_not_found");
      Map<String, String> asViewer = new HashMap<>(login);
      asViewer.put("scope", "openid organization:kc-invite-two");
      String viewer = token(tokenUrl(), asViewer);
      assertThat(api.get("/api/v1/tenants/kc-invite-two", viewer).status()).isEqualTo(200);
      ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-invite-two/members", viewer), 403, "forbidden");
      // a token naming no one tenant is refused
      ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-invite", token(tokenUrl(), login)), 401,
          "invalid_credential");
    } finally {
      smtp.stop();
    }
  }

  @Test
  @Order(6)
  void expiredForgedForeignAndAudienceLessTokensAre401() throws Exception {
    createTenant("kc-bad");
    String good = serviceAccountToken("kc-bad", "good", "viewer");
    assertThat(api.get("/api/v1/tenants/kc-bad", good).status()).isEqualTo(200);

    // signed by another key, same claims and kid
    SignedJWT real = SignedJWT.parse(good);
    RSAKey forger = new RSAKeyGenerator(2048).keyID(real.getHeader().getKeyID()).generate();
    SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(forger.getKeyID()).build(),
        real.getJWTClaimsSet());
    forged.sign(new RSASSASigner(forger));
    ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-bad", forged.serialize()), 401, "invalid_credential");

    // another realm (the master realm's admin token)
    ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-bad", keycloak.adminAccessToken()), 401, "invalid_credential");

    // a client of the realm whose tokens do not name ModelPlane as audience
    ApiClient.Reply created = api.post("/api/v1/tenants/kc-bad/service-accounts", OP, Map.of("name", "no-aud", "role", "viewer"));
    String clientUuid = created.json().get("id").asText();
    String scopeId = realm().clientScopes().findAll().stream().filter(s -> s.getName().equals("modelplane"))
        .findFirst().orElseThrow().getId();
    realm().clients().get(clientUuid).removeDefaultClientScope(scopeId);
    String noAudience = clientToken(created.json());
    assertThat(SignedJWT.parse(noAudience).getJWTClaimsSet().getAudience()).doesNotContain("modelplane");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-bad", noAudience), 401, "invalid_credential");

    // expired: a client whose tokens live 5 s (the node allows no clock skew in this test)
    ApiClient.Reply shortLived = api.post("/api/v1/tenants/kc-bad/service-accounts", OP, Map.of("name", "short", "role", "viewer"));
    ClientRepresentation c = realm().clients().get(shortLived.json().get("id").asText()).toRepresentation();
    Map<String, String> attributes = new HashMap<>(c.getAttributes());
    attributes.put("access.token.lifespan", "5");
    c.setAttributes(attributes);
    realm().clients().get(c.getId()).update(c);
    String expiring = clientToken(shortLived.json());
    assertThat(api.get("/api/v1/tenants/kc-bad", expiring).status()).isEqualTo(200);
    TestNodes.eventually(Duration.ofSeconds(20), () -> api.get("/api/v1/tenants/kc-bad", expiring).status() == 401,
        "the expired token refused");

    // a token of a tenant that was suspended: 403 tenant_suspended, and its clients are disabled
    assertThat(api.post("/api/v1/tenants/kc-bad/suspend", OP, Map.of()).status()).isEqualTo(200);
    ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-bad", good), 403, "tenant_suspended");
    TestNodes.eventually(Duration.ofSeconds(5), () -> realm().clients().findByClientId("kc-bad--good").get(0).isEnabled() == Boolean.FALSE,
        "the suspended tenant's service accounts disabled in Keycloak");
    assertThat(api.post("/api/v1/tenants/kc-bad/resume", OP, Map.of()).status()).isEqualTo(200);
    TestNodes.eventually(Duration.ofSeconds(5), () -> realm().clients().findByClientId("kc-bad--good").get(0).isEnabled() == Boolean.TRUE,
        "the resumed tenant's service accounts enabled again");
    assertThat(api.get("/api/v1/tenants/kc-bad", good).status()).isEqualTo(200);
  }

  @Test
  @Order(7)
  void aRotatedRealmKeyIsPickedUp() throws Exception {
    createTenant("kc-rotate");
    String before = serviceAccountToken("kc-rotate", "rot", "viewer");
    assertThat(api.get("/api/v1/tenants/kc-rotate", before).status()).isEqualTo(200);
    String oldKid = SignedJWT.parse(before).getHeader().getKeyID();

    ComponentRepresentation key = new ComponentRepresentation();
    key.setName("rotated-rsa");
    key.setProviderId("rsa-generated");
    key.setProviderType("org.keycloak.keys.KeyProvider");
    key.setParentId(realm().toRepresentation().getId());
    org.keycloak.common.util.MultivaluedHashMap<String, String> config = new org.keycloak.common.util.MultivaluedHashMap<>();
    config.putSingle("priority", "500");
    config.putSingle("active", "true");
    config.putSingle("enabled", "true");
    config.putSingle("keySize", "2048");
    key.setConfig(config);
    realm().components().add(key).close();

    List<String> kids = new ArrayList<>();
    // the node refetches keys for an unknown kid at most once per 10 s, and an earlier test used that up
    TestNodes.eventually(Duration.ofSeconds(30), () -> {
      try {
        String t = serviceAccountToken("kc-rotate", "rot-" + kids.size(), "viewer");
        String kid = SignedJWT.parse(t).getHeader().getKeyID();
        kids.add(kid);
        return !kid.equals(oldKid) && api.get("/api/v1/tenants/kc-rotate", t).status() == 200;
      } catch (java.text.ParseException e) {
        throw new AssertionError(e);
      }
    }, "a token signed with the rotated key accepted");
    assertThat(api.get("/api/v1/tenants/kc-rotate", before).status()).as("tokens of the old key still valid").isEqualTo(200);
  }

  @Test
  @Order(8)
  void withKeycloakDownATenantIsCreatedAsProvisioningAndCompletesLaterWhileIssuedTokensKeepWorking() {
    createTenant("kc-outage");
    String issued = serviceAccountToken("kc-outage", "steady", "viewer");
    assertThat(api.get("/api/v1/tenants/kc-outage", issued).status()).isEqualTo(200);
    keycloak.stop();
    try {
      JsonNode created = postTenant("kc-late");
      assertThat(created.at("/identity/state").asText()).isEqualTo("provisioning");
      assertThat(api.get("/api/v1/tenants/kc-late", OP).json().at("/identity/state").asText()).isEqualTo("provisioning");
      assertThat(api.get("/api/v1/tenants/kc-outage", issued).status()).as("JWKS cached").isEqualTo(200);
      ManagementApiTest.assertError(api.get("/api/v1/tenants/kc-late/members", OP), 503, "tenant_provisioning");
      ApiClient.Reply down = api.get("/api/v1/tenants/kc-outage/members", OP);
      ManagementApiTest.assertError(down, 503, "identity_unavailable");
      assertThat(down.header("Retry-After")).isNotBlank();
    } finally {
      keycloak.start();
    }
    TestNodes.eventually(Duration.ofSeconds(30),
        () -> "provisioned".equals(api.get("/api/v1/tenants/kc-late", OP).json().at("/identity/state").asText()),
        "the tenant provisioned once Keycloak is back");
    assertThat(realm().getGroupByPath("/tenants/kc-late/developer").getName()).isEqualTo("developer");
  }
}
