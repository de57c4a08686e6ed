package io.modelplane.control.readside;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.persistence.jdbc.testkit.javadsl.SchemaUtils;
import akka.projection.ProjectionBehavior;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.Quota;
import io.modelplane.common.Role;
import io.modelplane.common.SlicedTags;
import io.modelplane.common.TensorSpec;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.plan.PlanEntity;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real entities on a real JDBC journal (H2 or PostgreSQL), the read-tables projection over its tags
 * and the read side's queries over the same database.
 */
final class ReadSideFixture implements AutoCloseable {
  static final ControlProjections.Settings FAST_RETRIES =
      new ControlProjections.Settings(Duration.ofMillis(100), 3, Duration.ofMillis(200), Duration.ofSeconds(1));

  final ActorTestKit testKit;
  final ReadSideDatabase db;
  final ReadSide readSide;
  private final Map<String, ActorRef<TenantEntity.Command>> tenants = new HashMap<>();
  private final Map<String, ActorRef<ModelEntity.Command>> models = new HashMap<>();
  private final Map<String, ActorRef<PlanEntity.Command>> plans = new HashMap<>();
  private final List<ActorRef<ProjectionBehavior.Command>> projections = new ArrayList<>();

  ReadSideFixture(String jdbcUrl, String user, String password, boolean postgres) throws Exception {
    Map<String, Object> settings = new HashMap<>();
    String slick = "akka-persistence-jdbc.shared-databases.slick.";
    settings.put("akka.persistence.journal.plugin", "jdbc-journal");
    settings.put("akka.persistence.snapshot-store.plugin", "jdbc-snapshot-store");
    settings.put("jdbc-journal.use-shared-db", "slick");
    settings.put("jdbc-snapshot-store.use-shared-db", "slick");
    settings.put("jdbc-read-journal.use-shared-db", "slick");
    settings.put("jdbc-read-journal.refresh-interval", "100ms");
    settings.put(slick + "profile", postgres ? "slick.jdbc.PostgresProfile$" : "slick.jdbc.H2Profile$");
    settings.put(slick + "db.url", jdbcUrl);
    settings.put(slick + "db.user", user);
    settings.put(slick + "db.password", password);
    settings.put(slick + "db.driver", postgres ? "org.postgresql.Driver" : "org.h2.Driver");
    settings.put(slick + "db.numThreads", 4);
    settings.put(slick + "db.maxConnections", 4);
    settings.put(slick + "db.minConnections", 1);
    settings.put("akka.projection.jdbc.dialect", postgres ? "postgres-dialect" : "h2-dialect");
    settings.put("akka.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size", 4);
    settings.put("akka.loglevel", "WARNING");
    Config config = ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load());
    testKit = ActorTestKit.create("readside", config);
    SchemaUtils.createIfNotExists(testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    db = ReadSideDatabase.open(jdbcUrl, user, password, 6, null);
    ReadTables.create(db);
    ControlProjections.createTables(testKit.system(), db).toCompletableFuture().get(60, TimeUnit.SECONDS);
    readSide = ReadSide.over(db, testKit.system().executionContext());
  }

  /** Starts the projection on every tag of the control plane. */
  void startProjections() {
    for (String tag : SlicedTags.CONTROL_PLANE.all()) {
      projections.add(testKit.spawn(ProjectionBehavior.create(ControlProjections.projection(testKit.system(),
          ReadSide.PROJECTION, tag, db, ReadTablesHandler::new, FAST_RETRIES))));
    }
  }

  void stopProjections() {
    TestProbe<Object> watcher = testKit.createTestProbe();
    for (ActorRef<ProjectionBehavior.Command> p : projections) {
      p.tell(ProjectionBehavior.stopMessage());
      watcher.expectTerminated(p, Duration.ofSeconds(30));
    }
    projections.clear();
  }

  /** Drops the read tables and the projection's offsets: the next start replays the journal from its start. */
  void dropReadSide() throws Exception {
    ReadTables.drop(db);
    execute("DELETE FROM \"akka_projection_offset_store\"");
    ReadTables.create(db);
  }

  // ---- the entities ----

