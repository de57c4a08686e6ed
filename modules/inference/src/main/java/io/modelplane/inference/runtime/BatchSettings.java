package io.modelplane.inference.runtime;

/**
 * How one model version batches: at most {@code maxBatchSize} rows per forward pass, waiting at most
 * {@code maxBatchDelayMs} after the first request for more (0: take only what is already queued), and
 * at most {@code queueCapacity} requests waiting before new ones are refused.
 */
public record BatchSettings(int maxBatchSize, int maxBatchDelayMs, int queueCapacity) {

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
  }
}
