package io.modelplane.inference.runtime;

/** A model's batch queue is full: the caller should answer 503 with Retry-After and back off. */
public final class CapacityExceededException extends InferenceException {

  public CapacityExceededException(String message) {
    // thrown at overload, when every microsecond counts: no stack trace
    super(message, false);
  }
}