  PlanEntity.Reply toPlan(String id, java.util.function.Function<ActorRef<PlanEntity.Reply>, PlanEntity.Command> command) {
    TestProbe<PlanEntity.Reply> probe = testKit.createTestProbe();
    plans.computeIfAbsent(id, p -> testKit.spawn(PlanEntity.create(p))).tell(command.apply(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  ActorRef<TenantEntity.Command> tenant(String id) {
    return tenants.computeIfAbsent(id, t -> testKit.spawn(TenantEntity.create(t)));
  }

  ActorRef<ModelEntity.Command> model(String tenant, String model) {
    return models.computeIfAbsent(tenant + "/" + model, id -> testKit.spawn(ModelEntity.create(id)));
  }

  TenantEntity.Reply toTenant(String id, java.util.function.Function<ActorRef<TenantEntity.Reply>, TenantEntity.Command> command) {
    TestProbe<TenantEntity.Reply> probe = testKit.createTestProbe();
    tenant(id).tell(command.apply(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  ModelEntity.Reply toModel(String tenant, String model,
      java.util.function.Function<ActorRef<ModelEntity.Reply>, ModelEntity.Command> command) {
    TestProbe<ModelEntity.Reply> probe = testKit.createTestProbe();
    model(tenant, model).tell(command.apply(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  void createTenant(String id) {
    expect(TenantEntity.Summary.class, toTenant(id, r -> new TenantEntity.Create("Tenant " + id, Quota.defaults(), "op", r, null)));
  }

  /** The tenant reserves the name, the model registers a version under that reservation (as an upload does). */
  void registerVersion(String tenant, String model, String sha256) {
    TenantEntity.Summary t = expect(TenantEntity.Summary.class,
        toTenant(tenant, r -> new TenantEntity.AddModel(model, "dev", r)));
    long reservation = t.modelReservations().get(model);
    List<TensorSpec> io = List.of(new TensorSpec("x", "FP32", List.of(-1L, 4L)));
    expect(ModelEntity.VersionAdded.class, toModel(tenant, model, r -> new ModelEntity.RegisterVersion(sha256, 1234,
        "torchscript", io, io, "v", null, reservation, "dev", r)));
  }

  /** A scripted history touching every table: two tenants, keys, models, deployments, a rollback, a released name. */
  void writeHistory() {
    createTenant("acme");
    createTenant("globex");
    expect(TenantEntity.ApiKeyCreated.class, toTenant("acme", r -> new TenantEntity.CreateApiKey("k1", "ci", Role.DEVELOPER, "hash-1", "op", r)));
    expect(TenantEntity.ApiKeyCreated.class, toTenant("acme", r -> new TenantEntity.CreateApiKey("k2", "ops", Role.VIEWER, "hash-2", "op", r)));
    expect(TenantEntity.Summary.class, toTenant("acme", r -> new TenantEntity.RevokeApiKey("k2", "op", r)));
    expect(TenantEntity.Summary.class, toTenant("acme", r -> new TenantEntity.RecordKeyUse(Map.of("k1", Instant.now()), r)));
    registerVersion("acme", "digits", "a".repeat(64));
    registerVersion("acme", "digits", "b".repeat(64));
    registerVersion("globex", "resnet", "c".repeat(64));
    expect(ModelEntity.Deployed.class, toModel("acme", "digits", r -> new ModelEntity.Deploy(
        new ModelEntity.DeploymentSpec(Map.of(1, 100), 1, 8, 0), null, "dev", r)));
    expect(ModelEntity.Deployed.class, toModel("acme", "digits", r -> new ModelEntity.Deploy(
        new ModelEntity.DeploymentSpec(Map.of(1, 50, 2, 50), 2, 8, 0), 1L, "dev", r)));
    expect(ModelEntity.Deployed.class, toModel("acme", "digits", r -> new ModelEntity.Rollback("dev", r)));
    // a name an upload reserved and never registered, then given up
    TenantEntity.Summary ghost = expect(TenantEntity.Summary.class, toTenant("acme", r -> new TenantEntity.AddModel("ghost", "dev", r)));
    expect(ModelEntity.Vacant.class, toModel("acme", "ghost", r -> new ModelEntity.ReleaseReservation(
        ghost.modelReservations().get("ghost"), "sweeper", r)));
    expect(TenantEntity.Summary.class, toTenant("acme", r -> new TenantEntity.ReleaseModel("ghost",
        ghost.modelReservations().get("ghost"), "sweeper", r)));
    expect(TenantEntity.Summary.class, toTenant("globex", r -> new TenantEntity.Suspend("op", r)));
    expect(TenantEntity.Summary.class, toTenant("globex", r -> new TenantEntity.Update("Globex Corp", null, "op", r)));
  }

  /** Audit rows {@link #writeHistory} leaves: every event but key use and the released reservation. */
  static final int HISTORY_AUDIT_ROWS = 17;

  static <T> T expect(Class<T> type, Object reply) {
    if (!type.isInstance(reply)) {
      throw new AssertionError("expected " + type.getSimpleName() + ", got " + reply);
    }
    return type.cast(reply);
  }

  // ---- the tables ----

  long count(String sql) throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      long n = rs.getLong(1);
      c.rollback();
      return n;
    }
  }

  void execute(String sql) throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      s.execute(sql);
      c.commit();
    }
  }

  /** Every row of {@code sql}'s result, each column as text. */
  List<Map<String, String>> rows(String sql) throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData meta = rs.getMetaData();
      List<Map<String, String>> rows = new ArrayList<>();
      while (rs.next()) {
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.put(meta.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT), rs.getString(i));
        }
        rows.add(row);
      }
      c.rollback();
      return rows;
    }
  }

  /** All read tables, in a stable order; audit rows without their sequence id (it depends on how tags interleave). */
  Map<String, List<Map<String, String>>> dump() throws Exception {
    Map<String, List<Map<String, String>>> all = new LinkedHashMap<>();
    all.put("tenants", rows("SELECT * FROM tenants ORDER BY id"));
    all.put("plans", rows("SELECT * FROM plans ORDER BY id"));
    all.put("models", rows("SELECT * FROM models ORDER BY tenant, model"));
    all.put("api_keys", rows("SELECT * FROM api_keys ORDER BY tenant, key_id"));
    all.put("audit_log", rows("SELECT time_ns, tenant, model, actor, event_type, summary, persistence_id, sequence_nr"
        + " FROM audit_log ORDER BY persistence_id, sequence_nr"));
    all.put("projected_events", rows("SELECT * FROM projected_events ORDER BY persistence_id"));
    return all;
  }

  long auditRows() {
    try {
      return count("SELECT COUNT(*) FROM audit_log");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    testKit.shutdownTestKit();
    db.close();
  }
}
