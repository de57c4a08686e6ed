package io.modelplane.control.readside;

import static io.modelplane.common.testing.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import akka.projection.eventsourced.EventEnvelope;
import akka.stream.javadsl.Sink;
import io.modelplane.common.HistoryEntry;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.tenancy.TenantEntity;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The read-tables projection over real entities and a real journal; run on H2 and on PostgreSQL. */
abstract class ReadTablesProjectionContract {
  static final Duration LAG = Duration.ofSeconds(20);

  ReadSideFixture fixture;

  abstract ReadSideFixture openFixture() throws Exception;

  @BeforeEach
  void open() throws Exception {
    fixture = openFixture();
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  private void awaitHistory() {
    eventually(LAG, () -> fixture.auditRows() == ReadSideFixture.HISTORY_AUDIT_ROWS
        && join(fixture.readSide.tenants().page(PageRequest.first(10))).items().stream()
            .anyMatch(t -> t.displayName().equals("Globex Corp")), "the history projected");
  }

  static <T> T join(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void eventsOfRealEntitiesReachTheTables() throws Exception {
    fixture.startProjections();
    fixture.writeHistory();
    awaitHistory();

    List<TenantDirectory.TenantRow> tenants = join(fixture.readSide.tenants().page(PageRequest.first(10))).items();
    assertThat(tenants).extracting(TenantDirectory.TenantRow::id).containsExactly("acme", "globex");
    TenantDirectory.TenantRow acme = tenants.get(0);
    assertThat(acme.status()).isEqualTo(TenantEntity.Status.ACTIVE);
    assertThat(acme.apiKeyCount()).isEqualTo(1);
    assertThat(acme.modelCount()).isEqualTo(1);
    assertThat(acme.models()).containsExactly("digits");
    assertThat(acme.quota()).isEqualTo(io.modelplane.common.Quota.defaults());
    TenantDirectory.TenantRow globex = tenants.get(1);
    assertThat(globex.status()).isEqualTo(TenantEntity.Status.SUSPENDED);
    assertThat(globex.displayName()).isEqualTo("Globex Corp");
    assertThat(globex.updatedAt()).isAfter(globex.createdAt());

    ModelDirectory.ModelRow digits = join(fixture.readSide.models().page(TenantId.of("acme"), PageRequest.first(10))).items().get(0);
    assertThat(digits.versions()).extracting(v -> v.sha256()).containsExactly("a".repeat(64), "b".repeat(64));
    assertThat(digits.versions().get(0).inputs().get(0).shape()).containsExactly(-1L, 4L);
    // deployed revision 1, then 2, then rolled back: 1 is current again
    assertThat(digits.deployment().revision()).isEqualTo(1);
    assertThat(digits.deployment().spec().traffic()).isEqualTo(Map.of(1, 100));
    assertThat(join(fixture.readSide.models().vacant(TenantId.of("acme")))).isEmpty();
    assertThat(join(fixture.readSide.models().registeredSha256()))
        .containsExactlyInAnyOrder("a".repeat(64), "b".repeat(64), "c".repeat(64));

    List<Map<String, String>> keys = fixture.rows("SELECT * FROM api_keys ORDER BY key_id");
    assertThat(keys).extracting(k -> k.get("key_id")).containsExactly("k1", "k2");
    assertThat(keys.get(1).get("revoked_ns")).isNotNull();
    assertThat(keys.toString()).doesNotContain("hash-1").doesNotContain("hash-2");

    List<HistoryEntry> acmeHistory = join(fixture.readSide.audit().tenantHistory(TenantId.of("acme")));
    assertThat(acmeHistory).extracting(HistoryEntry::type).containsExactly("tenant_created", "api_key_created",
        "api_key_created", "api_key_revoked", "model_added", "model_added", "model_released");
    List<HistoryEntry> model = join(fixture.readSide.audit().modelHistory(ModelKey.of("acme", "digits")));
    assertThat(model).extracting(HistoryEntry::type).containsExactly("version_registered", "version_registered",
        "deployment_revised", "deployment_revised", "deployment_rolled_back");
    assertThat(model.get(4).details()).containsEntry("toRevision", 1);
    assertThat(join(fixture.readSide.audit().modelHistory(ModelKey.of("acme", "ghost")))).isEmpty();
    // the history is the journal's, described as before: the same JSON on the wire
    List<HistoryEntry> fromJournal = journalHistory("Model|acme/digits");
    assertThat(ReadTables.json(model)).isEqualTo(ReadTables.json(fromJournal));
    assertThat(join(fixture.readSide.caughtUp())).isTrue();
  }

  private List<HistoryEntry> journalHistory(String persistenceId) {
    CurrentEventsByPersistenceIdQuery query = PersistenceQuery.get(fixture.testKit.system())
        .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, JdbcReadJournal.Identifier());
    return join(query.currentEventsByPersistenceId(persistenceId, 0, Long.MAX_VALUE)
        .map(env -> io.modelplane.registry.ModelHistory.describe(env.sequenceNr(),
            (io.modelplane.registry.ModelEntity.Event) env.event()))
        .runWith(Sink.seq(), fixture.testKit.system()));
  }

  @Test
  void aRebuildFromTheStartGivesTheSameTables() throws Exception {
    fixture.startProjections();
    fixture.writeHistory();
    awaitHistory();
    var incremental = fixture.dump();

    fixture.stopProjections();
    fixture.dropReadSide();
    assertThat(fixture.auditRows()).isZero();
    assertThat(join(fixture.readSide.caughtUp())).isFalse();
    fixture.startProjections();
    awaitHistory();
    eventually(LAG, () -> {
      try {
        return fixture.dump().equals(incremental);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "the rebuilt tables equal the incremental ones");
    assertThat(fixture.dump()).isEqualTo(incremental);
  }

  @Test
  void aRedeliveredEventChangesNothing() throws Exception {
    fixture.startProjections();
    fixture.writeHistory();
    awaitHistory();
    fixture.stopProjections();
    var before = fixture.dump();

    // every event of acme once more, as an at-least-once source would deliver them after a crash
    CurrentEventsByPersistenceIdQuery query = PersistenceQuery.get(fixture.testKit.system())
        .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, JdbcReadJournal.Identifier());
    List<akka.persistence.query.EventEnvelope> events = join(query.currentEventsByPersistenceId("Tenant|acme", 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), fixture.testKit.system()));
    assertThat(events).hasSizeGreaterThan(5);
    ReadTablesHandler handler = new ReadTablesHandler();
    for (akka.persistence.query.EventEnvelope e : events) {
      ReadSideDatabase.Session session = fixture.db.sessions().get();
      try {
        handler.process(session, EventEnvelope.create(e.offset(), e.persistenceId(), e.sequenceNr(), e.event(), e.timestamp()));
        session.commit();
      } finally {
        session.close();
      }
    }
    assertThat(fixture.dump()).isEqualTo(before);

    // and the audit log refuses a second row of one event outright
    assertThatThrownBy(() -> fixture.execute("INSERT INTO audit_log (time_ns, tenant, model, actor, event_type, summary,"
        + " persistence_id, sequence_nr) VALUES (1, 'acme', NULL, 'x', 'tenant_created', '{}', 'Tenant|acme', 1)"))
        .isInstanceOf(SQLException.class);
  }

  @Test
  void aFailingHandlerIsRetriedAndSkipsNothing() throws Exception {
    fixture.startProjections();
    fixture.createTenant("flaky");
    eventually(LAG, () -> fixture.auditRows() == 1, "the tenant projected");

    fixture.execute("ALTER TABLE audit_log RENAME TO audit_log_away");
    fixture.expect(TenantEntity.Summary.class, fixture.toTenant("flaky", r -> new TenantEntity.Suspend("op", r)));
    fixture.expect(TenantEntity.Summary.class, fixture.toTenant("flaky", r -> new TenantEntity.Update("Flaky Ltd", null, "op", r)));
    // the handler fails on every attempt and its transaction rolls back: the status change is not applied either
    Thread.sleep(1500);
    assertThat(fixture.rows("SELECT status FROM tenants WHERE id = 'flaky'").get(0).get("status")).isEqualTo("active");
    assertThat(fixture.count("SELECT sequence_nr FROM projected_events WHERE persistence_id = 'Tenant|flaky'")).isEqualTo(1);

    fixture.execute("ALTER TABLE audit_log_away RENAME TO audit_log");
    eventually(LAG, () -> fixture.auditRows() == 3, "both changes projected after the table is back");
    assertThat(join(fixture.readSide.audit().tenantHistory(TenantId.of("flaky"))))
        .extracting(HistoryEntry::type).containsExactly("tenant_created", "tenant_suspended", "display_name_changed");
    Map<String, String> row = fixture.rows("SELECT status, display_name FROM tenants WHERE id = 'flaky'").get(0);
    assertThat(row).containsEntry("status", "suspended").containsEntry("display_name", "Flaky Ltd");
  }
}
