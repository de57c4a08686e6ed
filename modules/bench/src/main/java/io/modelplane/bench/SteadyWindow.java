package io.modelplane.bench;

import java.time.Duration;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * The window a closed-loop phase is measured over: it opens once the clients have run for a ramp-up (the
 * server's queue and passes filled) and closes while they still run, so neither the start nor the drain at the
 * end, when fewer calls are in flight, counts against the server. A call counts by when its answer came.
 */
final class SteadyWindow {
  private final long opens;
  private final long closes;
  private final DoubleAdder answered = new DoubleAdder();

  /** Opens a ramp-up (a fifth of {@code duration}, at most 2 s) from now and lasts {@code duration}. */
  SteadyWindow(Duration duration) {
    this.opens = System.nanoTime() + Math.min(Duration.ofSeconds(2).toNanos(), duration.toNanos() / 5);
    this.closes = opens + duration.toNanos();
  }

  /** Whether clients should go on calling: until the window closes. */
  boolean running() {
    return System.nanoTime() - closes < 0;
  }

  /** A successful answer that came at {@code nanoTime}; it counts if the window held it. */
  void answered(long nanoTime) {
    if (nanoTime - opens >= 0 && nanoTime - closes < 0) {
      answered.add(1);
    }
  }

  /**
   * A forward pass of {@code items} items from {@code started} to {@code ended}: the share of its items the window
   * held, as the share of its time did (a pass lasts long against the window, a count by its end would jump).
   */
  void answered(long started, long ended, long items) {
    long from = Math.max(started, opens);
    long to = Math.min(ended, closes);
    if (to > from && ended > started) {
      answered.add(items * (double) (to - from) / (ended - started));
    }
  }

  /** Answers (items, for passes) the window held, to the nearest whole one. */
  long count() {
    return Math.round(answered.sum());
  }

  double seconds() {
    return (closes - opens) / 1e9;
  }
}
