package io.modelplane.inference.runtime;

/**
 * Chooses a model's libtorch intra-op threads from its measured forward time, for when neither the
 * deployment nor the node sets them. A short forward pass gains nothing from more threads: OpenMP's
 * fork and join cost about as much as the work, and idle workers spin on cores the HTTP path needs.
 * A long one is split over up to every core.
 */
public final class EngineThreadsPolicy {

  /** Forward passes (one item, one thread) shorter than this run on one thread. */
  public static final long PARALLEL_FROM_NANOS = 2_000_000;

  private EngineThreadsPolicy() {}

  /**
   * The threads for a model whose forward pass of one item took {@code forwardNanos} on one thread:
   * 1 below {@link #PARALLEL_FROM_NANOS}, above it one more per such slice of work, at most {@code cores}.
   */
  public static int choose(long forwardNanos, int cores) {
    if (cores < 1) {
      throw new IllegalArgumentException("cores must be positive, was " + cores);
    }
    if (forwardNanos < PARALLEL_FROM_NANOS) {
      return 1;
    }
    long slices = forwardNanos / PARALLEL_FROM_NANOS;
    return (int) Math.min(cores, Math.max(2, slices));
  }
}
