package io.modelplane.common.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Polling for tests on a noisy machine: a deadline, never a fixed sleep. */
public final class Eventually {

  private Eventually() {}

  /**
   * Waits until {@code condition} holds, checking every 100 ms; a check that throws counts as not yet.
   * Fails after {@code timeout}, with the last check's failure attached.
   */
  public static void eventually(Duration timeout, BooleanSupplier condition, String what) {
    Instant deadline = Instant.now().plus(timeout);
    Throwable last = null;
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException | AssertionError e) {
        last = e;
      }
      if (Instant.now().isAfter(deadline)) {
        AssertionError failed = new AssertionError(what + ": not within " + timeout);
        if (last != null) {
          failed.addSuppressed(last);
        }
        throw failed;
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }
}
