package io.modelplane.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.modelplane.common.testing.ManualClock;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The meter against a real (in-memory H2) store: what a tenant is billed for after flushes, failures and crashes. */
class UsageMeterTest {
  static final Instant T0 = Instant.parse("2025-03-10T10:00:00Z");
  static final Instant DAY_START = Instant.parse("2025-03-10T00:00:00Z");
  static final Instant DAY_END = Instant.parse("2025-03-11T00:00:00Z");
  static final Duration FLUSH = Duration.ofSeconds(10);

  String url;
  UsageStore store;
  ManualClock clock;

  @BeforeEach
  void openStore() {
    url = "jdbc:h2:mem:usage-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    store = UsageStore.open(url, "sa", "");
    clock = new ManualClock(T0.plusSeconds(5));
  }

  @AfterEach
  void dropDatabase() throws SQLException {
    store.close();
    sql("SHUTDOWN");
  }

  UsageMeter meter(String writer) {
    return new UsageMeter(store, writer, FLUSH, clock);
  }

  @Test
  void recordsOfTwoMinutesAndSeveralStatusesAddUpPerStep() throws SQLException {
    UsageMeter meter = meter("node-a");
    for (int i = 0; i < 3; i++) {
      meter.record("acme", "resnet", "1", 200, 2, 1_500);
    }
    meter.record("acme", "resnet", "1", 429, 1, 0);
    meter.record("acme", "resnet", "2", 200, 8, 4_000);
    meter.record("other", "resnet", "1", 200, 1, 1_000);
    clock.advance(Duration.ofMinutes(1));
    meter.record("acme", "resnet", "1", 500, 4, 250);
    meter.record("acme", "resnet", "1", 500, 4, 250);
    meter.record("acme", "resnet", "1", 200, 1, 1_000);

    assertThat(meter.flush()).isEqualTo(6);

    assertThat(store.query("acme", DAY_START, DAY_END, Step.MINUTE)).containsExactly(
        new UsageRow(T0, "resnet", "1", 4, 7, 1, 4.5, Map.of(200, 3L, 429, 1L)),
        new UsageRow(T0, "resnet", "2", 1, 8, 0, 4.0, Map.of(200, 1L)),
        new UsageRow(T0.plusSeconds(60), "resnet", "1", 3, 9, 2, 1.5, Map.of(200, 1L, 500, 2L)));
    assertThat(store.query("acme", DAY_START, DAY_END, Step.HOUR)).containsExactly(
        new UsageRow(T0, "resnet", "1", 7, 16, 3, 6.0, Map.of(200, 4L, 429, 1L, 500, 2L)),
        new UsageRow(T0, "resnet", "2", 1, 8, 0, 4.0, Map.of(200, 1L)));
    assertThat(store.query("acme", DAY_START, DAY_END, Step.DAY)).containsExactly(
        new UsageRow(DAY_START, "resnet", "1", 7, 16, 3, 6.0, Map.of(200, 4L, 429, 1L, 500, 2L)),
        new UsageRow(DAY_START, "resnet", "2", 1, 8, 0, 4.0, Map.of(200, 1L)));
    // [from, to): the second minute is outside
    assertThat(store.query("acme", T0, T0.plusSeconds(60), Step.MINUTE)).extracting(UsageRow::requests)
        .containsExactly(4L, 1L);
    assertThat(store.computeMicrosSince("acme", DAY_START)).isEqualTo(10_000);
    assertThat(store.computeMicrosSince("acme", T0.plusSeconds(60))).isEqualTo(1_500);
    assertThat(store.computeMicrosSince("nobody", DAY_START)).isZero();

    // the platform's view: per tenant, over all its models and versions
    assertThat(store.queryTenants(DAY_START, DAY_END, Step.DAY)).containsExactly(
        new TenantUsageRow(DAY_START, "acme", 8, 24, 3, 10.0, Map.of(200, 5L, 429, 1L, 500, 2L)),
        new TenantUsageRow(DAY_START, "other", 1, 1, 0, 1.0, Map.of(200, 1L)));
    assertThat(store.queryTenants(DAY_START, DAY_END, Step.MINUTE)).extracting(TenantUsageRow::start,
        TenantUsageRow::tenant, TenantUsageRow::requests).containsExactly(
        tuple(T0, "acme", 5L), tuple(T0, "other", 1L), tuple(T0.plusSeconds(60), "acme", 3L));
    assertThat(store.queryTenants(T0.plusSeconds(120), DAY_END, Step.HOUR)).isEmpty();
  }

  @Test
  void statusesAreSortedByStatus() throws SQLException {
    UsageMeter meter = meter("node-a");
    for (int status : new int[] {503, 200, 404, 201}) {
      meter.record("acme", "resnet", "1", status, 1, 1);
    }
    meter.flush();
    assertThat(store.query("acme", DAY_START, DAY_END, Step.DAY).get(0).statuses().keySet())
        .containsExactly(200, 201, 404, 503);
  }

