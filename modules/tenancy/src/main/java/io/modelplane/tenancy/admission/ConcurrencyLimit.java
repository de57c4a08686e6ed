package io.modelplane.tenancy.admission;

/** The in-flight policy of a tenant's quota: at most {@code limit} requests at once. */
public final class ConcurrencyLimit {
  private int limit;
  private int inFlight;

  public ConcurrencyLimit(int limit) {
    check(limit);
    this.limit = limit;
  }

  /** Takes a slot if one is free; every true must be paired with one {@link #release()}. */
  public synchronized boolean tryAcquire() {
    if (inFlight >= limit) {
      return false;
    }
    inFlight++;
    return true;
  }

  public synchronized void release() {
    if (inFlight == 0) {
      throw new IllegalStateException("release without a matching acquire");
    }
    inFlight--;
  }

  /** A new limit: requests in flight keep running; new ones wait for the count to fall below it. */
  public synchronized void reconfigure(int limit) {
    check(limit);
    this.limit = limit;
  }

  public synchronized int inFlight() {
    return inFlight;
  }

  public synchronized int limit() {
    return limit;
  }

  private static void check(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
  }
}
