package io.modelplane.tenancy.admission;

/**
 * The request-rate policy of a tenant's quota: tokens refill at {@code ratePerSecond} up to
 * {@code capacity} (the burst); each admitted request takes one. Time is passed in (nanoseconds
 * from any fixed origin), so the policy is a pure function of its inputs and tests need no sleeps.
 */
public final class TokenBucket {

  /**
   * @param admitted whether the request may go
   * @param remaining whole tokens left after this decision
   * @param retryAfterNanos when refused: how long until one token is there; 0 when admitted
   * @param resetNanos how long until the bucket is full again
   */
  public record Decision(boolean admitted, long remaining, long retryAfterNanos, long resetNanos) {}

  private double ratePerSecond;
  private double capacity;
  private double tokens;
  private long lastNanos;

  /** A full bucket. {@code capacity} below 1 is raised to 1: a positive rate must admit something. */
  public TokenBucket(double ratePerSecond, double capacity, long nowNanos) {
    check(ratePerSecond);
    this.ratePerSecond = ratePerSecond;
    this.capacity = Math.max(1, capacity);
    this.tokens = this.capacity;
    this.lastNanos = nowNanos;
  }

  public synchronized Decision tryAcquire(long nowNanos) {
    refill(nowNanos);
    if (tokens >= 1) {
      tokens -= 1;
      return new Decision(true, (long) Math.floor(tokens), 0, nanosToFull());
    }
    long retryAfter = (long) Math.ceil((1 - tokens) / ratePerSecond * 1e9);
    return new Decision(false, 0, retryAfter, nanosToFull());
  }

  /**
   * Gives back {@code returned} unused tokens (up to the capacity), then takes up to {@code wanted}
   * whole tokens: what a lease of tokens to a gateway node uses.
   *
   * @return the tokens taken, 0 to {@code wanted}
   */
  public synchronized int take(int wanted, int returned, long nowNanos) {
    refill(nowNanos);
    tokens = Math.min(capacity, tokens + Math.max(0, returned));
    int taken = (int) Math.min(Math.max(0, wanted), Math.floor(tokens));
    tokens -= taken;
    return taken;
  }

  /** How long until the bucket holds {@code count} tokens (0 if it does now). */
  public synchronized long nanosUntil(double count, long nowNanos) {
    refill(nowNanos);
    return tokens >= count ? 0 : (long) Math.ceil((count - tokens) / ratePerSecond * 1e9);
  }

  public synchronized long nanosUntilFull(long nowNanos) {
    refill(nowNanos);
    return nanosToFull();
  }

  /** New limits, effective at once; tokens already earned are kept up to the new capacity. */
  public synchronized void reconfigure(double ratePerSecond, double capacity, long nowNanos) {
    check(ratePerSecond);
    refill(nowNanos);
    this.ratePerSecond = ratePerSecond;
    this.capacity = Math.max(1, capacity);
    this.tokens = Math.min(tokens, this.capacity);
  }

  public synchronized double tokens(long nowNanos) {
    refill(nowNanos);
    return tokens;
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - lastNanos;
    if (elapsed > 0) {
      tokens = Math.min(capacity, tokens + elapsed / 1e9 * ratePerSecond);
      lastNanos = nowNanos;
    }
  }

  private long nanosToFull() {
    return (long) Math.ceil((capacity - tokens) / ratePerSecond * 1e9);
  }

  private static void check(double ratePerSecond) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("ratePerSecond must be a positive number, was " + ratePerSecond);
    }
  }
}
