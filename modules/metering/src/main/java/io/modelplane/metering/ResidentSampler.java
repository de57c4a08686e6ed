package io.modelplane.metering;

import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples the bytes every worker keeps resident per (tenant, model, version) into {@code resident_minute},
 * stamped with the UTC minute the sample was taken in. Run it more often than once a minute (so no minute
 * is skipped); a minute's row keeps its largest sample.
 *
 * <p>Crash and failure bounds: a write that fails keeps its samples for the next one (up to
 * {@link #MAX_PENDING_MINUTES} minutes, then the oldest are dropped and logged); a crash loses only the
 * samples not written yet, at most the minute in progress when another sampler covers it. Writing a sample
 * twice, or two samplers writing the same worker's minute, never adds: the row is per worker and minute.
 */
public final class ResidentSampler {
  /** Failed minutes kept for the next write: an hour of a database outage. */
  public static final int MAX_PENDING_MINUTES = 60;
  private static final Logger log = LoggerFactory.getLogger(ResidentSampler.class);
  private static final long MINUTE_MS = 60_000L;

  /** Where samples come from: the resident versions of every worker that answered. */
  @FunctionalInterface
  public interface Source {
    CompletionStage<List<ResidentSample>> sample();
  }

  private final UsageStore store;
  private final Source source;
  private final Executor blocking;
  private final Clock clock;
  private final AtomicBoolean running = new AtomicBoolean();
  private final Map<Long, List<ResidentSample>> pending = new TreeMap<>(); // guarded by this

  /** {@code blocking}: where the database writes run. */
  public ResidentSampler(UsageStore store, Source source, Executor blocking, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.source = Objects.requireNonNull(source, "source");
    this.blocking = Objects.requireNonNull(blocking, "blocking");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Takes one sample and writes it with the samples earlier writes failed to; completes with the rows
   * written (0 when the write failed, or when a sample is still running). Never completes exceptionally.
   */
  public CompletionStage<Integer> sample() {
    if (!running.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(0);
    }
    long minute = Math.floorDiv(clock.millis(), MINUTE_MS) * MINUTE_MS;
    CompletionStage<List<ResidentSample>> taken;
    try {
      taken = source.sample();
    } catch (RuntimeException e) {
      taken = CompletableFuture.failedFuture(e);
    }
    return taken.handleAsync((samples, failure) -> {
      try {
        if (failure != null) {
          log.warn("resident sample failed, writing only earlier samples: {}", failure.toString());
        }
        return write(minute, failure == null ? samples : List.of());
      } finally {
        running.set(false);
      }
    }, blocking);
  }

  private synchronized int write(long minute, List<ResidentSample> samples) {
    if (!samples.isEmpty()) {
      pending.computeIfAbsent(minute, m -> new ArrayList<>()).addAll(samples);
    }
    int rows = 0;
    List<Long> written = new ArrayList<>();
    try {
      for (Map.Entry<Long, List<ResidentSample>> e : pending.entrySet()) {
        store.writeResident(e.getKey(), e.getValue());
        rows += e.getValue().size();
        written.add(e.getKey());
      }
    } catch (SQLException | RuntimeException e) {
      log.warn("resident samples of {} minutes not written, kept for the next sample: {}",
          pending.size() - written.size(), UsageMeter.firstLine(e));
      written.forEach(pending::remove);
      while (pending.size() > MAX_PENDING_MINUTES) {
        long dropped = pending.keySet().iterator().next();
        pending.remove(dropped);
        log.warn("resident samples of minute {} dropped unwritten", dropped);
      }
      return 0;
    }
    written.forEach(pending::remove);
    return rows;
  }

  /** Minutes whose samples wait for a write, for tests. */
  synchronized int pendingMinutes() {
    return pending.size();
  }
}
