package io.modelplane.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelplane.common.testing.ManualClock;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The usage tables' latency buckets and resident samples on a real (in-memory H2) store: merged across
 * writers, idempotent on rewrite, and what a month's bill and the last hour's overview read.
 */
class ResidentAndLatencyStoreTest {
  static final Instant T0 = Instant.parse("2025-03-10T10:00:00Z");
  static final long M0 = T0.toEpochMilli();
  static final long M1 = M0 + 60_000;
  static final Instant MONTH_START = Instant.parse("2025-03-01T00:00:00Z");
  static final Instant MONTH_END = Instant.parse("2025-04-01T00:00:00Z");

  String url;
  UsageStore store;
  ManualClock clock;
  ExecutorService blocking = Executors.newSingleThreadExecutor();

  @BeforeEach
  void open() {
    url = "jdbc:h2:mem:resident-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    store = UsageStore.open(url, "sa", "");
    clock = new ManualClock(T0.plusSeconds(20));
  }

  @AfterEach
  void close() throws SQLException {
    store.close();
    sql("SHUTDOWN");
    blocking.shutdownNow();
  }

  @Test
  void latenciesOfSeveralWritersMergeBucketByBucketAndClientErrorsAreLeftOut() throws SQLException {
    UsageMeter a = new UsageMeter(store, "node-a", Duration.ofSeconds(1), clock);
    UsageMeter b = new UsageMeter(store, "node-b", Duration.ofSeconds(1), clock);
    for (int i = 0; i < 90; i++) {
      a.record("acme", "digits", "1", 200, 1, 100, 800); // bucket 2: (0.5, 1] ms
    }
    for (int i = 0; i < 10; i++) {
      b.record("acme", "digits", "1", 200, 1, 100, 30_000); // bucket 7: (16, 32] ms
    }
    b.record("acme", "digits", "1", 504, 1, 0, 40_000_000); // a timeout: counts
    a.record("acme", "digits", "1", 429, 0, 0, 50); // refused as the caller's fault: no latency
    a.record("other", "m", "1", 200, 1, 5, 300);
    a.flush();
    b.flush();
    a.flush(); // again: cumulative rows overwrite

    List<TenantActivity> rows = store.activity(T0, T0.plus(Duration.ofHours(1)));
    assertThat(rows).extracting(TenantActivity::tenant).containsExactly("acme", "other");
    TenantActivity acme = rows.get(0);
    assertThat(acme.requests()).isEqualTo(102);
    assertThat(acme.errors()).isEqualTo(2);
    assertThat(acme.computeMicros()).isEqualTo(100 * 100);
    long[] latency = acme.latency();
    assertThat(latency[2]).isEqualTo(90);
    assertThat(latency[7]).isEqualTo(10);
    assertThat(latency[LatencyBuckets.of(40_000_000)]).isEqualTo(1);
    assertThat(java.util.Arrays.stream(latency).sum()).isEqualTo(101);
    assertThat(LatencyBuckets.quantileMillis(latency, 0.5)).isBetween(0.5, 1.0);
    assertThat(LatencyBuckets.quantileMillis(latency, 0.99)).isBetween(16.0, 32.0);
    assertThat(store.activity(T0.plus(Duration.ofHours(1)), T0.plus(Duration.ofHours(2)))).isEmpty();
  }

