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
import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.common.QuotaOverrides;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.plan.PlanEntity;
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
    assertThat(join(fixture.readSide.models().registeredArtifacts())).containsExactlyInAnyOrder(
        new io.modelplane.registry.ArtifactAddress(TenantId.of("acme"), "a".repeat(64)),
        new io.modelplane.registry.ArtifactAddress(TenantId.of("acme"), "b".repeat(64)),
        new io.modelplane.registry.ArtifactAddress(TenantId.of("globex"), "c".repeat(64)));

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

  @Test
  void aDeletedTenantLeavesTheListsButKeepsItsAuditAndIsBilledUntilItsDeletion() throws Exception {
    fixture.startProjections();
    fixture.writeHistory();
    awaitHistory();
    TenantEntity.Summary acme = ReadSideFixture.expect(TenantEntity.Summary.class,
        fixture.toTenant("acme", r -> new TenantEntity.StartDeletion(false, "op", r)));
    eventually(LAG, () -> join(fixture.readSide.tenants().page(
        new TenantDirectory.Filter(null, TenantEntity.Status.DELETING, null), PageRequest.first(10))).items().size() == 1,
        "acme deleting");
    fixture.toModel("acme", "digits", r -> new io.modelplane.registry.ModelEntity.Purge(
        acme.modelReservations().get("digits"), "op", r));
    ReadSideFixture.expect(TenantEntity.Deletion.class,
        fixture.toTenant("acme", r -> new TenantEntity.FinishDeletion(false, 2, "op", r)));
    eventually(LAG, () -> join(fixture.readSide.tenants().page(
        new TenantDirectory.Filter(null, TenantEntity.Status.DELETED, null), PageRequest.first(10))).items().size() == 1,
        "acme deleted");

    // lists leave it out unless asked for; its models are gone, its keys revoked, its audit kept
    assertThat(join(fixture.readSide.tenants().page(PageRequest.first(10))).items())
        .extracting(TenantDirectory.TenantRow::id).containsExactly("globex");
    TenantDirectory.TenantRow deleted = join(fixture.readSide.tenants().page(
        new TenantDirectory.Filter(null, TenantEntity.Status.DELETED, null), PageRequest.first(10))).items().get(0);
    assertThat(deleted.models()).isEmpty();
    assertThat(deleted.apiKeyCount()).isZero();
    assertThat(join(fixture.readSide.models().page(TenantId.of("acme"), PageRequest.first(10))).items()).isEmpty();
    assertThat(join(fixture.readSide.audit().tenantHistory(TenantId.of("acme")))).extracting(HistoryEntry::type)
        .contains("tenant_created", "tenant_deletion_started", "api_key_revoked", "tenant_deleted");
    assertThat(join(fixture.readSide.audit().modelHistory(ModelKey.of("acme", "digits")))).extracting(HistoryEntry::type)
        .startsWith("version_registered").endsWith("model_purged");
    TenantDirectory.Billed billed = join(fixture.readSide.tenants().billed()).stream()
        .filter(b -> b.id().equals("acme")).findFirst().orElseThrow();
    assertThat(billed.deletedAt()).isNotNull().isAfterOrEqualTo(billed.createdAt());
    assertThat(join(fixture.readSide.tenants().billed()).stream().filter(b -> b.id().equals("globex")).findFirst()
        .orElseThrow().deletedAt()).isNull();
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
  void plansAndTheTenantsOnThemReachTheTables() throws Exception {
    fixture.startProjections();
    Quota goldQuota = new Quota(1000.0, 2000, 128, 100, 100, null, null);
    Plan gold = new Plan("gold", "Gold", goldQuota, new Plan.Prices(250, 1200, 40, 9900), "EUR");
    ReadSideFixture.expect(PlanEntity.Details.class, fixture.toPlan("gold", r -> new PlanEntity.Create(gold, "op", r)));
    Plan spare = new Plan("spare", "Spare", Quota.defaults(), Plan.Prices.FREE, "USD");
    ReadSideFixture.expect(PlanEntity.Details.class, fixture.toPlan("spare", r -> new PlanEntity.Create(spare, "op", r)));
    ReadSideFixture.expect(PlanEntity.Deleted.class, fixture.toPlan("spare", r -> new PlanEntity.Delete(0, "op", r)));
    QuotaOverrides slow = QuotaOverrides.of(new Quota(5.0, null, null, null, null, null, null),
        java.util.Set.of("requestsPerSecond"));
    for (String id : List.of("alpha", "bravo", "charlie")) {
      boolean onGold = !id.equals("bravo");
      ReadSideFixture.expect(TenantEntity.Summary.class, fixture.toTenant(id, r -> new TenantEntity.Create(
          "Tenant " + id.toUpperCase(java.util.Locale.ROOT), onGold ? "gold" : null, onGold ? goldQuota : null,
          id.equals("alpha") ? slow : null, "op", r, null)));
    }
    ReadSideFixture.expect(TenantEntity.Summary.class, fixture.toTenant("charlie", r -> new TenantEntity.Suspend("op", r)));
    eventually(LAG, () -> fixture.auditRows() == 7, "plans and tenants projected");

    List<PlanDirectory.PlanRow> plans = join(fixture.readSide.plans().page(PageRequest.first(10))).items();
    assertThat(plans).extracting(r -> r.plan().id()).containsExactly("default", "gold");
    assertThat(plans.get(0).plan()).isEqualTo(Plan.builtInDefault());
    assertThat(plans.get(0).createdAt()).isNull();
    assertThat(plans.get(0).tenants()).isEqualTo(1);
    assertThat(plans.get(1).plan()).isEqualTo(gold);
    assertThat(plans.get(1).tenants()).isEqualTo(2);

    TenantDirectory tenants = fixture.readSide.tenants();
    assertThat(join(tenants.page(new TenantDirectory.Filter("gold", null, null), PageRequest.first(10))).items())
        .extracting(TenantDirectory.TenantRow::id).containsExactly("alpha", "charlie");
    assertThat(join(tenants.page(new TenantDirectory.Filter("gold", TenantEntity.Status.ACTIVE, null),
        PageRequest.first(10))).items()).extracting(TenantDirectory.TenantRow::id).containsExactly("alpha");
    assertThat(join(tenants.page(new TenantDirectory.Filter(null, null, "tenant b"), PageRequest.first(10))).items())
        .extracting(TenantDirectory.TenantRow::id).containsExactly("bravo");
    assertThat(join(tenants.page(new TenantDirectory.Filter(null, null, "%"), PageRequest.first(10))).items()).isEmpty();
    Page<TenantDirectory.TenantRow> first = join(tenants.page(new TenantDirectory.Filter("gold", null, null),
        PageRequest.first(1)));
    assertThat(first.items()).extracting(TenantDirectory.TenantRow::id).containsExactly("alpha");
    assertThat(join(tenants.page(new TenantDirectory.Filter("gold", null, null), new PageRequest(1, first.next())))
        .items()).extracting(TenantDirectory.TenantRow::id).containsExactly("charlie");
    TenantDirectory.TenantRow alpha = join(tenants.page(PageRequest.first(1))).items().get(0);
    assertThat(alpha.plan()).isEqualTo("gold");
    assertThat(alpha.quotaOverrides()).isEqualTo(slow);
    assertThat(alpha.quota()).isEqualTo(new Quota(5.0, 2000, 128, 100, 100, null, null));

    // a plan's new quota is every tenant's on it, at once, overrides still applied
    Quota lower = new Quota(50.0, 60, 8, 10, 10, null, null);
    Plan cheaper = new Plan("gold", "Gold", lower, gold.prices(), "EUR");
    ReadSideFixture.expect(PlanEntity.Details.class, fixture.toPlan("gold", r -> new PlanEntity.Update(cheaper, "op", r)));
    eventually(LAG, () -> join(tenants.page(PageRequest.first(1))).items().get(0).quota()
        .equals(new Quota(5.0, 60, 8, 10, 10, null, null)), "alpha on the new plan quota");

    AuditLog.Filter planEvents = new AuditLog.Filter(null, null, "op", null, null, null);
    List<AuditLog.AuditEntry> audit = join(fixture.readSide.audit().page(planEvents, PageRequest.first(50))).items();
    assertThat(audit).filteredOn(e -> e.type().startsWith("plan_")).extracting(AuditLog.AuditEntry::type)
        .containsExactlyInAnyOrder("plan_created", "plan_created", "plan_deleted", "plan_updated");
    assertThat(audit).filteredOn(e -> e.type().startsWith("plan_"))
        .allSatisfy(e -> assertThat(e.tenant()).isNull());
    assertThat(audit).filteredOn(e -> e.type().equals("plan_updated")).singleElement()
        .satisfies(e -> assertThat(e.summary()).containsEntry("plan", "gold"));
  }

  @Test
  void tablesProjectedBeforePlansGainThemAndKeepEveryQuota() throws Exception {
    fixture.execute("DROP TABLE tenants");
    fixture.execute("DROP TABLE plans");
    // the tenants table as it was made before plans existed, with a tenant that lowered two limits
    fixture.execute("CREATE TABLE tenants (id VARCHAR(64) PRIMARY KEY, display_name VARCHAR(400),"
        + " status VARCHAR(16) NOT NULL, quota " + (fixture.db.postgres() ? "TEXT" : "CLOB") + " NOT NULL,"
        + " worker_pool VARCHAR(64), organization_id VARCHAR(255), created_ns BIGINT NOT NULL,"
        + " updated_ns BIGINT NOT NULL, model_count INT NOT NULL, api_key_count INT NOT NULL,"
        + " reservations_made BIGINT NOT NULL)");
    Quota lowered = new Quota(50.0, 200, 32, 5, 50, 4L * 1024 * 1024 * 1024, null);
    fixture.execute("INSERT INTO tenants VALUES ('acme', 'Acme', 'active', '" + ReadTables.json(lowered)
        + "', NULL, NULL, 1, 1, 0, 0, 0)");

    ReadTables.create(fixture.db);

    TenantDirectory.TenantRow acme = join(fixture.readSide.tenants().page(
        new TenantDirectory.Filter("default", null, null), PageRequest.first(10))).items().get(0);
    assertThat(acme.plan()).isEqualTo("default");
    assertThat(acme.quota()).isEqualTo(lowered);
    assertThat(acme.quotaOverrides().limits()).containsExactly("requestsPerSecond", "maxModels");
    assertThat(join(fixture.readSide.plans().tenantsOn("default"))).isEqualTo(1);
    // a second start changes nothing
    var before = fixture.dump();
    ReadTables.create(fixture.db);
    assertThat(fixture.dump()).isEqualTo(before);
  }

  @Test
  void aRebuildFromTheStartGivesTheSameTables() throws Exception {
    fixture.startProjections();
    fixture.writeHistory();
    awaitHistory();
    var incremental = fixture.dump();
    eventually(LAG, () -> join(fixture.readSide.lagSeconds(System.currentTimeMillis())) == 0.0, "no lag");

    fixture.stopProjections();
    fixture.dropReadSide();
    assertThat(fixture.auditRows()).isZero();
    assertThat(join(fixture.readSide.caughtUp())).isFalse();
    // the oldest event not applied again yet was written before the drop: its age is the lag
    long now = System.currentTimeMillis() + 60_000;
    assertThat(join(fixture.readSide.lagSeconds(now))).isGreaterThan(59.0).isLessThan(600.0);
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
    eventually(LAG, () -> join(fixture.readSide.lagSeconds(System.currentTimeMillis())) == 0.0, "no lag");
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