  @Test
  void flushingAgainWithoutNewRecordsDoesNotDoubleCount() throws SQLException {
    UsageMeter meter = meter("node-a");
    meter.record("acme", "resnet", "1", 200, 3, 100);
    assertThat(meter.flush()).isEqualTo(1);
    assertThat(meter.flush()).isZero();
    meter.record("acme", "resnet", "1", 200, 3, 100);
    // the same row again, now with the cumulative count: overwritten, not added
    assertThat(meter.flush()).isEqualTo(1);
    assertThat(meter.flush()).isZero();

    assertThat(single("acme").requests()).isEqualTo(2);
    assertThat(single("acme").items()).isEqualTo(6);
    assertThat(store.computeMicrosSince("acme", DAY_START)).isEqualTo(200);
  }

  @Test
  void aFailedFlushKeepsTheCountsForTheNextOne() throws SQLException {
    UsageMeter meter = meter("node-a");
    meter.record("acme", "resnet", "1", 200, 1, 10);
    assertThat(meter.flush()).isEqualTo(1);

    meter.record("acme", "resnet", "1", 200, 1, 10);
    meter.record("acme", "resnet", "1", 500, 1, 10);
    sql("ALTER TABLE usage_minute RENAME TO usage_parked"); // the database "goes away"
    assertThat(meter.flush()).isZero();
    assertThat(meter.flush()).isZero();
    meter.record("acme", "resnet", "1", 200, 1, 10);
    sql("ALTER TABLE usage_parked RENAME TO usage_minute");

    assertThat(meter.flush()).isEqualTo(2);
    UsageRow row = single("acme");
    assertThat(row.requests()).isEqualTo(4);
    assertThat(row.statuses()).containsExactly(Map.entry(200, 3L), Map.entry(500, 1L));
    assertThat(meter.flush()).isZero();
  }

  @Test
  void aFlushOnAClosedStoreFailsWithoutDroppingTheCounts() {
    UsageMeter meter = meter("node-a");
    meter.record("acme", "resnet", "1", 200, 1, 10);
    clock.advance(Duration.ofMinutes(1)); // the minute is closed: only a successful flush may drop it
    store.close();
    assertThat(meter.flush()).isZero();
    assertThat(meter.countersInMemory()).isEqualTo(1);
  }

  @Test
  void twoWritersOnTheSameMinuteAreSummed() throws SQLException {
    UsageMeter a = meter("node-a");
    UsageMeter b = meter("node-b");
    a.record("acme", "resnet", "1", 200, 1, 100);
    a.record("acme", "resnet", "1", 200, 1, 100);
    b.record("acme", "resnet", "1", 200, 5, 700);
    a.flush();
    b.flush();
    a.flush();

    UsageRow row = single("acme");
    assertThat(row.requests()).isEqualTo(3);
    assertThat(row.items()).isEqualTo(7);
    assertThat(row.computeMillis()).isEqualTo(0.9);
  }

  @Test
  void aCrashLosesOnlyWhatCameAfterTheLastFlushAndTheNextLifeAddsToIt() throws SQLException {
    UsageMeter firstLife = meter("node-a/" + UUID.randomUUID());
    firstLife.record("acme", "resnet", "1", 200, 1, 100);
    firstLife.record("acme", "resnet", "1", 200, 1, 100);
    firstLife.flush();
    firstLife.record("acme", "resnet", "1", 200, 1, 100); // lost: the process dies before the next flush

    clock.advance(Duration.ofSeconds(20));
    UsageMeter secondLife = meter("node-a/" + UUID.randomUUID());
    secondLife.record("acme", "resnet", "1", 200, 1, 100);
    secondLife.flush();

    UsageRow row = single("acme");
    assertThat(row.requests()).isEqualTo(3);
    assertThat(store.computeMicrosSince("acme", DAY_START)).isEqualTo(300);
  }

