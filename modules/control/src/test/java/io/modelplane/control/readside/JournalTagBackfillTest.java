package io.modelplane.control.readside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.jdbc.testkit.javadsl.SchemaUtils;
import akka.persistence.query.PersistenceQuery;
import akka.stream.javadsl.Sink;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.Quota;
import io.modelplane.common.SlicedTags;
import io.modelplane.common.TensorSpec;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The backfill on a journal written by real entities whose tags were then removed (what the releases before slice
 * tags left): it writes back exactly the tags the entities write, in batches, once, on H2 and on PostgreSQL.
 */
class JournalTagBackfillTest {

  @Test
  void aDatabaseWithoutTheJournalIsRefusedClearly() {
    assertThatThrownBy(() -> JournalTagBackfill.run("jdbc:h2:mem:no-journal-" + System.nanoTime(), "sa", ""))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("could not tag the journal");
    assertThatThrownBy(() -> new JournalTagBackfill(SlicedTags.CONTROL_PLANE, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void slicesModelEventsByTheirTenantAsTheEntitiesDo() {
    assertThat(JournalTagBackfill.tenantOf("Tenant|acme")).isEqualTo("acme");
    assertThat(JournalTagBackfill.tenantOf("Model|acme/digits")).isEqualTo("acme");
    assertThat(JournalTagBackfill.tenantOf("Model|not a key")).isEqualTo("not a key");
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class OnH2 extends Scenario {
    OnH2() {
      super("jdbc:h2:mem:backfill-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", "",
          "slick.jdbc.H2Profile$", "org.h2.Driver");
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class OnPostgres extends Scenario {
    OnPostgres() {
      super(null, "postgres", "postgres", "slick.jdbc.PostgresProfile$", "org.postgresql.Driver");
    }
  }

  abstract static class Scenario {
    private final String profile;
    private final String driver;
    private final String user;
    private final String password;
    private String url;
    private EmbeddedPostgres pg;
    private ActorTestKit testKit;
    private Map<Long, String> written;

    Scenario(String url, String user, String password, String profile, String driver) {
      this.url = url;
      this.user = user;
      this.password = password;
      this.profile = profile;
      this.driver = driver;
    }

    @BeforeAll
    void writeJournalThenDropItsTags() throws Exception {
      if (url == null) {
        pg = EmbeddedPostgres.builder().start();
        url = pg.getJdbcUrl(user, "postgres");
      }
      Config config = ConfigFactory.parseMap(Map.of(
              "akka.persistence.journal.plugin", "jdbc-journal",
              "akka.persistence.snapshot-store.plugin", "jdbc-snapshot-store",
              "jdbc-journal.use-shared-db", "slick",
              "jdbc-snapshot-store.use-shared-db", "slick",
              "jdbc-read-journal.use-shared-db", "slick",
              "akka-persistence-jdbc.shared-databases.slick.profile", profile,
              "akka-persistence-jdbc.shared-databases.slick.db.url", url,
              "akka-persistence-jdbc.shared-databases.slick.db.user", user,
              "akka-persistence-jdbc.shared-databases.slick.db.password", password,
              "akka-persistence-jdbc.shared-databases.slick.db.driver", driver))
          .withFallback(ConfigFactory.parseString(
              "akka-persistence-jdbc.shared-databases.slick.db { numThreads = 2, maxConnections = 2, minConnections = 1 }"))
          .withFallback(ConfigFactory.load());
      testKit = ActorTestKit.create("backfill", config);
      SchemaUtils.createIfNotExists(testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);

      // tenants over every slice, each with a model with a version and a deployment
      for (int i = 0; i < 8; i++) {
        String tenant = "tenant-" + i;
        ActorRef<TenantEntity.Command> entity = testKit.spawn(TenantEntity.create(tenant));
        TestProbe<TenantEntity.Reply> tenantReplies = testKit.createTestProbe();
        entity.tell(new TenantEntity.Create("Tenant " + i, Quota.defaults(), "test", tenantReplies.ref(), null));
        entity.tell(new TenantEntity.Suspend("test", tenantReplies.ref()));
        entity.tell(new TenantEntity.AddModel("m", "test", tenantReplies.ref()));
        for (int r = 0; r < 3; r++) {
          assertThat(tenantReplies.receiveMessage(Duration.ofSeconds(20))).isInstanceOf(TenantEntity.Summary.class);
        }
        ActorRef<ModelEntity.Command> model = testKit.spawn(ModelEntity.create(tenant + "/m"));
        TestProbe<ModelEntity.Reply> modelReplies = testKit.createTestProbe();
        List<TensorSpec> io = List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L)));
        model.tell(new ModelEntity.RegisterVersion("a".repeat(64), 10, "torchscript", io, io, null, null, "test",
            modelReplies.ref()));
        model.tell(new ModelEntity.Deploy(new ModelEntity.DeploymentSpec(Map.of(1, 100), 1, 8, 0), null, "test",
            modelReplies.ref()));
        assertThat(modelReplies.receiveMessage(Duration.ofSeconds(20))).isInstanceOf(ModelEntity.VersionAdded.class);
        assertThat(modelReplies.receiveMessage(Duration.ofSeconds(20))).isInstanceOf(ModelEntity.Deployed.class);
      }
      written = tags();
      assertThat(written).hasSize(8 * 5);
      assertThat(new java.util.HashSet<>(written.values())).containsExactlyInAnyOrderElementsOf(SlicedTags.CONTROL_PLANE.all());
      try (Connection c = connect(); Statement s = c.createStatement()) {
        s.executeUpdate("DELETE FROM \"event_tag\"");
      }
      assertThat(tags()).isEmpty();
      assertThat(eventsByTag()).isEmpty();
    }

    @AfterAll
    void stop() throws Exception {
      if (testKit != null) {
        testKit.shutdownTestKit();
      }
      if (pg != null) {
        pg.close();
      }
    }

    @Test
    void tagsEveryEventAsTheEntitiesDoOnceAndOnlyOnce() throws Exception {
      long tagged;
      try (Connection c = connect()) {
        tagged = new JournalTagBackfill(SlicedTags.CONTROL_PLANE, 7).run(c);
      }
      assertThat(tagged).isEqualTo(written.size());
      assertThat(tags()).isEqualTo(written);
      List<String> events = eventsByTag();
      assertThat(events).hasSize(written.size()).doesNotHaveDuplicates();

      // a second run (another node, the next start) changes nothing
      assertThat(JournalTagBackfill.run(url, user, password)).isZero();
      assertThat(tags()).isEqualTo(written);
      assertThat(eventsByTag()).containsExactlyInAnyOrderElementsOf(events);
    }

    private Connection connect() throws SQLException {
      return DriverManager.getConnection(url, user, password);
    }

    private Map<Long, String> tags() throws SQLException {
      Map<Long, String> tags = new HashMap<>();
      try (Connection c = connect(); Statement s = c.createStatement();
           ResultSet rows = s.executeQuery("SELECT \"event_id\", \"tag\" FROM \"event_tag\"")) {
        while (rows.next()) {
          assertThat(tags.put(rows.getLong(1), rows.getString(2))).as("one tag per event").isNull();
        }
      }
      return tags;
    }

    /** {@code persistenceId#sequenceNr} of every event the read journal finds by the control plane's tags. */
    private List<String> eventsByTag() throws Exception {
      JdbcReadJournal journal = PersistenceQuery.get(testKit.system())
          .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
      List<String> events = new java.util.ArrayList<>();
      for (String tag : SlicedTags.CONTROL_PLANE.all()) {
        events.addAll(journal.currentEventsByTag(tag, akka.persistence.query.Offset.noOffset())
            .map(e -> e.persistenceId() + "#" + e.sequenceNr())
            .runWith(Sink.seq(), testKit.system())
            .toCompletableFuture().get(30, TimeUnit.SECONDS));
      }
      return events;
    }
  }
}
