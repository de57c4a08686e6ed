package io.modelplane.inference.runtime;

/**
 * How one model version runs its batches: at most {@code maxBatchSize} rows per forward pass, waiting
 * at most {@code maxBatchDelayMs} after the first request for more (0: take only what is already
 * queued), at most {@code queueCapacity} requests waiting before new ones are refused, and
 * {@code engineThreads} intra-op threads per forward pass on a CPU (0: one per core; null: the
 * worker's default).
 */
public record BatchSettings(int maxBatchSize, int maxBatchDelayMs, int queueCapacity, Integer engineThreads) {

  /** With the worker's default engine threads. */
  public BatchSettings(int maxBatchSize, int maxBatchDelayMs, int queueCapacity) {
    this(maxBatchSize, maxBatchDelayMs, queueCapacity, null);
  }

  public BatchSettings {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be at least 1, was " + maxBatchSize);
    }
    if (maxBatchDelayMs < 0) {
      throw new IllegalArgumentException("maxBatchDelayMs must not be negative, was " + maxBatchDelayMs);
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be at least 1, was " + queueCapacity);
    }
    if (engineThreads != null && engineThreads < 0) {
      throw new IllegalArgumentException("engineThreads must not be negative, was " + engineThreads);
    }
  }
}