  @Test
  void residentSamplesKeepTheLargestPerWorkerAndMinuteAndNeverAdd() throws SQLException {
    ResidentSample small = new ResidentSample("w1", "acme", "digits", "1", 1_000);
    store.writeResident(M0, List.of(small, new ResidentSample("w2", "acme", "digits", "1", 500)));
    store.writeResident(M0, List.of(small)); // written again (a retry, or another node's sampler)
    store.writeResident(M0, List.of(new ResidentSample("w1", "acme", "digits", "1", 3_000)));
    store.writeResident(M0, List.of(new ResidentSample("w1", "acme", "digits", "1", 2_000)));
    store.writeResident(M1, List.of(small));

    BillableUsage acme = store.billableUsage("acme", MONTH_START, MONTH_END).get("acme");
    assertThat(acme.residentByteMinutes()).isEqualTo(3_000 + 500 + 1_000);
    assertThat(acme.requests()).isZero();
    assertThat(store.billableUsage("acme", MONTH_END, MONTH_END.plusSeconds(3600))).isEmpty();
    assertThatThrownBy(() -> store.writeResident(M0 + 1, List.of(small))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void billableUsageAddsEveryMinuteOfTheRangeOfEveryWriter() throws SQLException {
    store.write(List.of(
        new MinuteCount("acme", "digits", "1", M0, 200, "a", 10, 30, 5_000),
        new MinuteCount("acme", "digits", "1", M1, 200, "b", 5, 5, 1_000),
        new MinuteCount("acme", "digits", "1", M1, 422, "b", 2, 0, 0),
        new MinuteCount("acme", "digits", "1", MONTH_END.toEpochMilli(), 200, "b", 99, 99, 99),
        new MinuteCount("zeta", "x", "2", M0, 200, "a", 1, 1, 1)));
    store.writeResident(M1, List.of(new ResidentSample("w1", "beta", "m", "1", 7)));

    Map<String, BillableUsage> all = store.billableUsage(null, MONTH_START, MONTH_END);
    assertThat(all.keySet()).containsExactly("acme", "beta", "zeta");
    assertThat(all.get("acme")).isEqualTo(new BillableUsage("acme", 17, 2, 35, 6_000, 0));
    assertThat(all.get("beta")).isEqualTo(new BillableUsage("beta", 0, 0, 0, 0, 7));
    assertThat(store.billableUsage("zeta", MONTH_START, MONTH_END)).containsOnlyKeys("zeta");
  }

  @Test
  void anOldTableWithoutLatencyColumnsGainsThemAndKeepsItsRows() throws SQLException {
    String oldUrl = "jdbc:h2:mem:old-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    try (Connection c = DriverManager.getConnection(oldUrl, "sa", ""); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE usage_minute (tenant VARCHAR(40) NOT NULL, model VARCHAR(64) NOT NULL, "
          + "version VARCHAR(16) NOT NULL, minute_start BIGINT NOT NULL, status INT NOT NULL, writer VARCHAR(64) NOT NULL, "
          + "requests BIGINT NOT NULL, items BIGINT NOT NULL, compute_micros BIGINT NOT NULL, "
          + "PRIMARY KEY (tenant, minute_start, model, version, status, writer))");
      s.execute("INSERT INTO usage_minute VALUES ('acme', 'm', '1', " + M0 + ", 200, 'a', 4, 4, 40)");
    }
    try (UsageStore upgraded = UsageStore.open(oldUrl, "sa", "")) {
      upgraded.write(List.of(new MinuteCount("acme", "m", "1", M1, 200, "a", 1, 1, 10, latencyAt(3))));
      assertThat(upgraded.billableUsage("acme", MONTH_START, MONTH_END).get("acme").requests()).isEqualTo(5);
      assertThat(upgraded.activity(T0, T0.plus(Duration.ofHours(1))).get(0).latency()[3]).isEqualTo(1);
    }
    try (Connection c = DriverManager.getConnection(oldUrl, "sa", ""); Statement s = c.createStatement()) {
      s.execute("SHUTDOWN");
    }
  }

  @Test
  void theSamplerWritesEachMinuteAndKeepsSamplesAFailedWriteCouldNotStore() throws Exception {
    AtomicReference<List<ResidentSample>> resident =
        new AtomicReference<>(List.of(new ResidentSample("w1", "acme", "digits", "1", 1_000)));
    ResidentSampler sampler = new ResidentSampler(store,
        () -> CompletableFuture.completedFuture(resident.get()), blocking, clock);
    assertThat(sampler.sample().toCompletableFuture().get()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(30)); // the same minute: no second row
    assertThat(sampler.sample().toCompletableFuture().get()).isEqualTo(1);

    sql("ALTER TABLE resident_minute RENAME TO resident_parked"); // the database "goes away"
    clock.advance(Duration.ofSeconds(30));
    assertThat(sampler.sample().toCompletableFuture().get()).isZero();
    clock.advance(Duration.ofSeconds(60));
    resident.set(List.of(new ResidentSample("w1", "acme", "digits", "1", 2_000)));
    assertThat(sampler.sample().toCompletableFuture().get()).isZero();
    assertThat(sampler.pendingMinutes()).isEqualTo(2);
    sql("ALTER TABLE resident_parked RENAME TO resident_minute");

    clock.advance(Duration.ofSeconds(60));
    assertThat(sampler.sample().toCompletableFuture().get()).isEqualTo(3); // two kept minutes and this one
    assertThat(sampler.pendingMinutes()).isZero();
    assertThat(store.billableUsage("acme", MONTH_START, MONTH_END).get("acme").residentByteMinutes())
        .isEqualTo(1_000 + 1_000 + 2_000 + 2_000);
  }

  @Test
  void aSampleThatFailsWritesNothingNewAndTheSamplerCarriesOn() throws Exception {
    AtomicReference<RuntimeException> failure = new AtomicReference<>(new IllegalStateException("no receptionist"));
    ResidentSampler sampler = new ResidentSampler(store, () -> {
      if (failure.get() != null) {
        throw failure.get();
      }
      return CompletableFuture.completedFuture(List.of(new ResidentSample("w1", "acme", "digits", "1", 10)));
    }, blocking, clock);
    assertThat(sampler.sample().toCompletableFuture().get()).isZero();
    failure.set(null);
    assertThat(sampler.sample().toCompletableFuture().get()).isEqualTo(1);
    assertThat(store.billableUsage("acme", MONTH_START, MONTH_END).get("acme").residentByteMinutes()).isEqualTo(10);
  }

  static long[] latencyAt(int bucket) {
    long[] latency = new long[LatencyBuckets.COUNT];
    latency[bucket] = 1;
    return latency;
  }

  private void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }
}
