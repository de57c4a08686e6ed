package io.modelplane.app;

import static io.modelplane.app.ManagementApiTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import akka.stream.javadsl.Sink;
import io.modelplane.common.TenantId;
import io.modelplane.control.keys.DataKeyLedger;
import io.modelplane.control.keys.StoredTenantKeys;
import io.modelplane.control.readside.ReadSideDatabase;
import io.modelplane.registry.LocalArtifactStore;
import io.modelplane.registry.TenantArtifacts;
import io.modelplane.registry.crypto.KeyUnavailableException;
import io.modelplane.registry.crypto.LocalKeySource;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import io.modelplane.control.ControlPlane;
import io.modelplane.identity.Principal;
import io.modelplane.identity.keycloak.KeycloakProvisioner;
import io.modelplane.identity.token.JwksKeySource;
import io.modelplane.identity.token.KeycloakRealm;
import io.modelplane.identity.token.TokenAuthenticator;
import io.modelplane.identity.token.TokenVerifier;
import io.modelplane.tenancy.TenantEntity;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leaving the platform end to end on a real node: a tenant's export (every artifact byte for byte, manifests, usage,
 * audit), its deletion (interrupted, then resumed) after which its keys, tokens and predicts are refused and nothing of
 * its artifacts is readable while its audit and billing records stay, and a released id created again from scratch.
 */
class OffboardingApiTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;
  static ControlPlane controlPlane;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    node = TestNodes.start(dataDir, Map.of());
    api = new ApiClient(node.baseUrl());
    controlPlane = new ControlPlane(node.system(), Duration.ofSeconds(5), 3);
  }

  @AfterAll
  static void stop() {
    node.stop();
  }

  static String key(String tenant, String role) {
    ApiClient.Reply r = api.post("/api/v1/tenants/" + tenant + "/api-keys", OP, Map.of("name", role, "role", role));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json().get("key").asText();
  }

  static HttpResponse<byte[]> export(String tenant, String credential) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/v1/tenants/" + tenant + "/export"))
        .header("Authorization", "Bearer " + credential).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** The export's answer as text: for its failures. */
  static ApiClient.Reply exportReply(String tenant, String credential) {
    return api.raw("POST", "/api/v1/tenants/" + tenant + "/export", credential, "application/json", new byte[0]);
  }

  /** Every entry of the zip by name; fails if the archive is not complete. */
  static Map<String, byte[]> unzip(byte[] zip) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        entries.put(e.getName(), in.readAllBytes());
      }
    }
    return entries;
  }

  static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void aTenantExportsItsDataThenIsDeletedForGoodWhileItsAuditAndBillingStay() throws Exception {
    String developer = TestNodes.tenantWithDigits(api, "leaving", null, 1);
    String admin = key("leaving", "tenant-admin");
    String viewer = key("leaving", "viewer");
    String predictor = key("leaving", "predictor");
    String otherAdmin;
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "staying", "displayName", "Staying")).status()).isEqualTo(201);
    otherAdmin = key("staying", "tenant-admin");
    assertThat(api.post("/v2/models/digits/infer", predictor, UsageApiTest.rows(2)).status()).isEqualTo(200);
    TestNodes.eventually(Duration.ofSeconds(20), () -> api.get("/api/v1/tenants/leaving/usage?step=minute", admin)
        .json().path("rows").size() > 0, "the predict call in the usage tables");

    // ---- export: tenant-admin (or operator) only; another tenant's admin sees no such tenant
    assertError(exportReply("leaving", developer), 403, "forbidden");
    assertError(exportReply("leaving", viewer), 403, "forbidden");
    assertError(exportReply("leaving", otherAdmin), 404, "tenant_not_found");
    assertError(exportReply("nobody-here", OP), 404, "tenant_not_found");

    HttpResponse<byte[]> exported = export("leaving", admin);
    assertThat(exported.statusCode()).isEqualTo(200);
    assertThat(exported.headers().firstValue("Content-Type")).hasValue("application/zip");
    assertThat(exported.headers().firstValue("Content-Disposition").orElseThrow())
        .matches("attachment; filename=\"?leaving-export-\\d{8}T\\d{6}Z\\.zip\"?");
    Map<String, byte[]> zip = unzip(exported.body());
    assertThat(storedFiles("leaving")).hasSize(1);
    assertThat(dataKeyRow("leaving")).isEqualTo("live");
    // stored encrypted: the file on disk is not the artifact
    assertThat(java.nio.file.Files.readAllBytes(storedFiles("leaving").get(0))).isNotEqualTo(TestNodes.digitsModel());
    assertThat(zip).containsKeys("manifest.json", "tenant.json", "models/digits/model.json",
        "models/digits/deployments.json", "models/digits/versions/1/model.pt", "usage.csv", "audit.json");
    assertThat(zip.get("models/digits/versions/1/model.pt")).isEqualTo(TestNodes.digitsModel());
    JsonNode manifest = JSON.readTree(zip.get("manifest.json"));
    assertThat(manifest.path("tenant").asText()).isEqualTo("leaving");
    assertThat(manifest.path("format").asText()).isNotBlank();
    List<String> names = JSON.convertValue(manifest.path("entries"), JSON.getTypeFactory()
        .constructCollectionType(List.class, String.class));
    assertThat(names).containsExactlyInAnyOrderElementsOf(zip.keySet());
    JsonNode tenantDoc = JSON.readTree(zip.get("tenant.json"));
    assertThat(tenantDoc.path("plan").asText()).isEqualTo("default");
    assertThat(tenantDoc.path("apiKeys").size()).isEqualTo(4);
    assertThat(text(zip.get("tenant.json"))).doesNotContainIgnoringCase("hash").doesNotContain(admin)
        .doesNotContain(admin.substring(admin.lastIndexOf('.') + 1));
    JsonNode model = JSON.readTree(zip.get("models/digits/model.json"));
    String sha256 = model.path("versions").get(0).path("sha256").asText();
    assertThat(model.path("versions").get(0).path("sha256").asText()).hasSize(64);
    assertThat(model.path("versions").get(0).path("inputs").size()).isPositive();
    JsonNode deployments = JSON.readTree(zip.get("models/digits/deployments.json"));
    assertThat(deployments.path("current").path("revision").asLong()).isEqualTo(1);
    assertThat(deployments.path("history").get(0).path("type").asText()).isEqualTo("deployment_revised");
    String usage = text(zip.get("usage.csv"));
    assertThat(usage).startsWith("minute,model,version,requests,");
    assertThat(usage.lines().skip(1)).anySatisfy(line -> assertThat(line).contains(",digits,1,1,2,"));
    JsonNode audit = JSON.readTree(zip.get("audit.json"));
    assertThat(audit.findValuesAsText("type")).contains("tenant_created", "api_key_created", "version_registered",
        "deployment_revised");
    // the export itself is in the audit log
    TestNodes.eventually(Duration.ofSeconds(10), () -> api.get("/api/v1/tenants/leaving/history", admin).json()
        .findValuesAsText("type").contains("tenant_exported"), "the export in the tenant's history");

    // ---- deletion: operator only, with the tenant's id repeated as confirmation
    assertError(api.delete("/api/v1/tenants/leaving?confirm=leaving", admin), 403, "forbidden");
    assertError(api.delete("/api/v1/tenants/leaving", OP), 400, "confirmation_required");
    assertError(api.delete("/api/v1/tenants/leaving?confirm=staying", OP), 400, "confirmation_required");
    assertError(api.delete("/api/v1/tenants/leaving?confirm=leaving&releaseId=maybe", OP), 400, "invalid_request");
    assertThat(api.get("/api/v1/tenants/leaving", OP).json().path("status").asText()).isEqualTo("active");

    TokenFixture tokens = new TokenFixture();
    try {
      String token = tokens.token("leaving", "tenant-admin");
      assertThat(tokens.authenticate(token)).hasValueSatisfying(p -> assertThat(p.tenantActive()).isTrue());

      // a deletion cut short right after its first durable step (as by a crash): the tenant is half way
      TenantEntity.Summary started = controlPlane.tenant(TenantId.of("leaving"),
          r -> new TenantEntity.StartDeletion(false, "operator", r), TenantEntity.Summary.class)
          .toCompletableFuture().get();
      assertThat(started.status()).isEqualTo(TenantEntity.Status.DELETING);
      TestNodes.eventually(Duration.ofSeconds(10), () -> api.post("/v2/models/digits/infer", predictor,
          UsageApiTest.rows(1)).status() == 401, "the keys refused while deleting");
      // each key's cached lookup expires on its own: the predictor's refusal does not mean the developer's
      TestNodes.eventually(Duration.ofSeconds(10), () -> api.get("/api/v1/tenants/leaving", developer).status() == 401,
          "the developer key refused while deleting");
      assertThat(tokens.authenticate(token)).hasValueSatisfying(p -> assertThat(p.tenantActive()).isFalse());
      assertThat(api.get("/api/v1/tenants/leaving", OP).json().path("status").asText()).isEqualTo("deleting");
      assertError(exportReply("leaving", OP), 409, "tenant_deleting");
      assertError(api.upload("leaving", "more", OP, ApiClient.manifest(), TestNodes.digitsModel()), 409,
          "tenant_deleting");
      assertError(api.put("/api/v1/tenants/leaving/models/digits/deployment", OP,
          Map.of("traffic", Map.of("1", 100), "replicas", 2)), 409, "tenant_deleting");
      TestNodes.eventually(Duration.ofSeconds(10), () -> ApiClient.each(api.get("/api/v1/tenants?status=deleting", OP)
          .json().path("tenants"), "id").contains("leaving"), "the tenant listed as deleting");

      // deleting it again carries on
      ApiClient.Reply deleted = api.delete("/api/v1/tenants/leaving?confirm=leaving", OP);
      assertThat(deleted.status()).as(deleted.toString()).isEqualTo(200);
      assertThat(deleted.json().path("tenant").asText()).isEqualTo("leaving");
      assertThat(deleted.json().path("status").asText()).isEqualTo("deleted");
      assertThat(deleted.json().path("artifactsDeleted").asInt()).isEqualTo(1);
      assertThat(deleted.json().path("dataKeyDestroyed").asBoolean()).isTrue();
      assertThat(deleted.json().path("idReleased").asBoolean()).isFalse();
      assertThat(deleted.json().path("deletedAt").asText()).isNotBlank();
      // and once more: the same record
      assertThat(api.delete("/api/v1/tenants/leaving?confirm=leaving", OP).json().path("deletedAt"))
          .isEqualTo(deleted.json().path("deletedAt"));

      // keys, tokens and predicts refused
      for (String k : List.of(developer, admin, viewer, predictor)) {
        assertThat(api.post("/v2/models/digits/infer", k, UsageApiTest.rows(1)).status()).isEqualTo(401);
        assertThat(api.get("/api/v1/tenants/leaving", k).status()).isEqualTo(401);
      }
      assertThat(tokens.authenticate(token)).isEmpty();
      assertThat(tokens.authenticate(tokens.token("leaving", "developer"))).isEmpty();
    } finally {
      tokens.close();
    }

    // nothing of its models or artifacts readable
    assertError(exportReply("leaving", OP), 404, "tenant_not_found");
    assertError(api.get("/api/v1/tenants/leaving/models/digits", OP), 404, "model_not_found");
    TestNodes.eventually(Duration.ofSeconds(20), () -> !api.get("/api/v1/admin/cluster", OP).json().path("workers")
        .toString().contains("leaving/"), "its replicas unloaded");
    assertThat(storedFiles("leaving")).isEmpty();
    assertThat(dataKeyRow("leaving")).isEqualTo("destroyed");
    // the node's own facade over the same store and key table cannot read what the tenant stored either
    try (Database db = Database.of(node)) {
      TenantArtifacts artifacts = db.artifacts(node);
      assertThatThrownBy(() -> artifacts.keys().keyOf(TenantId.of("leaving")).toCompletableFuture().get())
          .hasCauseInstanceOf(KeyUnavailableException.class);
      assertThatThrownBy(() -> artifacts.plaintext(TenantId.of("leaving"), sha256)
          .runWith(Sink.ignore(), node.system()).toCompletableFuture().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class);
    }

    // its audit and billing records stay
    TestNodes.eventually(Duration.ofSeconds(10), () -> api.get("/api/v1/admin/audit?tenant=leaving&limit=500", OP)
        .json().findValuesAsText("type").contains("tenant_deleted"), "the deletion in the audit log");
    JsonNode auditAfter = api.get("/api/v1/admin/audit?tenant=leaving&limit=500", OP).json();
    assertThat(auditAfter.findValuesAsText("type")).contains("tenant_created", "tenant_exported",
        "tenant_deletion_started", "model_purged", "tenant_deleted");
    String month = YearMonth.now(ZoneOffset.UTC).toString();
    JsonNode billing = api.get("/api/v1/admin/billing?month=" + month, OP).json();
    assertThat(BillingApiTest.tenantIn(billing.path("statements"), "tenant", "leaving")).isNotNull();

    // lists leave it out unless asked for deleted tenants; the operator still reads it
    TestNodes.eventually(Duration.ofSeconds(10), () -> ApiClient.each(api.get("/api/v1/tenants?status=deleted", OP)
        .json().path("tenants"), "id").contains("leaving"), "the tenant listed as deleted");
    assertThat(ApiClient.each(api.get("/api/v1/tenants", OP).json().path("tenants"), "id"))
        .contains("staying").doesNotContain("leaving");
    JsonNode after = api.get("/api/v1/tenants/leaving", OP).json();
    assertThat(after.path("status").asText()).isEqualTo("deleted");
    assertThat(after.path("models").size()).isZero();

    // the id was not released
    assertError(api.post("/api/v1/tenants", OP, Map.of("id", "leaving", "displayName", "Again")), 409, "tenant_exists");
  }

  @Test
  void aReleasedIdIsCreatedAgainAsAFreshEmptyTenant() throws Exception {
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "reborn", "displayName", "First")).status()).isEqualTo(201);
    String admin = key("reborn", "tenant-admin");
    assertThat(api.upload("reborn", "digits", admin, ApiClient.manifest(), TestNodes.digitsModel()).status())
        .isEqualTo(201);

    ApiClient.Reply deleted = api.delete("/api/v1/tenants/reborn?confirm=reborn&releaseId=true", OP);
    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(200);
    assertThat(deleted.json().path("idReleased").asBoolean()).isTrue();
    assertThat(deleted.json().path("artifactsDeleted").asInt()).isEqualTo(1);
    assertThat(storedFiles("reborn")).isEmpty();
    assertThat(dataKeyRow("reborn")).isEqualTo("forgotten");

    ApiClient.Reply again = api.post("/api/v1/tenants", OP, Map.of("id", "reborn", "displayName", "Second"));
    assertThat(again.status()).as(again.toString()).isEqualTo(201);
    assertThat(again.json().path("displayName").asText()).isEqualTo("Second");
    assertThat(again.json().path("models").size()).isZero();
    assertThat(api.get("/api/v1/tenants/reborn/api-keys", OP).json().path("apiKeys").size()).isZero();
    // the old key is no key of the new tenant
    assertThat(api.get("/api/v1/tenants/reborn", admin).status()).isEqualTo(401);
    String newAdmin = key("reborn", "tenant-admin");
    assertError(api.get("/api/v1/tenants/reborn/models/digits", newAdmin), 404, "model_not_found");
    // the name is free again, from version 1
    ApiClient.Reply upload = api.upload("reborn", "digits", newAdmin, ApiClient.manifest(), TestNodes.digitsModel());
    assertThat(upload.status()).as(upload.toString()).isEqualTo(201);
    assertThat(upload.json().path("version").asInt()).isEqualTo(1);
    // under a fresh data key
    assertThat(dataKeyRow("reborn")).isEqualTo("live");
    HttpResponse<byte[]> exported = export("reborn", newAdmin);
    assertThat(unzip(exported.body()).get("models/digits/versions/1/model.pt")).isEqualTo(TestNodes.digitsModel());
  }

  @Test
  void anArtifactThatFailsOnTheWayCutsTheExportOffAndTheNextExportMayStart() throws Exception {
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "tampered", "displayName", "T")).status()).isEqualTo(201);
    String admin = key("tampered", "tenant-admin");
    assertThat(api.upload("tampered", "digits", admin, ApiClient.manifest(), TestNodes.digitsModel()).status())
        .isEqualTo(201);
    Path stored = storedFiles("tampered").get(0);
    byte[] bytes = java.nio.file.Files.readAllBytes(stored);
    bytes[bytes.length / 2] ^= 1;
    stored.toFile().setWritable(true, true);
    java.nio.file.Files.write(stored, bytes);

    for (int attempt = 0; attempt < 2; attempt++) {
      // a cut response: the client fails reading it, or what arrived is no complete archive
      try {
        HttpResponse<byte[]> r = export("tampered", admin);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> {
          Map<String, byte[]> entries = unzip(r.body());
          assertThat(entries).containsKey("manifest.json");
        }).isInstanceOf(Throwable.class);
      } catch (IOException cut) {
        // the connection was closed before the end of the chunked body
      }
    }
    // each export recorded as started and as ended incomplete (the second was not blocked by the first)
    TestNodes.eventually(Duration.ofSeconds(10), () -> api.get("/api/v1/tenants/tampered/history", admin).json()
        .findValuesAsText("type").stream().filter("tenant_export_finished"::equals).count() == 2, "both ends recorded");
    JsonNode history = api.get("/api/v1/tenants/tampered/history", admin).json();
    history.path("events").forEach(e -> {
      if (e.path("type").asText().equals("tenant_export_finished")) {
        assertThat(e.path("details").path("complete").asBoolean()).isFalse();
      }
    });
  }

  /** The tenant's stored artifact files (the store keeps each tenant's under {@code tenants/<tenant>/}). */
  static List<Path> storedFiles(String tenant) throws IOException {
    String marker = java.io.File.separator + "tenants" + java.io.File.separator + tenant + java.io.File.separator;
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dataDir)) {
      return files.filter(java.nio.file.Files::isRegularFile).filter(f -> f.toString().contains(marker)).toList();
    }
  }

  /** {@code live}, {@code destroyed} or {@code none}: the tenant's row of the data key table. */
  static String dataKeyRow(String tenant) throws Exception {
    try (Database db = Database.of(node); java.sql.Connection c = db.db.connection();
         java.sql.PreparedStatement s = c.prepareStatement(
             "SELECT wrapped, destroyed_at FROM tenant_data_keys WHERE tenant = ?")) {
      s.setString(1, tenant);
      try (java.sql.ResultSet rs = s.executeQuery()) {
        String state = !rs.next() ? "none" : rs.getBytes(1) != null ? "live"
            : rs.getTimestamp(2) != null ? "destroyed" : "forgotten";
        c.rollback();
        return state;
      }
    }
  }

  /** The node's journal database (H2 shares an open file database within the JVM), for looking behind the API. */
  record Database(ReadSideDatabase db) implements AutoCloseable {
    static Database of(Main.Node node) {
      return new Database(ReadSideDatabase.open("jdbc:h2:file:" + dataDir.resolve("journal").resolve("modelplane")
          + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0", "", "", 1, null));
    }

    /** A facade like the node's: its store and key table, its key-encryption key. */
    TenantArtifacts artifacts(Main.Node node) {
      java.util.concurrent.Executor blocking = node.system().dispatchers()
          .lookup(akka.actor.typed.DispatcherSelector.blocking());
      return new TenantArtifacts(LocalArtifactStore.readOnly(dataDir.resolve("artifacts")),
          new StoredTenantKeys(db, LocalKeySource.fromSettings(null, "", dataDir), DataKeyLedger.ledger(node.system()),
              blocking, Clock.systemUTC()), blocking);
    }

    @Override
    public void close() {
      db.close();
    }
  }

  /** Tokens shaped like Keycloak's, signed by a key this test publishes at a JWKS endpoint of its own. */
  static final class TokenFixture implements AutoCloseable {
    private final RSAKey key;
    private final HttpServer server;
    private final KeycloakRealm realm;
    private final TokenAuthenticator authenticator;

    TokenFixture() throws Exception {
      key = new RSAKeyGenerator(2048).keyID("k1").keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).generate();
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      realm = new KeycloakRealm("http://127.0.0.1:" + server.getAddress().getPort(), "modelplane");
      byte[] jwks = new JWKSet(key).toPublicJWKSet().toString().getBytes(StandardCharsets.UTF_8);
      server.createContext(realm.jwksUri().getPath(), exchange -> {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, jwks.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(jwks);
        }
      });
      server.start();
      TokenVerifier verifier = new TokenVerifier(realm.issuer(), KeycloakProvisioner.AUDIENCE,
          new JwksKeySource(realm.jwksUri()), Clock.systemUTC(), Duration.ZERO);
      // the node's own answer to "is this tenant active, whose tokens did it revoke?"
      authenticator = new TokenAuthenticator(verifier, controlPlane::tenantAccess);
    }

    String token(String tenant, String role) throws JOSEException {
      Instant now = Instant.now();
      JWTClaimsSet claims = new JWTClaimsSet.Builder()
          .issuer(realm.issuer())
          .audience(List.of(KeycloakProvisioner.AUDIENCE, "account"))
          .subject("3f1c0a57-8d4e-4f0e-9a51-6a2b1d7c9e10")
          .issueTime(Date.from(now.minusSeconds(1)))
          .expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
          .claim("typ", "Bearer")
          .claim("preferred_username", "alice")
          .claim("groups", List.of("/tenants/" + tenant + "/" + role))
          .build();
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    }

    Optional<Principal> authenticate(String token) throws Exception {
      return authenticator.authenticate(token).toCompletableFuture().get();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
