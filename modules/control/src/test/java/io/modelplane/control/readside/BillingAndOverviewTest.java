package io.modelplane.control.readside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.common.QuotaOverrides;
import io.modelplane.common.TenantId;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.testing.ManualClock;
import io.modelplane.control.PlanLookup;
import io.modelplane.control.billing.Billing;
import io.modelplane.control.billing.PlatformOverview;
import io.modelplane.metering.MinuteCount;
import io.modelplane.metering.ResidentSample;
import io.modelplane.metering.UsageMeter;
import io.modelplane.metering.UsageStore;
import io.modelplane.metering.billing.Statement;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.plan.PlanEntity;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Statements and the platform overview over real read tables (written by the projection's handler) and a
 * real usage store, priced at real plans with non-zero prices.
 */
class BillingAndOverviewTest {
  static final YearMonth MONTH = YearMonth.of(2026, 11);
  static final Instant IN_MONTH = Instant.parse("2026-11-10T10:00:00Z");
  static final long GIB = 1L << 30;
  static final Plan PRO = new Plan("pro", "Pro", Quota.defaults(), new Plan.Prices(200, 360, 50, 1999), "EUR");
  static final Plan BASIC = new Plan("basic", "Basic", Quota.defaults(), new Plan.Prices(100, 0, 0, 500), "USD");

  ReadSideDatabase db;
  ReadSide readSide;
  String usageUrl;
  UsageStore usage;
  ExecutorService executor = Executors.newFixedThreadPool(2);
  final Map<String, Long> sequenceNrs = new HashMap<>();
  final Map<String, Plan> plans = new HashMap<>();
  final PlanLookup lookup = t -> CompletableFuture.completedFuture(plans.getOrDefault(t.value(), Plan.builtInDefault()));

  @BeforeEach
  void open() throws Exception {
    db = ReadSideDatabase.open("jdbc:h2:mem:billing-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "", 4, null);
    ReadTables.create(db);
    readSide = ReadSide.over(db, executor);
    usageUrl = "jdbc:h2:mem:billing-usage-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    usage = UsageStore.open(usageUrl, "sa", "");
  }

  @AfterEach
  void close() {
    usage.close();
    db.close();
    executor.shutdownNow();
  }

  void apply(String persistenceId, Object event) throws Exception {
    long seq = sequenceNrs.merge(persistenceId, 1L, Long::sum);
    try (Connection c = db.connection()) {
      ReadTablesHandler.apply(c, persistenceId, seq, event);
      c.commit();
    }
  }

  void tenant(String id, Instant at) throws Exception {
    apply("Tenant|" + id, new TenantEntity.TenantCreated(id, "T " + id, Quota.defaults(), at, "op"));
  }

  /** The plan created, the tenant moved onto it: as the entities record it, so the read tables hold it. */
  void onPlan(String tenant, Plan plan) throws Exception {
    if (sequenceNrs.get("Plan|" + plan.id()) == null) {
      apply("Plan|" + plan.id(), new PlanEntity.PlanCreated(plan, IN_MONTH, "op"));
    }
    apply("Tenant|" + tenant, new TenantEntity.PlanTermsChanged(plan.id(), QuotaOverrides.none(), plan.quota(), IN_MONTH, "op"));
    plans.put(tenant, plan);
  }

  void model(String tenant, String model, boolean deployed) throws Exception {
    apply("Tenant|" + tenant, new TenantEntity.ModelAdded(model, IN_MONTH, "dev"));
    List<TensorSpec> io = List.of(new TensorSpec("x", "FP32", List.of(1L)));
    apply("Model|" + tenant + "/" + model, new ModelEntity.VersionRegistered(1, "f".repeat(64), 10, "torchscript",
        io, io, null, IN_MONTH, "dev"));
    if (deployed) {
      apply("Model|" + tenant + "/" + model, new ModelEntity.DeploymentRevised(1,
          new ModelEntity.DeploymentSpec(Map.of(1, 100), 1, 8, 0), IN_MONTH, "dev"));
    }
  }

  static <T> T join(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  Billing billing() {
    return new Billing(readSide.tenants(), usage, executor, lookup);
  }

  /** acme (pro, since October), globex (basic, created this month, suspended), later (created next month). */
  void knownMonth() throws Exception {
    tenant("acme", Instant.parse("2026-10-01T00:00:00Z"));
    tenant("globex", Instant.parse("2026-11-20T00:00:00Z"));
    apply("Tenant|globex", new TenantEntity.TenantSuspended(Instant.parse("2026-11-25T00:00:00Z"), "op"));
    tenant("later", Instant.parse("2026-12-01T00:00:00Z"));
    onPlan("acme", PRO);
    onPlan("globex", BASIC);
    long m = IN_MONTH.toEpochMilli();
    usage.write(List.of(
        new MinuteCount("acme", "digits", "1", m, 200, "node-a", 1_000_000, 1_000_000, 3_000_000_000L),
        new MinuteCount("acme", "digits", "1", m + 60_000, 200, "node-b", 2_500, 2_500, 2_405_000_000L),
        new MinuteCount("acme", "digits", "1", m, 429, "node-a", 250_000, 0, 0),
        new MinuteCount("globex", "m", "1", m, 200, "node-a", 3_000_000, 3_000_000, 0),
        // October and December are other statements
        new MinuteCount("acme", "digits", "1", Instant.parse("2026-10-31T23:59:00Z").toEpochMilli(), 200, "a", 7, 7, 7),
        new MinuteCount("acme", "digits", "1", Instant.parse("2026-12-01T00:00:00Z").toEpochMilli(), 200, "a", 7, 7, 7)));
    for (int i = 0; i < 43; i++) {
      usage.writeResident(m + i * 60_000L, List.of(new ResidentSample("w1", "acme", "digits", "1", GIB)));
    }
    usage.writeResident(m + 43 * 60_000L, List.of(new ResidentSample("w2", "acme", "digits", "1", GIB / 2)));
  }

  @Test
  void aDeletedTenantIsBilledForTheMonthsItExistedInAndNotAfter() throws Exception {
    knownMonth();
    Instant deleted = Instant.parse("2026-11-28T00:00:00Z");
    apply("Tenant|globex", new TenantEntity.DeletionStarted(false, deleted, "op"));
    apply("Tenant|globex", new TenantEntity.TenantDeleted(false, 1, deleted, "op"));
    // the month it was deleted in still bills it, with its usage
    Billing.MonthStatements november = join(billing().statements(MONTH));
    assertThat(november.statements()).extracting(Statement::tenant).containsExactly("acme", "globex");
    assertThat(november.statements().get(1).usage().requests()).isEqualTo(3_000_000);
    // the months after do not
    assertThat(join(billing().statements(MONTH.plusMonths(1))).statements()).extracting(Statement::tenant)
        .containsExactly("acme", "later");
  }

  @Test
  void everyTenantOfTheMonthIsBilledAtItsPlanWithTotalsPerCurrency() throws Exception {
    knownMonth();

    Billing.MonthStatements month = join(billing().statements(MONTH));

    assertThat(month.month()).isEqualTo("2026-11");
    assertThat(month.from()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
    assertThat(month.to()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
    assertThat(month.statements()).extracting(Statement::tenant).containsExactly("acme", "globex");
    Statement acme = month.statements().get(0);
    // 1,002,500 billed requests x 200/M = 200.5 -> 201; 5,405 s x 360/h = 540.5 -> 541; 0.725 GiB-h x 50 = 36.25 -> 36
    assertThat(acme.usage()).isEqualTo(new Statement.Usage(1_252_500, 250_000, 1_002_500, 5_405.0, 0.725));
    assertThat(acme.lines()).extracting(Statement.Line::amount).containsExactly(1999L, 201L, 541L, 36L);
    assertThat(acme.total()).isEqualTo(2777);
    assertThat(acme.currency()).isEqualTo("EUR");
    Statement globex = month.statements().get(1);
    assertThat(globex.plan()).isEqualTo("basic");
    assertThat(globex.total()).isEqualTo(500 + 300);
    assertThat(month.totals()).containsExactly(new Billing.CurrencyTotal("EUR", 2777),
        new Billing.CurrencyTotal("USD", 800));
  }

  @Test
  void aMonthGivesTheSameStatementsTwiceAndFromANewStoreOnTheSameDatabase() throws Exception {
    knownMonth();
    Billing.MonthStatements first = join(billing().statements(MONTH));
    assertThat(join(billing().statements(MONTH))).isEqualTo(first);

    usage.close(); // a restart: nothing but the tables carries over
    usage = UsageStore.open(usageUrl, "sa", "");
    assertThat(join(billing().statements(MONTH))).isEqualTo(first);
    Statement acme = join(billing().statement(TenantId.of("acme"), Instant.parse("2026-10-01T00:00:00Z"), MONTH));
    assertThat(acme).isEqualTo(first.statements().get(0));
  }

  @Test
  void aTenantsStatementOfAMonthBeforeItExistedOwesNoBase() throws Exception {
    knownMonth();
    Statement before = join(billing().statement(TenantId.of("later"), Instant.parse("2026-12-01T00:00:00Z"), MONTH));
    assertThat(before.total()).isZero();
    assertThat(before.usage().requests()).isZero();
  }

  @Test
  void statementsFailWhenTheUsageTablesCannotBeRead() throws Exception {
    knownMonth();
    usage.close();
    assertThatThrownBy(() -> join(billing().statements(MONTH))).isInstanceOf(ExecutionException.class)
        .hasRootCauseInstanceOf(SQLException.class);
  }

  @Test
  void theOverviewCountsTenantsAndModelsByStatusAndMergesTheLastHourOfEveryNode() throws Exception {
    knownMonth();
    model("acme", "digits", true);
    model("acme", "resnet", false);
    model("globex", "m", true);
    ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:30Z"));
    UsageMeter a = new UsageMeter(usage, "node-a", Duration.ofSeconds(1), clock);
    UsageMeter b = new UsageMeter(usage, "node-b", Duration.ofSeconds(1), clock);
    for (int i = 0; i < 98; i++) {
      (i % 2 == 0 ? a : b).record("acme", "digits", "1", 200, 1, 10_000, 900); // (0.5, 1] ms
    }
    b.record("acme", "digits", "1", 200, 1, 10_000, 100_000); // (64, 128] ms
    b.record("acme", "digits", "1", 503, 0, 0, 100_000);
    a.record("acme", "digits", "1", 429, 0, 0, 10); // refused: not measured
    b.record("globex", "m", "1", 200, 1, 2_000_000, 5_000);
    a.flush();
    b.flush();
    clock.advance(Duration.ofMinutes(61)); // one minute more than an hour later: none of it is in the hour
    a.record("later", "m", "1", 200, 1, 1, 1);
    a.flush();

    PlatformOverview.Overview early = join(new PlatformOverview(readSide.tenants(), readSide.models(), usage, executor,
        new ManualClock(Instant.parse("2026-11-30T12:10:00Z"))).overview());
    assertThat(early.tenants()).isEqualTo(new PlatformOverview.Tenants(3, 2, 1));
    assertThat(early.models()).isEqualTo(new PlatformOverview.Models(3, Map.of("deployed", 2L, "not_deployed", 1L)));
    assertThat(early.lastHour().from()).isEqualTo(Instant.parse("2026-11-30T11:11:00Z"));
    assertThat(early.lastHour().to()).isEqualTo(Instant.parse("2026-11-30T12:11:00Z"));
    assertThat(early.lastHour().tenants()).extracting(PlatformOverview.TenantHour::tenant)
        .containsExactly("acme", "globex");
    PlatformOverview.TenantHour acme = early.lastHour().tenants().get(0);
    assertThat(acme.requests()).isEqualTo(101);
    assertThat(acme.errors()).isEqualTo(2);
    assertThat(acme.p50Ms()).isBetween(0.5, 1.0);
    assertThat(acme.p99Ms()).isBetween(64.0, 128.0);
    assertThat(acme.computeSeconds()).isEqualTo(0.99);
    assertThat(early.topByCompute()).containsExactly(new PlatformOverview.Compute("globex", 2.0),
        new PlatformOverview.Compute("acme", 0.99));

    PlatformOverview.Overview late = join(new PlatformOverview(readSide.tenants(), readSide.models(), usage, executor,
        clock).overview());
    assertThat(late.lastHour().tenants()).extracting(PlatformOverview.TenantHour::tenant).containsExactly("later");
  }
}
