package io.modelplane.metering;

import io.modelplane.common.NamedThreads;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hot-path recorder of billable usage: in-memory counters per (tenant, model, version, UTC
 * minute, status), with a latency histogram of fixed {@link LatencyBuckets}, written to a {@link UsageStore} every flush interval as cumulative rows of
 * this meter's writer id.
 *
 * <p>Crash-loss bound: a crash loses at most what was recorded since the last successful flush
 * (at most one flush interval plus the time a flush takes); nothing older, because every flushed
 * minute is already in the database and a failed flush keeps its counts for the next one. The
 * writer id must be unique per process incarnation (e.g. node address + random UUID): rows are
 * overwritten per writer, so a restarted node must not reuse its previous life's id.
 */
public final class UsageMeter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UsageMeter.class);
  private static final long MINUTE_MS = 60_000L;
  private static final int STRIPES = 16;

  private record Key(String tenant, String model, String version, long minute, int status) {}

  /** Cumulative counts of one key; {@code dirty} is set after each change and cleared by the flush that reads them. */
  private static final class Counter {
    final LongAdder requests = new LongAdder();
    final LongAdder items = new LongAdder();
    final LongAdder computeMicros = new LongAdder();
    final LongAdder[] latency = new LongAdder[LatencyBuckets.COUNT];
    final AtomicBoolean dirty = new AtomicBoolean();

    Counter() {
      for (int i = 0; i < latency.length; i++) {
        latency[i] = new LongAdder();
      }
    }

    long[] latencySums() {
      long[] sums = new long[latency.length];
      for (int i = 0; i < sums.length; i++) {
        sums[i] = latency[i].sum();
      }
      return sums;
    }
  }

  private final UsageStore store;
  private final String writerId;
  private final Duration flushInterval;
  private final Clock clock;
  private final Map<Key, Counter> counters = new ConcurrentHashMap<>();
  // record() holds one stripe's read lock; eviction holds all write locks, so no record can add to
  // a counter being dropped, nor re-create a dropped minute from zero (which would overwrite its row)
  private final StampedLock[] stripes = new StampedLock[STRIPES];
  // minutes before this are closed; a late or clock-skewed record goes to this minute instead
  private volatile long openFromMinute = Long.MIN_VALUE;
  private final Object flushLock = new Object();
  private int failedFlushes; // guarded by flushLock
  private ScheduledExecutorService scheduler;
  private boolean closed;

  public UsageMeter(UsageStore store, String writerId, Duration flushInterval, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.writerId = requireWidth(writerId, 64, "writerId");
    if (flushInterval.isNegative() || flushInterval.isZero()) {
      throw new IllegalArgumentException("flushInterval must be positive");
    }
    this.flushInterval = flushInterval;
    this.clock = Objects.requireNonNull(clock, "clock");
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new StampedLock();
    }
  }

  /**
   * Counts one predict answer (success or error). {@code items} are the batch rows of the request,
   * {@code computeMicros} its share of model compute. O(1) and thread-safe; fails only on values
   * the table cannot hold, because one such row would make every later flush fail.
   */
  public void record(String tenant, String model, String version, int status, long items, long computeMicros) {
    record(tenant, model, version, status, items, computeMicros, -1);
  }

  /**
   * Counts one predict answer as {@link #record(String, String, String, int, long, long)} does, and its latency
   * ({@code latencyMicros}, end to end; negative: not measured) in the minute's latency buckets.
   */
  public void record(String tenant, String model, String version, int status, long items, long computeMicros,
      long latencyMicros) {
    requireWidth(tenant, 40, "tenant");
    requireWidth(model, 64, "model");
    requireWidth(version, 16, "version");
    StampedLock stripe = stripes[(int) Thread.currentThread().getId() & (STRIPES - 1)];
    long stamp = stripe.readLock();
    try {
      long minute = Math.max(Math.floorDiv(clock.millis(), MINUTE_MS) * MINUTE_MS, openFromMinute);
      Key key = new Key(tenant, model, version, minute, status);
      Counter c = counters.get(key);
      if (c == null) {
        c = counters.computeIfAbsent(key, k -> new Counter());
      }
      c.requests.increment();
      c.items.add(items);
      c.computeMicros.add(computeMicros);
      if (latencyMicros >= 0) {
        c.latency[LatencyBuckets.of(latencyMicros)].increment();
      }
      // after the adds: a flush that clears the flag before reading the sums either sees them or leaves it set
      if (!c.dirty.get()) {
        c.dirty.set(true);
      }
    } finally {
      stripe.unlockRead(stamp);
    }
  }

  /**
   * Writes the cumulative counters of every minute touched since the last successful flush. On
   * failure keeps them for the next try and returns 0; otherwise returns the number of rows
   * written, then drops the closed minutes that nothing touched since.
   */
  public int flush() {
    synchronized (flushLock) {
      List<Counter> taken = new ArrayList<>();
      List<MinuteCount> rows = new ArrayList<>();
      for (Map.Entry<Key, Counter> e : counters.entrySet()) {
        Counter c = e.getValue();
        if (c.dirty.getAndSet(false)) {
          Key k = e.getKey();
          taken.add(c);
          rows.add(new MinuteCount(k.tenant(), k.model(), k.version(), k.minute(), k.status(), writerId,
              c.requests.sum(), c.items.sum(), c.computeMicros.sum(), c.latencySums()));
        }
      }
      try {
        store.write(rows);
      } catch (SQLException | RuntimeException e) {
        taken.forEach(c -> c.dirty.set(true));
        failedFlushes++;
        log.warn("usage flush of {} rows failed (try {}), keeping them for the next: {}", rows.size(), failedFlushes,
            firstLine(e));
        log.debug("usage flush failure", e);
        return 0;
      }
      if (failedFlushes > 0) {
        log.info("usage flush recovered after {} failed tries", failedFlushes);
        failedFlushes = 0;
      }
      evictClosedMinutes();
      return rows.size();
    }
  }

  private void evictClosedMinutes() {
    long current = Math.floorDiv(clock.millis(), MINUTE_MS) * MINUTE_MS;
    // candidates are picked before the locks so that records wait only for the removals
    List<Map.Entry<Key, Counter>> candidates = new ArrayList<>();
    counters.entrySet().forEach(e -> {
      if (e.getKey().minute() < current) {
        candidates.add(e);
      }
    });
    long[] stamps = new long[STRIPES];
    for (int i = 0; i < STRIPES; i++) {
      stamps[i] = stripes[i].writeLock();
    }
    try {
      openFromMinute = Math.max(openFromMinute, current);
      for (Map.Entry<Key, Counter> e : candidates) {
        // a dirty counter has counts the database lacks: it stays until a flush writes them
        if (!e.getValue().dirty.get()) {
          counters.remove(e.getKey(), e.getValue());
        }
      }
    } finally {
      for (int i = 0; i < STRIPES; i++) {
        stripes[i].unlockWrite(stamps[i]);
      }
    }
  }

  /** Starts a daemon thread that flushes every flush interval. */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("usage meter is closed");
    }
    if (scheduler != null) {
      return;
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(NamedThreads.daemon("usage-meter-flush"));
    long ms = flushInterval.toMillis();
    // flush() never throws, so the schedule is never cancelled by an exception
    scheduler.scheduleWithFixedDelay(this::flush, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** Stops the scheduler and flushes one last time; counts that last flush cannot write are lost (and logged). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (scheduler != null) {
      scheduler.shutdown();
      try {
        scheduler.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (flushLock) {
      flush();
      if (failedFlushes > 0) {
        log.warn("usage meter {} closed with unwritten counts", writerId);
      }
    }
  }

  /**
   * Stops the scheduler without a last flush: for a node that is already gone (its actor system
   * terminated without a graceful shutdown), which keeps only what earlier flushes wrote, as a
   * crash would.
   */
  public synchronized void abandon() {
    closed = true;
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  /** Counters held in memory, for tests of eviction. */
  int countersInMemory() {
    return counters.size();
  }

  /** One short line: drivers put the whole SQL statement into their messages. */
  static String firstLine(Exception e) {
    String message = String.valueOf(e.getMessage());
    int end = message.indexOf('\n');
    String line = end < 0 ? message : message.substring(0, end);
    return e.getClass().getSimpleName() + ": " + (line.length() > 200 ? line.substring(0, 200) + "..." : line);
  }

  private static String requireWidth(String value, int max, String what) {
    if (value == null || value.length() > max) {
      throw new IllegalArgumentException(what + " must be a string of at most " + max + " characters");
    }
    return value;
  }
}
