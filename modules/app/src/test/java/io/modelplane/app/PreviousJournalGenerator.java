package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.typed.ActorRef;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes the journal under {@code src/test/resources/journal-previous-release/} that {@link PreviousJournalTest}
 * replays: a real node (H2 file journal) taken through every event of TenantEntity and ModelEntity. The committed
 * journal was written by the release before slice tags (commit f416bcd), so its events carry no tags. Run by hand
 * from a checkout of that release: its {@link #main} with the app module's test classpath, from modules/app (e.g.
 * {@code mvn -o test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt -pl modules/app -am}, then
 * {@code java -cp target/test-classes:target/classes:$(cat cp.txt) io.modelplane.app.PreviousJournalGenerator});
 * keep the event sequence in step with the expectations of {@link PreviousJournalTest}. Not a test: it writes
 * into the source tree.
 */
final class PreviousJournalGenerator {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final Path TARGET = Path.of("src/test/resources/journal-previous-release");

  private PreviousJournalGenerator() {}

  public static void main(String[] args) throws Exception {
    writeJournal(java.nio.file.Files.createTempDirectory("previous-journal"));
    System.exit(0);
  }

  static void writeJournal(Path dataDir) throws Exception {
    Main.Node node = TestNodes.start(dataDir, Map.of("modelplane.key-usage-report-interval", "1s"));
    try {
      ApiClient api = new ApiClient(node.baseUrl());
      ClusterSharding sharding = ClusterSharding.get(node.system());

      // acme: created with a quota, renamed, quota changed, suspended and resumed; keys added, one revoked, one used
      ok(api.post("/api/v1/tenants", OP, Map.of("id", "acme", "displayName", "Acme",
          "quota", Map.of("maxModels", 5, "requestsPerSecond", 50))), 201);
      ok(api.patch("/api/v1/tenants/acme", OP, Map.of("displayName", "Acme Corp")), 200);
      ok(api.patch("/api/v1/tenants/acme", OP, Map.of("quota", Map.of("maxVersionsPerModel", 10))), 200);
      ok(api.post("/api/v1/tenants/acme/suspend", OP, Map.of()), 200);
      ok(api.post("/api/v1/tenants/acme/resume", OP, Map.of()), 200);
      String admin = key(api, "acme", "admin key", "tenant-admin");
      String developer = key(api, "acme", "ci", "developer");
      String viewer = key(api, "acme", "dashboard", "viewer");
      List<String> ids = api.get("/api/v1/tenants/acme/api-keys", OP).json().findValuesAsText("id");
      String revokedId = ids.get(2);
      ok(api.delete("/api/v1/tenants/acme/api-keys/" + revokedId, OP), 204);

      // acme/digits: three versions, two deployments, a rollback, an archived version
      ok(api.upload("acme", "digits", developer, ApiClient.manifest(), TestModels.digits()), 201);
      ok(api.upload("acme", "digits", developer, ApiClient.manifest(), TestModels.distinct(1000, 2)), 201);
      ok(api.put("/api/v1/tenants/acme/models/digits/deployment", developer,
          Map.of("traffic", Map.of("1", 100), "replicas", 1)), 202);
      ok(api.put("/api/v1/tenants/acme/models/digits/deployment", developer,
          Map.of("traffic", Map.of("1", 80, "2", 20), "replicas", 2, "maxBatchSize", 16, "maxBatchDelayMs", 3)), 202);
      ok(api.put("/api/v1/tenants/acme/models/digits/deployment", developer,
          Map.of("traffic", Map.of("2", 100), "replicas", 1)), 202);
      ok(api.post("/api/v1/tenants/acme/models/digits/deployment/rollback", developer, Map.of()), 200);
      ok(api.upload("acme", "digits", developer, ApiClient.manifest(), TestModels.distinct(1000, 3)), 201);
      ok(api.post("/api/v1/tenants/acme/models/digits/versions/3/archive", developer, Map.of()), 200);

      // acme/ghost: a name reserved by an upload that never registered a version, then released
      TenantEntity.Summary reserved = ask(sharding.entityRefFor(TenantEntity.ENTITY_KEY, "acme"),
          r -> new TenantEntity.AddModel("ghost", "generator", r));
      long reservation = reserved.modelReservations().get("ghost");
      assertThat(askModel(sharding.entityRefFor(ModelEntity.ENTITY_KEY, "acme/ghost"),
          r -> new ModelEntity.ReleaseReservation(reservation, "generator", r))).isInstanceOf(ModelEntity.Vacant.class);
      ask(sharding.entityRefFor(TenantEntity.ENTITY_KEY, "acme"),
          r -> new TenantEntity.ReleaseModel("ghost", reservation, "generator", r));

      // Keycloak's records, sent as the provisioning would (no Keycloak here)
      ask(sharding.entityRefFor(TenantEntity.ENTITY_KEY, "acme"), r -> new TenantEntity.RecordIdentity(
          new TenantEntity.Identity("org-acme", Map.of("developer", "group-dev", "tenant-admin", "group-admin")),
          "generator", r));
      ask(sharding.entityRefFor(TenantEntity.ENTITY_KEY, "acme"), r -> new TenantEntity.RecordAccessChange(
          "member_role_changed", "user-1", "alice@example.com: developer -> viewer", "user-1", "generator", r));
      ask(sharding.entityRefFor(TenantEntity.ENTITY_KEY, "acme"), r -> new TenantEntity.RecordAccessChange(
          "service_account_created", "client-1", "svc-ci (developer)", null, "generator", r));

      // a key's use is journaled by the next report
      ok(api.get("/api/v1/tenants/acme/models", developer), 200);
      TestNodes.eventually(Duration.ofSeconds(30), () -> api.get("/api/v1/tenants/acme/api-keys", OP).json()
          .findValues("lastUsedAt").stream().anyMatch(v -> !v.isNull()), "key use recorded");

      // globex: the default plan, its own worker pool, suspended at the end
      ok(api.post("/api/v1/tenants", OP, Map.of("id", "globex", "displayName", "Globex")), 201);
      ok(api.patch("/api/v1/tenants/globex", OP, Map.of("workerPool", "gpu-a")), 200);
      String globexKey = key(api, "globex", "deployer", "developer");
      ok(api.upload("globex", "digits", globexKey, ApiClient.manifest(), TestModels.digits()), 201);
      ok(api.post("/api/v1/tenants/globex/suspend", OP, Map.of()), 200);

      // what the previous release answered, for PreviousJournalTest to compare with
      Files.createDirectories(TARGET);
      for (String[] read : new String[][] {
          {"tenant-acme", "/api/v1/tenants/acme"}, {"tenant-globex", "/api/v1/tenants/globex"},
          {"keys-acme", "/api/v1/tenants/acme/api-keys"}, {"history-acme", "/api/v1/tenants/acme/history"},
          {"model-acme-digits", "/api/v1/tenants/acme/models/digits"},
          {"versions-acme-digits", "/api/v1/tenants/acme/models/digits/versions"},
          {"deployment-acme-digits", "/api/v1/tenants/acme/models/digits/deployment"},
          {"history-acme-digits", "/api/v1/tenants/acme/models/digits/history"},
          {"models-globex", "/api/v1/tenants/globex/models"}}) {
        ApiClient.Reply reply = api.get(read[1], OP);
        ok(reply, 200);
        Files.writeString(TARGET.resolve("expected-" + read[0] + ".json"),
            ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(reply.json()) + "\n");
      }
      Files.writeString(TARGET.resolve("keys.txt"), "admin=" + admin + "\ndeveloper=" + developer
          + "\nrevoked=" + viewer + "\nglobex=" + globexKey + "\n");
    } finally {
      node.stop();
      node.stopped().get(60, java.util.concurrent.TimeUnit.SECONDS);
    }
    // the H2 journal and the artifacts (small: the digits model three times), as a data dir
    try (var files = Files.walk(dataDir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String relative = dataDir.relativize(file).toString();
        if (relative.endsWith(".mv.db") || relative.startsWith("artifacts")) {
          Path copy = TARGET.resolve("node").resolve(relative);
          Files.createDirectories(copy.getParent());
          Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static void ok(ApiClient.Reply reply, int status) {
    assertThat(reply.status()).as(reply.toString()).isBetween(200, 299).isEqualTo(status == 200 ? reply.status() : status);
  }

  private static String key(ApiClient api, String tenant, String name, String role) {
    ApiClient.Reply reply = api.post("/api/v1/tenants/" + tenant + "/api-keys", OP, Map.of("name", name, "role", role));
    ok(reply, 201);
    return reply.json().get("key").asText();
  }

  private static TenantEntity.Summary ask(akka.cluster.sharding.typed.javadsl.EntityRef<TenantEntity.Command> tenant,
      Function<ActorRef<TenantEntity.Reply>, TenantEntity.Command> command) throws Exception {
    return (TenantEntity.Summary) tenant.ask(command::apply, Duration.ofSeconds(10)).toCompletableFuture().get();
  }

  private static ModelEntity.Reply askModel(akka.cluster.sharding.typed.javadsl.EntityRef<ModelEntity.Command> model,
      Function<ActorRef<ModelEntity.Reply>, ModelEntity.Command> command) throws Exception {
    return model.ask(command::apply, Duration.ofSeconds(10)).toCompletableFuture().get();
  }
}
