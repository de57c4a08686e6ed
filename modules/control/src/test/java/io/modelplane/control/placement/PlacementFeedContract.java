package io.modelplane.control.placement;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AskPattern;
import akka.persistence.jdbc.testkit.javadsl.SchemaUtils;
import akka.projection.ProjectionBehavior;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.ModelKey;
import io.modelplane.common.Quota;
import io.modelplane.common.Role;
import io.modelplane.common.SlicedTags;
import io.modelplane.common.TenantId;
import io.modelplane.common.TensorSpec;
import io.modelplane.control.readside.ControlProjections;
import io.modelplane.control.readside.ReadSideDatabase;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.control.ArtifactOrigin;
import io.modelplane.inference.worker.ArtifactCache;
import io.modelplane.registry.LocalArtifactStore;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The placement feed's handler on a real JDBC journal, without HTTP: real entities write events, the
 * projection of their slice turns them into the placement tables and tells a probe standing in for the
 * coordinator. Run on H2 and on PostgreSQL by the subclasses.
 */
abstract class PlacementFeedContract {
  static final List<TensorSpec> SIG = List.of(new TensorSpec("input", "FP32", List.of(-1L, 4L)));
  static final Duration WAIT = Duration.ofSeconds(20);
  static final String TENANT = "acme";
  static final String MODEL = "acme/m";
  static final String SLICE = SlicedTags.CONTROL_PLANE.tagFor(TENANT);

  ActorTestKit testKit;
  ReadSideDatabase db;
  DesiredDeployments desired;
  TestProbe<PlacementCoordinator.Command> coordinator;
  final Queue<TenantId> tenantChanges = new ConcurrentLinkedQueue<>();
  ActorRef<ProjectionBehavior.Command> projection;
  ActorRef<TenantEntity.Command> tenant;
  ActorRef<ModelEntity.Command> model;

  /** The journal's slick settings (url, user, password, profile, driver) and the projection's dialect. */
  abstract Map<String, Object> database();

  abstract String jdbcUrl();

  abstract String user();

  abstract String password();

