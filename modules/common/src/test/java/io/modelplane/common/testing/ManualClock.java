package io.modelplane.common.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A UTC clock that stands still until a test moves it, so timestamps and timeouts can be asserted exactly. */
public final class ManualClock extends Clock {
  private volatile Instant now;

  public ManualClock(Instant start) {
    this.now = start;
  }

  /** Puts the clock at {@code to}, also backwards (a clock stepped back by NTP). */
  public void set(Instant to) {
    now = to;
  }

  /** Moves the clock on; returns the new time. */
  public Instant advance(Duration by) {
    now = now.plus(by);
    return now;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
