package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.Offset;
import akka.persistence.query.PersistenceQuery;
import akka.stream.javadsl.Sink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.common.SlicedTags;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal written by the previous release (untagged events, see {@link PreviousJournalGenerator}) still
 * replays: a node started on a copy of it answers what that release answered, byte for byte in field names and
 * values, its keys authenticate and its deployment serves.
 */
class PreviousJournalTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;
  static Properties keys = new Properties();

  @BeforeAll
  static void start() throws Exception {
    Path release = resource("journal-previous-release");
    copyTree(release.resolve("node"), dataDir);
    try (var in = Files.newBufferedReader(release.resolve("keys.txt"))) {
      keys.load(in);
    }
    node = TestNodes.start(dataDir, Map.of());
    api = new ApiClient(node.baseUrl());
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
  }

  @Test
  void tenantsRecoverWithProfileQuotaStatusAndPool() {
    assertSameAsPreviousRelease("tenant-acme", "/api/v1/tenants/acme");
    assertSameAsPreviousRelease("tenant-globex", "/api/v1/tenants/globex");
    JsonNode globex = api.get("/api/v1/tenants/globex", OP).json();
    assertThat(globex.get("status").asText()).isEqualTo("suspended");
    assertThat(globex.get("workerPool").asText()).isEqualTo("gpu-a");
    assertThat(api.get("/api/v1/tenants/acme", OP).json().at("/quota/maxVersionsPerModel").asInt()).isEqualTo(10);
  }

  @Test
  void tenantsOfThePreviousReleaseAreOnTheDefaultPlanWithTheirQuotaKept() {
    JsonNode acme = api.get("/api/v1/tenants/acme", OP).json();
    assertThat(acme.get("plan").asText()).isEqualTo("default");
    // exactly the limits in which its quota differed from the default quota (50 req/s, 5 models, 10 versions)
    assertThat(acme.get("quotaOverrides")).isEqualTo(ApiClient.JSON.valueToTree(
        Map.of("requestsPerSecond", 50.0, "maxModels", 5, "maxVersionsPerModel", 10)));
    assertThat(api.get("/api/v1/tenants/globex", OP).json().get("plan").asText()).isEqualTo("default");
    // the read side agrees, and counts them on the default plan
    TestNodes.eventually(Duration.ofSeconds(30), () -> {
      JsonNode listed = api.get("/api/v1/tenants?plan=default", OP).json().get("tenants");
      return ApiClient.each(listed, "id").containsAll(List.of("acme", "globex"))
          && java.util.stream.StreamSupport.stream(listed.spliterator(), false)
              .anyMatch(t -> t.get("id").asText().equals("acme") && t.get("quota").equals(acme.get("quota"))
                  && t.get("quotaOverrides").equals(acme.get("quotaOverrides")));
    }, "the previous release's tenants listed on the default plan");
    assertThat(api.get("/api/v1/admin/plans/default", OP).json().get("tenants").asInt()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void keysRecoverAndAuthenticate() {
    assertSameAsPreviousRelease("keys-acme", "/api/v1/tenants/acme/api-keys");
    assertThat(api.get("/api/v1/tenants/acme", keys.getProperty("admin")).status()).isEqualTo(200);
    assertThat(api.get("/api/v1/tenants/acme/models", keys.getProperty("developer")).status()).isEqualTo(200);
    assertThat(api.get("/api/v1/tenants/acme/models", keys.getProperty("revoked")).status()).isEqualTo(401);
    // the tenant was suspended: its keys are refused as a suspended tenant's
    assertThat(api.get("/api/v1/tenants/globex/models", keys.getProperty("globex")).status()).isEqualTo(403);
  }

  @Test
  void modelsRecoverWithVersionsDeploymentAndHistory() {
    assertSameAsPreviousRelease("model-acme-digits", "/api/v1/tenants/acme/models/digits");
    assertSameAsPreviousRelease("versions-acme-digits", "/api/v1/tenants/acme/models/digits/versions");
    assertSameAsPreviousRelease("deployment-acme-digits", "/api/v1/tenants/acme/models/digits/deployment");
    assertSameAsPreviousRelease("history-acme-digits", "/api/v1/tenants/acme/models/digits/history");
    assertSameAsPreviousRelease("models-globex", "/api/v1/tenants/globex/models");
    // the rollback returned to revision 2 (80/20 over versions 1 and 2); version 3 is archived
    JsonNode deployment = api.get("/api/v1/tenants/acme/models/digits/deployment", OP).json();
    assertThat(deployment.get("revision").asLong()).isEqualTo(2);
    assertThat(deployment.at("/traffic/1").asInt()).isEqualTo(80);
    // the old journal's stack of applied revisions: 1 below 2 (3 was rolled back)
    assertThat(deployment.get("rollbackAvailable").asBoolean()).isTrue();
    assertThat(deployment.get("rollbackRevision").asLong()).isEqualTo(1);
    // deployed before autoscaling existed: a fixed number of replicas
    assertThat(deployment.get("autoscaling").isNull()).isTrue();
    assertThat(deployment.get("replicas").asInt()).isPositive();
    assertThat(api.get("/api/v1/tenants/acme/models/digits/versions/3", OP).json().get("archived").asBoolean()).isTrue();
    // the released name is no model
    assertThat(api.get("/api/v1/tenants/acme/models/ghost", OP).status()).isEqualTo(404);
  }

  @Test
  void tenantHistoryRecoversEveryRecordedChange() {
    assertSameAsPreviousRelease("history-acme", "/api/v1/tenants/acme/history");
  }

  @Test
  void everyOldEventIsTaggedOnceForTheReadSide() throws Exception {
    JdbcReadJournal journal = PersistenceQuery.get(node.system())
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    Set<String> written = new HashSet<>();
    for (String id : journal.currentPersistenceIds().runWith(Sink.seq(), node.system()).toCompletableFuture()
        .get(30, TimeUnit.SECONDS)) {
      if (id.startsWith("Tenant|") || id.startsWith("Model|")) {
        written.addAll(journal.currentEventsByPersistenceId(id, 0, Long.MAX_VALUE)
            .map(e -> e.persistenceId() + "#" + e.sequenceNr()).runWith(Sink.seq(), node.system())
            .toCompletableFuture().get(30, TimeUnit.SECONDS));
      }
    }
    assertThat(written).hasSize(31); // 21 tenant and 10 model events written by the previous release
    List<String> byTag = new java.util.ArrayList<>();
    for (String tag : SlicedTags.CONTROL_PLANE.all()) {
      byTag.addAll(journal.currentEventsByTag(tag, Offset.noOffset())
          .filter(e -> e.persistenceId().startsWith("Tenant|") || e.persistenceId().startsWith("Model|"))
          .map(e -> e.persistenceId() + "#" + e.sequenceNr()).runWith(Sink.seq(), node.system())
          .toCompletableFuture().get(30, TimeUnit.SECONDS));
    }
    assertThat(byTag).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(written);
  }

  @Test
  void recoveredDeploymentServes() {
    String developer = keys.getProperty("developer");
    TestNodes.eventually(Duration.ofSeconds(60),
        () -> api.get("/v2/models/digits/ready", developer).json().path("ready").asBoolean(), "acme digits ready");
    float[] pixels = new float[64];
    ApiClient.Reply reply = api.post("/v2/models/digits/infer", developer, Map.of("inputs", java.util.List.of(
        Map.of("name", "input", "datatype", "FP32", "shape", java.util.List.of(1, 64), "data", pixels))));
    assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    assertThat(reply.json().at("/outputs/0/shape/1").asInt()).isEqualTo(10);
  }

  /**
   * The body now equals the previous release's, but for the live placement fields of model views and the
   * paged lists' added {@code next}. Lists and histories come from the read side, which first projects the
   * old journal: they are compared once it has caught up.
   */
  private static void assertSameAsPreviousRelease(String name, String path) {
    JsonNode expected;
    try {
      expected = ApiClient.JSON.readTree(resource("journal-previous-release").resolve("expected-" + name + ".json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TestNodes.eventually(Duration.ofSeconds(30), () -> {
      ApiClient.Reply reply = api.get(path, OP);
      return reply.status() == 200 && withoutPlacement(reply.json()).equals(withoutPlacement(expected));
    }, path + " as the previous release answered");
  }

  /**
   * The answer without placement and without the fields added since the previous release (checked apart):
   * the rollback fields and a deployment's {@code autoscaling}.
   */
  private static JsonNode withoutPlacement(JsonNode body) {
    JsonNode copy = body.deepCopy();
    if (copy instanceof ObjectNode page) {
      page.remove("next");
      // plans came later: checked apart
      page.remove(List.of("plan", "quotaOverrides"));
    }
    if (copy instanceof ObjectNode model && model.has("versions") && model.has("name")) {
      model.remove(java.util.List.of("status", "replicas"));
    }
    copy.path("models").forEach(m -> {
      if (m instanceof ObjectNode model) {
        model.remove(java.util.List.of("status", "replicas"));
      }
    });
    withoutRollbackFields(copy);
    withoutRollbackFields(copy.path("deployment"));
    copy.path("models").forEach(m -> withoutRollbackFields(m.path("deployment")));
    return copy;
  }

  private static void withoutRollbackFields(JsonNode deployment) {
    if (deployment instanceof ObjectNode d && d.has("revision") && d.has("traffic")) {
      d.remove(java.util.List.of("rollbackAvailable", "rollbackRevision", "autoscaling"));
    }
  }

  static Path resource(String name) {
    try {
      return Path.of(PreviousJournalTest.class.getResource("/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (var files = Files.walk(from)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Path copy = to.resolve(from.relativize(file).toString());
        Files.createDirectories(copy.getParent());
        Files.copy(file, copy);
        copy.toFile().setWritable(true, true);
      }
    }
  }
}