  @BeforeEach
  void start() throws Exception {
    Map<String, Object> settings = new java.util.HashMap<>(database());
    settings.put("akka.loglevel", "WARNING");
    testKit = ActorTestKit.create("feed", ConfigFactory.parseMap(settings).withFallback(ConfigFactory.parseString("""
        akka.persistence.journal.plugin = "jdbc-journal"
        akka.persistence.snapshot-store.plugin = "jdbc-snapshot-store"
        jdbc-journal.use-shared-db = "slick"
        jdbc-snapshot-store.use-shared-db = "slick"
        jdbc-read-journal.use-shared-db = "slick"
        akka-persistence-jdbc.shared-databases.slick.db {
          numThreads = 4
          maxConnections = 4
          minConnections = 1
          connectionTimeout = 5s
        }
        jdbc-read-journal.refresh-interval = 100ms
        akka.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size = 4
        """)).withFallback(ConfigFactory.load()));
    SchemaUtils.createIfNotExists(testKit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    db = ReadSideDatabase.open(jdbcUrl(), user(), password(), 4, null);
    DeploymentFeed.createTables(testKit.system(), db);
    Path artifacts = Files.createTempDirectory("feed-artifacts");
    desired = new DesiredDeployments(new ArtifactCache(artifacts.resolve("cache"), 1 << 20,
        new ArtifactOrigin(new LocalArtifactStore(artifacts.resolve("store"), 1 << 20))),
        tenant -> new io.modelplane.common.crypto.ArtifactKey(tenant.value() + "/1", new byte[32]), 100,
        DesiredDeployments.DEFAULT_FOOTPRINT_CAP);
    coordinator = testKit.createTestProbe();
    tenant = testKit.spawn(TenantEntity.create(TENANT));
    model = testKit.spawn(ModelEntity.create(MODEL));
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
    db.close();
  }

  void startProjection(ControlProjections.Settings settings) {
    projection = testKit.spawn(ProjectionBehavior.create(ControlProjections.projection(testKit.system(),
        DeploymentFeed.PROJECTION, SLICE, db,
        () -> new PlacementFeedHandler(SLICE, coordinator.getRef(), desired, tenantChanges::add, db), settings)));
  }

  void stopProjection() {
    TestProbe<Object> watcher = testKit.createTestProbe();
    projection.tell(ProjectionBehavior.stopMessage());
    watcher.expectTerminated(projection, WAIT);
  }

  static ControlProjections.Settings quickRetries() {
    return new ControlProjections.Settings(Duration.ofMillis(100), 3, Duration.ofMillis(200), Duration.ofSeconds(1));
  }

  <R> R ask(ActorRef<TenantEntity.Command> entity, Function<ActorRef<TenantEntity.Reply>, TenantEntity.Command> command) {
    return askAny(entity, command);
  }

  @SuppressWarnings("unchecked")
  <C, Rep, R> R askAny(ActorRef<C> entity, Function<ActorRef<Rep>, C> command) {
    try {
      return (R) AskPattern.ask(entity, command::apply, Duration.ofSeconds(30), testKit.scheduler())
          .toCompletableFuture().get(35, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Quota resident(long bytes) {
    Quota d = Quota.defaults();
    return new Quota(d.requestsPerSecond(), d.burst(), d.maxConcurrentRequests(), d.maxModels(),
        d.maxVersionsPerModel(), bytes, d.monthlyComputeSeconds());
  }

  void createTenant(long maxResidentBytes) {
    askAny(tenant, (ActorRef<TenantEntity.Reply> r) -> new TenantEntity.Create("Acme", resident(maxResidentBytes), "alice", r, null));
  }

  void registerVersion(String sha256, long size) {
    askAny(model, (ActorRef<ModelEntity.Reply> r) -> new ModelEntity.RegisterVersion(sha256, size, "torchscript", SIG, SIG,
        null, null, "alice", r));
  }

  void deploy(int... versions) {
    Map<Integer, Integer> traffic = new java.util.TreeMap<>();
    for (int v : versions) {
      traffic.put(v, 100 / versions.length + (v == versions[0] ? 100 % versions.length : 0));
    }
    ModelEntity.Reply reply = askAny(model, (ActorRef<ModelEntity.Reply> r) ->
        new ModelEntity.Deploy(new ModelEntity.DeploymentSpec(traffic, 1, 8, 2), null, "alice", r));
    assertThat(reply).isInstanceOf(ModelEntity.Deployed.class);
  }

  void rollback() {
    ModelEntity.Reply reply = askAny(model, (ActorRef<ModelEntity.Reply> r) -> new ModelEntity.Rollback("alice", r));
    assertThat(reply).isInstanceOf(ModelEntity.Deployed.class);
  }

  PlacementCoordinator.SetTenantQuota expectQuota(Long bytes) {
    PlacementCoordinator.SetTenantQuota q = coordinator.expectMessageClass(PlacementCoordinator.SetTenantQuota.class, WAIT);
    assertThat(q.tenant()).isEqualTo(io.modelplane.common.TenantId.of(TENANT));
    assertThat(q.maxResidentBytes()).isEqualTo(bytes);
    return q;
  }

  PlacementCoordinator.SetDeployment expectDeployment(long revision, Integer... versions) {
    PlacementCoordinator.SetDeployment d = coordinator.expectMessageClass(PlacementCoordinator.SetDeployment.class, WAIT);
    assertThat(d.model()).isEqualTo(ModelKey.parse(MODEL));
    assertThat(d.deployment().revision()).isEqualTo(revision);
    assertThat(d.deployment().versions().keySet()).containsExactlyInAnyOrder(versions);
    return d;
  }

  /** Every row of the placement tables, as text, in key order. */
  List<String> tables() throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      for (String query : List.of(
          "SELECT model_key, version, spec FROM placement_versions ORDER BY model_key, version",
          "SELECT model_key, revision, spec FROM placement_revisions ORDER BY model_key, revision",
          "SELECT model_key, tenant, slice, revision, journal_order, desired FROM placement_deployments ORDER BY model_key",
          "SELECT tenant, slice, max_resident_bytes, worker_pool, journal_order FROM placement_tenants ORDER BY tenant")) {
        try (ResultSet r = s.executeQuery(query)) {
          int columns = r.getMetaData().getColumnCount();
          while (r.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= columns; i++) {
              row.append(r.getString(i)).append(" | ");
            }
            rows.add(row.toString());
          }
        }
      }
      c.rollback();
    }
    return rows;
  }

  void execute(String... statements) throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
      c.commit();
    }
  }

  /** Tenant created (limit 5000), v1 and v2 registered, deployed v1 then v2, rolled back, limit 9000, pool p1. */
  List<PlacementCoordinator.Command> writeHistory() {
    List<PlacementCoordinator.Command> told = new ArrayList<>();
    createTenant(5000);
    told.add(expectQuota(5000L));
    registerVersion("a".repeat(64), 1000);
    registerVersion("b".repeat(64), 2000);
    deploy(1);
    told.add(expectQuota(5000L));
    told.add(expectDeployment(1, 1));
    deploy(2);
    told.add(expectQuota(5000L));
    told.add(expectDeployment(2, 2));
    rollback();
    told.add(expectQuota(5000L));
    told.add(expectDeployment(1, 1));
    askAny(tenant, (ActorRef<TenantEntity.Reply> r) -> new TenantEntity.Update(null, resident(9000), "alice", r));
    told.add(expectQuota(9000L));
    askAny(tenant, (ActorRef<TenantEntity.Reply> r) -> new TenantEntity.SetWorkerPool("p1", "alice", r));
    told.add(expectQuota(9000L));
    PlacementCoordinator.SetDeployment moved = expectDeployment(1, 1);
    assertThat(moved.deployment().workerPool()).isEqualTo("p1");
    told.add(moved);
    return told;
  }

  static long order(PlacementCoordinator.Command c) {
    return c instanceof PlacementCoordinator.SetDeployment d ? d.journalOrder()
        : ((PlacementCoordinator.SetTenantQuota) c).journalOrder();
  }

  @Test
  void eventsBecomeTablesAndTheCoordinatorHearsThemInJournalOrder() throws Exception {
    startProjection(ControlProjections.Settings.defaults());
    List<PlacementCoordinator.Command> told = writeHistory();

    // each deployment is told after the one before it (the tenant's limit, as it stands, before each)
    List<Long> deploymentOrders = told.stream().filter(c -> c instanceof PlacementCoordinator.SetDeployment)
        .map(PlacementFeedContract::order).toList();
    assertThat(deploymentOrders).isSorted().doesNotHaveDuplicates();
    List<Long> quotaOrders = told.stream().filter(c -> c instanceof PlacementCoordinator.SetTenantQuota)
        .map(PlacementFeedContract::order).toList();
    assertThat(quotaOrders).isSorted();
    assertThat(quotaOrders.get(quotaOrders.size() - 1)).isLessThanOrEqualTo(deploymentOrders.get(deploymentOrders.size() - 1));
    PlacementCoordinator.SetDeployment last = (PlacementCoordinator.SetDeployment) told.get(told.size() - 1);
    PlacementCoordinator.DesiredDeployment d = last.deployment();
    assertThat(d.traffic()).isEqualTo(Map.of(1, 100));
    assertThat(d.batch().maxBatchSize()).isEqualTo(8);
    assertThat(d.versions().get(1).sha256()).isEqualTo("a".repeat(64));
    assertThat(d.versions().get(1).key()).isEqualTo(new io.modelplane.common.VersionKey(ModelKey.parse(MODEL), 1));
    assertThat(d.versions().get(1).sizeBytes()).isEqualTo(1000); // no file in the store: its registered size
    assertThat(d.versions().get(1).inputs()).isEqualTo(SIG);

    try (Connection c = db.connection()) {
      PlacementTables.DeploymentRow row = PlacementTables.deployment(c, MODEL).orElseThrow();
      assertThat(row.revision()).isEqualTo(1);
      assertThat(row.journalOrder()).isEqualTo(last.journalOrder());
      assertThat(row.desired().versions()).containsOnlyKeys(1);
      PlacementTables.TenantRow t = PlacementTables.tenant(c, TENANT).orElseThrow();
      assertThat(t.maxResidentBytes()).isEqualTo(9000L);
      assertThat(t.workerPool()).isEqualTo("p1");
      c.rollback();
    }
  }

  @Test
  void anAutoscaledDeploymentReachesPlacementWithItsBoundsAndScalingDecisionsChangeNothingThere() throws Exception {
    startProjection(ControlProjections.Settings.defaults());
    createTenant(5000);
    expectQuota(5000L);
    registerVersion("a".repeat(64), 1000);
    ModelEntity.Reply reply = askAny(model, (ActorRef<ModelEntity.Reply> r) -> new ModelEntity.Deploy(
        new ModelEntity.DeploymentSpec(Map.of(1, 100), 1, 8, 2, null, new ModelEntity.Autoscaling(0, 3, 6, 120)), null,
        "alice", r));
    assertThat(reply).isInstanceOf(ModelEntity.Deployed.class);
    expectQuota(5000L);
    PlacementCoordinator.DesiredDeployment d = expectDeployment(1, 1).deployment();
    assertThat(d.replicas()).isEqualTo(1);
    assertThat(d.autoscaling()).isEqualTo(
        new io.modelplane.inference.placement.Autoscaler.Bounds(0, 3, 6, Duration.ofSeconds(120)));
    List<String> before = tables();

    ModelEntity.Reply scaled = askAny(model, (ActorRef<ModelEntity.Reply> r) ->
        new ModelEntity.RecordScaling(1, 1, 1, 0, "no request for 120 s", "autoscaler", r));
    assertThat(scaled).isEqualTo(new ModelEntity.Scaled(1, 1, 0));
    registerVersion("b".repeat(64), 2000); // a later event: once it is in the tables, the scaling was passed over
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      try {
        assertThat(tables()).anyMatch(row -> row.startsWith(MODEL + " | 2 | "));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
    coordinator.expectNoMessage(Duration.ofMillis(200));
    List<String> after = tables();
    after.removeIf(row -> row.startsWith(MODEL + " | 2 | "));
    assertThat(after).isEqualTo(before);
  }

  @Test
  void aPurgedModelIsNoLongerDesiredSoItsReplicasAreUnloaded() throws Exception {
    startProjection(ControlProjections.Settings.defaults());
    createTenant(5000);
    expectQuota(5000L);
    registerVersion("a".repeat(64), 1000);
    deploy(1);
    expectQuota(5000L);
    expectDeployment(1, 1);
    askAny(tenant, (ActorRef<TenantEntity.Reply> r) -> new TenantEntity.StartDeletion(false, "op", r));
    askAny(model, (ActorRef<ModelEntity.Reply> r) -> new ModelEntity.Purge(0, "op", r));
    expectQuota(5000L);
    PlacementCoordinator.SetDeployment purged =
        coordinator.expectMessageClass(PlacementCoordinator.SetDeployment.class, WAIT);
    assertThat(purged.model()).isEqualTo(ModelKey.parse(MODEL));
    assertThat(purged.deployment()).isNull();
    try (Connection c = db.connection()) {
      assertThat(PlacementTables.deployment(c, MODEL).orElseThrow().desired()).isNull();
      c.rollback();
    }
    // the deletion's start is news every node must hear (its keys and tokens are refused from then)
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertThat(tenantChanges).hasSize(2);
      return null;
    });
  }

  @Test
  void tenantEventsThatInvalidateCachesAreHandedOnAfterCommitAndOthersAreNot() {
    startProjection(ControlProjections.Settings.defaults());
    createTenant(5000);
    expectQuota(5000L);
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertThat(tenantChanges).containsExactly(TenantId.of(TENANT));
      return null;
    });
    askAny(tenant, (ActorRef<TenantEntity.Reply> r) -> new TenantEntity.CreateApiKey("k1", "ci", Role.DEVELOPER,
        "hash", "alice", r));
    askAny(tenant, (ActorRef<TenantEntity.Reply> r) -> new TenantEntity.AddModel("m", "alice", r)); // changes no cache
    askAny(tenant, (ActorRef<TenantEntity.Reply> r) -> new TenantEntity.Suspend("alice", r));
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertThat(tenantChanges).hasSize(3);
      return null;
    });
    assertThat(tenantChanges).containsOnly(TenantId.of(TENANT));
  }

  @Test
  void replayFromOffsetZeroGivesTheSameTablesAndNeverRegresses() throws Exception {
    startProjection(ControlProjections.Settings.defaults());
    List<PlacementCoordinator.Command> told = writeHistory();
    long newest = order(told.get(told.size() - 1));
    List<String> before = tables();
    stopProjection();

    // from nothing: the tables are rebuilt from the events alone
    execute("DELETE FROM \"akka_projection_offset_store\"", "DELETE FROM placement_versions",
        "DELETE FROM placement_revisions", "DELETE FROM placement_deployments", "DELETE FROM placement_tenants");
    startProjection(ControlProjections.Settings.defaults());
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertThat(tables()).isEqualTo(before);
      return null;
    });
    stopProjection();
    drain();

    // over the tables as they are: nothing older than what they hold is written or told
    execute("DELETE FROM \"akka_projection_offset_store\"");
    startProjection(ControlProjections.Settings.defaults());
    // the restarted projection tells its slice's deployments again, as they are now
    expectQuota(9000L);
    PlacementCoordinator.SetDeployment again = coordinator.expectMessageClass(PlacementCoordinator.SetDeployment.class, WAIT);
    assertThat(again.journalOrder()).isEqualTo(newest);
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertThat(offset()).isEqualTo(newest);
      return null;
    });
    assertThat(tables()).isEqualTo(before);
    for (PlacementCoordinator.Command c : drain()) {
      if (c instanceof PlacementCoordinator.SetDeployment d) {
        assertThat(d.journalOrder()).isEqualTo(newest);
      }
    }
  }

  @Test
  void aFailingHandlerIsRetriedAndSkipsNothing() throws Exception {
    startProjection(quickRetries());
    createTenant(5000);
    expectQuota(5000L);
    registerVersion("a".repeat(64), 1000);
    registerVersion("b".repeat(64), 2000);
    execute("DROP TABLE placement_revisions");
    deploy(1);
    deploy(2);
    // the first deploy cannot be written: nothing after it may be told either
    coordinator.expectNoMessage(Duration.ofSeconds(2));
    execute(PlacementTables.DDL.get(1));
    expectQuota(5000L);
    PlacementCoordinator.SetDeployment first = expectDeployment(1, 1);
    expectQuota(5000L);
    PlacementCoordinator.SetDeployment second = expectDeployment(2, 2);
    assertThat(second.journalOrder()).isGreaterThan(first.journalOrder());
    try (Connection c = db.connection(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT COUNT(*) FROM placement_revisions")) {
      r.next();
      assertThat(r.getInt(1)).isEqualTo(2);
      c.rollback();
    }
  }

  @Test
  void aStartingCoordinatorReadsTheTablesOnce() throws Exception {
    startProjection(ControlProjections.Settings.defaults());
    writeHistory();
    PlacementCoordinator.DesiredState source = DeploymentFeed.desiredState(db, desired,
        testKit.system().dispatchers().lookup(DispatcherSelector.blocking()));
    PlacementCoordinator.Snapshot snapshot = source.load().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(snapshot.tenants()).extracting(PlacementCoordinator.SetTenantQuota::maxResidentBytes).containsExactly(9000L);
    assertThat(snapshot.deployments()).singleElement().satisfies(d -> {
      assertThat(d.deployment().revision()).isEqualTo(1);
      assertThat(d.deployment().workerPool()).isEqualTo("p1");
    });

    // a real coordinator, twice: each knows the deployment from the tables alone (no worker: it waits)
    for (int start = 0; start < 2; start++) {
      ActorRef<PlacementCoordinator.Command> placement =
          testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5), source));
      TestProbe<PlacementCoordinator.Replicas> replicas = testKit.createTestProbe();
      replicas.awaitAssert(WAIT, () -> {
        placement.tell(new PlacementCoordinator.GetReplicas(ModelKey.parse(MODEL), replicas.getRef()));
        assertThat(replicas.receiveMessage().replicas()).extracting(PlacementCoordinator.ReplicaView::version)
            .containsExactly(1);
        return null;
      });
      testKit.stop(placement);
    }
  }

  @Test
  void drainedWorkersAreKeptInTheTablesAndReadBackByAStartingCoordinator() throws Exception {
    java.util.concurrent.Executor blocking = testKit.system().dispatchers().lookup(DispatcherSelector.blocking());
    PlacementCoordinator.DrainRecord record = DeploymentFeed.drainRecord(db, blocking);
    PlacementCoordinator.DesiredState source = DeploymentFeed.desiredState(db, desired, blocking);
    record.save("10.0.0.1:25520/cpu()", true).toCompletableFuture().get(10, TimeUnit.SECONDS);
    record.save("10.0.0.2:25520/cpu()", true).toCompletableFuture().get(10, TimeUnit.SECONDS);
    record.save("10.0.0.2:25520/cpu()", true).toCompletableFuture().get(10, TimeUnit.SECONDS); // again: no error
    record.save("10.0.0.1:25520/cpu()", false).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(source.load().toCompletableFuture().get(10, TimeUnit.SECONDS).drainingWorkers())
        .containsExactly("10.0.0.2:25520/cpu()");

    // the coordinator hears it from the tables alone
    ActorRef<PlacementCoordinator.Command> placement =
        testKit.spawn(PlacementCoordinator.create(Duration.ofSeconds(5), source, record));
    TestProbe<PlacementCoordinator.Drains> drains = testKit.createTestProbe();
    drains.awaitAssert(WAIT, () -> {
      placement.tell(new PlacementCoordinator.GetDrains(drains.getRef()));
      assertThat(drains.receiveMessage().blockedBy()).containsOnlyKeys("10.0.0.2:25520/cpu()");
      return null;
    });
    // undrained through the coordinator (the worker left: allowed), gone from the tables too
    TestProbe<PlacementCoordinator.DrainSet> set = testKit.createTestProbe();
    placement.tell(new PlacementCoordinator.SetDraining("10.0.0.2:25520/cpu()", false, set.getRef()));
    assertThat(set.receiveMessage().outcome()).isEqualTo(PlacementCoordinator.Outcome.DONE);
    assertThat(source.load().toCompletableFuture().get(10, TimeUnit.SECONDS).drainingWorkers()).isEmpty();
  }

  long offset() throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT \"current_offset\" FROM \"akka_projection_offset_store\"")) {
      long value = r.next() ? Long.parseLong(r.getString(1)) : -1;
      c.rollback();
      return value;
    }
  }

  List<PlacementCoordinator.Command> drain() {
    List<PlacementCoordinator.Command> all = new ArrayList<>();
    while (true) {
      try {
        all.add(coordinator.receiveMessage(Duration.ofMillis(500)));
      } catch (AssertionError e) {
        return all;
      }
    }
  }
}