  @Test
  void concurrentRecordsAreAllCountedWhileFlushesAndMinutesGoBy() throws Exception {
    // every clock read moves time on, so minutes also end in the middle of a flush
    Clock ticking = new Clock() {
      final AtomicLong millis = new AtomicLong(T0.toEpochMilli());

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(millis.addAndGet(25));
      }

      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
      }
    };
    UsageMeter meter = new UsageMeter(store, "node-a", FLUSH, ticking);
    int threads = 4;
    int calls = 10_000;
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch flushedOnce = new CountDownLatch(1); // so at least one flush lands mid-recording
    List<Thread> recorders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int status = t % 2 == 0 ? 200 : 503;
      Thread thread = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < calls; i++) {
          if (i == calls / 2) {
            try {
              flushedOnce.await();
            } catch (InterruptedException e) {
              return;
            }
          }
          meter.record("acme", "resnet", "1", status, 2, 3);
        }
      });
      thread.start();
      recorders.add(thread);
    }
    go.countDown();
    // flushes and minute boundaries race with the recorders: nothing may be lost or counted twice
    int flushes = 0;
    while (recorders.stream().anyMatch(Thread::isAlive)) {
      meter.flush();
      flushes++;
      flushedOnce.countDown();
    }
    for (Thread thread : recorders) {
      thread.join();
    }
    meter.flush();

    assertThat(flushes).isPositive();
    assertThat(store.query("acme", DAY_START, DAY_END, Step.MINUTE)).hasSizeGreaterThan(2);
    UsageRow day = single("acme");
    assertThat(day.requests()).isEqualTo(threads * calls);
    assertThat(day.items()).isEqualTo(2L * threads * calls);
    assertThat(day.errors()).isEqualTo(2L * calls);
    assertThat(store.computeMicrosSince("acme", DAY_START)).isEqualTo(3L * threads * calls);
  }

  @Test
  void closedMinutesLeaveMemoryOnceFlushedAndTheCurrentOneStays() throws SQLException {
    UsageMeter meter = meter("node-a");
    meter.record("acme", "resnet", "1", 200, 1, 1);
    meter.record("acme", "resnet", "1", 404, 1, 1);
    clock.advance(Duration.ofMinutes(1));
    meter.record("acme", "resnet", "1", 200, 1, 1);
    assertThat(meter.countersInMemory()).isEqualTo(3);

    assertThat(meter.flush()).isEqualTo(3);
    assertThat(meter.countersInMemory()).isEqualTo(1);

    // the current minute stays cumulative: a later record overwrites its row with the total
    meter.record("acme", "resnet", "1", 200, 1, 1);
    clock.advance(Duration.ofMinutes(1));
    assertThat(meter.flush()).isEqualTo(1);
    assertThat(meter.countersInMemory()).isZero();
    assertThat(store.query("acme", DAY_START, DAY_END, Step.MINUTE)).extracting(UsageRow::requests)
        .containsExactly(2L, 2L);
  }

  @Test
  void aClosedMinuteIsKeptWhileItsFlushFails() throws SQLException {
    UsageMeter meter = meter("node-a");
    meter.record("acme", "resnet", "1", 200, 1, 1);
    clock.advance(Duration.ofMinutes(1));
    sql("ALTER TABLE usage_minute RENAME TO usage_parked");
    assertThat(meter.flush()).isZero();
    assertThat(meter.countersInMemory()).isEqualTo(1);
    sql("ALTER TABLE usage_parked RENAME TO usage_minute");
    assertThat(meter.flush()).isEqualTo(1);
    assertThat(meter.countersInMemory()).isZero();
    assertThat(single("acme").requests()).isEqualTo(1);
  }

  @Test
  void aLateRecordForAnEvictedMinuteGoesToTheOpenMinuteInsteadOfOverwritingTheOldRow() throws SQLException {
    UsageMeter meter = meter("node-a");
    meter.record("acme", "resnet", "1", 200, 1, 1);
    meter.record("acme", "resnet", "1", 200, 1, 1);
    clock.advance(Duration.ofMinutes(1));
    meter.flush();

    clock.set(T0.plusSeconds(30)); // the clock steps back into the evicted minute
    meter.record("acme", "resnet", "1", 200, 1, 1);
    meter.flush();

    assertThat(store.query("acme", DAY_START, DAY_END, Step.MINUTE))
        .extracting(UsageRow::start, UsageRow::requests)
        .containsExactly(tuple(T0, 2L),
            tuple(T0.plusSeconds(60), 1L));
  }

  @Test
  void closeFlushesOneLastTime() throws SQLException {
    UsageMeter meter = meter("node-a");
    meter.start();
    meter.record("acme", "resnet", "1", 200, 1, 1);
    meter.close();
    assertThat(single("acme").requests()).isEqualTo(1);
    assertThatThrownBy(meter::start).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void valuesTheTableCannotHoldAreRefusedAtRecordTimeNotAtEveryFlush() throws SQLException {
    UsageMeter meter = meter("node-a");
    assertThatThrownBy(() -> meter.record("t".repeat(41), "resnet", "1", 200, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> meter.record("acme", "resnet", "v".repeat(17), 200, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    meter.record("acme", "resnet", "1", 200, 1, 1);
    assertThat(meter.flush()).isEqualTo(1);
  }

  @Test
  void stepParsesTheApiSpellingsOnly() {
    assertThat(Step.parse("minute")).isEqualTo(Step.MINUTE);
    assertThat(Step.parse("hour")).isEqualTo(Step.HOUR);
    assertThat(Step.parse("day")).isEqualTo(Step.DAY);
    assertThatThrownBy(() -> Step.parse("week")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Step.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  private UsageRow single(String tenant) throws SQLException {
    List<UsageRow> rows = store.query(tenant, DAY_START, DAY_END, Step.DAY);
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  private void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }
}
