package io.modelplane.metering;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.testing.ManualClock;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store on a real PostgreSQL: the same upsert and query semantics as on H2, and rows that outlive the store. */
class UsageStorePostgresTest {
  static final Instant T0 = Instant.parse("2025-03-10T10:00:00Z");
  static final Instant DAY_START = Instant.parse("2025-03-10T00:00:00Z");
  static final Instant DAY_END = Instant.parse("2025-03-11T00:00:00Z");
  static final long M0 = T0.toEpochMilli();
  static final long M1 = M0 + 60_000;

  static EmbeddedPostgres pg;
  static String url;
  UsageStore store;

  @BeforeAll
  static void startPostgres() throws Exception {
    pg = EmbeddedPostgres.builder().start();
    url = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres";
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    pg.close();
  }

  @BeforeEach
  void openStore() throws SQLException {
    store = UsageStore.open(url, "postgres", "postgres");
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE usage_minute");
      s.execute("TRUNCATE resident_minute");
    }
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void commitsAreSynchronousEvenWhereTheServerDefaultTurnedThemOff() throws Exception {
    assertThat(store.sessionSetting("synchronous_commit")).isEqualTo("on");
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("ALTER DATABASE postgres SET synchronous_commit = off");
    }
    try (UsageStore relaxed = UsageStore.open(url, "postgres", "postgres")) {
      assertThat(relaxed.sessionSetting("synchronous_commit")).isEqualTo("on");
    } finally {
      try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
        s.execute("ALTER DATABASE postgres RESET synchronous_commit");
      }
    }
  }

  static MinuteCount count(String model, long minute, int status, String writer, long requests) {
    return new MinuteCount("acme", model, "1", minute, status, writer, requests, requests * 2, requests * 1_000);
  }

  @Test
  void writingARowAgainOverwritesItInsteadOfAdding() throws SQLException {
    List<MinuteCount> flush = List.of(count("resnet", M0, 200, "a", 5), count("resnet", M0, 500, "a", 1));
    store.write(flush);
    store.write(flush); // a retried flush
    store.write(List.of(count("resnet", M0, 200, "a", 7))); // the cumulative count grew

    assertThat(store.query("acme", DAY_START, DAY_END, Step.MINUTE)).containsExactly(
        new UsageRow(T0, "resnet", "1", 8, 16, 1, 8.0, Map.of(200, 7L, 500, 1L)));
    assertThat(store.computeMicrosSince("acme", DAY_START)).isEqualTo(8_000);
  }

  @Test
  void queriesSumWritersAndStatusesPerStepInOrder() throws SQLException {
    store.write(List.of(
        count("resnet", M0, 200, "a", 3),
        count("resnet", M0, 200, "b", 4),
        count("resnet", M0, 404, "b", 1),
        count("bert", M1, 200, "a", 2),
        count("Zeta", M1, 200, "a", 1), // binary order puts it first; the API orders the same on both databases
        count("resnet", M1, 503, "a", 2),
        new MinuteCount("other", "resnet", "1", M0, 200, "a", 100, 100, 100)));

    assertThat(store.query("acme", DAY_START, DAY_END, Step.MINUTE)).containsExactly(
        new UsageRow(T0, "resnet", "1", 8, 16, 1, 8.0, Map.of(200, 7L, 404, 1L)),
        new UsageRow(T0.plusSeconds(60), "Zeta", "1", 1, 2, 0, 1.0, Map.of(200, 1L)),
        new UsageRow(T0.plusSeconds(60), "bert", "1", 2, 4, 0, 2.0, Map.of(200, 2L)),
        new UsageRow(T0.plusSeconds(60), "resnet", "1", 2, 4, 2, 2.0, Map.of(503, 2L)));
    assertThat(store.query("acme", DAY_START, DAY_END, Step.HOUR)).containsExactly(
        new UsageRow(T0, "Zeta", "1", 1, 2, 0, 1.0, Map.of(200, 1L)),
        new UsageRow(T0, "bert", "1", 2, 4, 0, 2.0, Map.of(200, 2L)),
        new UsageRow(T0, "resnet", "1", 10, 20, 3, 10.0, Map.of(200, 7L, 404, 1L, 503, 2L)));
    assertThat(store.query("acme", DAY_START, DAY_END, Step.DAY)).extracting(UsageRow::start)
        .containsOnly(DAY_START);
    assertThat(store.query("acme", T0, T0.plusSeconds(60), Step.DAY)).extracting(UsageRow::requests)
        .containsExactly(8L);
    assertThat(store.computeMicrosSince("acme", T0.plusSeconds(60))).isEqualTo(5_000);
    assertThat(store.computeMicrosSince("nobody", DAY_START)).isZero();
    assertThat(store.queryTenants(DAY_START, DAY_END, Step.HOUR)).containsExactly(
        new TenantUsageRow(T0, "acme", 13, 26, 3, 13.0, Map.of(200, 10L, 404, 1L, 503, 2L)),
        new TenantUsageRow(T0, "other", 100, 100, 0, 0.1, Map.of(200, 100L)));
  }

  @Test
  void rowsSurviveClosingTheStoreAndOpeningANewOne() throws SQLException {
    ManualClock clock = new ManualClock(T0.plusSeconds(1));
    UsageMeter meter = new UsageMeter(store, "node-a/1", Duration.ofSeconds(10), clock);
    meter.record("acme", "resnet", "1", 200, 4, 2_500);
    meter.record("acme", "resnet", "1", 429, 1, 0);
    meter.close();
    store.close();

    store = UsageStore.open(url, "postgres", "postgres"); // finds the table, does not recreate it
    assertThat(store.query("acme", DAY_START, DAY_END, Step.DAY)).containsExactly(
        new UsageRow(DAY_START, "resnet", "1", 2, 5, 1, 2.5, Map.of(200, 1L, 429, 1L)));
    assertThat(store.computeMicrosSince("acme", DAY_START)).isEqualTo(2_500);
  }

  @Test
  void latencyBucketsAndResidentSamplesUpsertAsOnH2() throws SQLException {
    long[] fast = new long[LatencyBuckets.COUNT];
    fast[2] = 3;
    long[] slow = new long[LatencyBuckets.COUNT];
    slow[9] = 1;
    store.write(List.of(new MinuteCount("acme", "m", "1", M0, 200, "a", 3, 3, 30, fast)));
    fast[2] = 5; // cumulative: the row grows, a rewrite does not add
    store.write(List.of(new MinuteCount("acme", "m", "1", M0, 200, "a", 5, 5, 50, fast),
        new MinuteCount("acme", "m", "1", M1, 200, "b", 1, 1, 10, slow),
        new MinuteCount("acme", "m", "1", M1, 404, "b", 1, 0, 0, slow)));
    store.write(List.of(new MinuteCount("acme", "m", "1", M0, 200, "a", 5, 5, 50, fast)));
    List<TenantActivity> activity = store.activity(T0, T0.plusSeconds(3600));
    assertThat(activity).hasSize(1);
    assertThat(activity.get(0).requests()).isEqualTo(7);
    assertThat(activity.get(0).errors()).isEqualTo(1);
    assertThat(activity.get(0).latency()[2]).isEqualTo(5);
    assertThat(activity.get(0).latency()[9]).isEqualTo(1); // the 404's is left out

    store.writeResident(M0, List.of(new ResidentSample("w1", "acme", "m", "1", 100)));
    store.writeResident(M0, List.of(new ResidentSample("w1", "acme", "m", "1", 300),
        new ResidentSample("w2", "acme", "m", "1", 7)));
    store.writeResident(M0, List.of(new ResidentSample("w1", "acme", "m", "1", 200)));
    store.writeResident(M1, List.of(new ResidentSample("w1", "acme", "m", "1", 100)));
    BillableUsage usage = store.billableUsage("acme", DAY_START, DAY_END).get("acme");
    assertThat(usage).isEqualTo(new BillableUsage("acme", 7, 1, 6, 60, 300 + 7 + 100));
    assertThat(store.billableUsage(null, DAY_START, DAY_END)).containsOnlyKeys("acme");
  }
}
