package io.modelplane.inference.gateway;

/**
 * Why a predict call got no prediction. {@code retryAfterSeconds}: when the caller may try again
 * (null: no hint). {@code cause}: the input's fault for {@link Code#INVALID_INPUT} (an
 * {@link io.modelplane.inference.runtime.InvalidInputException}), the edge's own failure for
 * {@link Code#REQUEST_FAILED}; otherwise null.
 */
public record PredictFailure(Code code, String message, Integer retryAfterSeconds, Throwable cause) {

  public PredictFailure(Code code, String message) {
    this(code, message, null, null);
  }

  /** The outcomes of a predict call that produced no prediction. */
  public enum Code {
    /** admission: the tenant's request rate */
    RATE_LIMITED,
    /** admission: the tenant's requests in flight */
    CONCURRENCY_LIMITED,
    /** admission: the tenant's monthly compute budget */
    BUDGET_EXHAUSTED,
    MODEL_NOT_FOUND,
    MODEL_NOT_DEPLOYED,
    VERSION_NOT_FOUND,
    VERSION_NOT_DEPLOYED,
    /** the tenant's resident-bytes quota leaves no room for a replica of the version */
    QUOTA_EXCEEDED,
    /** every replica of the version failed to load */
    MODEL_FAILED,
    /** no replica became ready within the cold-start timeout */
    MODEL_LOADING,
    /** the replica's queue is full */
    CAPACITY_EXCEEDED,
    /** the replica lost the model and no other replica has it */
    MODEL_NOT_RESIDENT,
    /** the worker could not be reached */
    WORKER_UNAVAILABLE,
    /** the request's deadline passed before the model answered: it was dropped, never answered late */
    INFERENCE_TIMEOUT,
    /** the inputs are malformed or not what the version takes */
    INVALID_INPUT,
    /** the model failed on the inputs */
    MODEL_ERROR,
    /** the model answered with outputs its manifest does not declare */
    OUTPUT_MISMATCH,
    /** a failure of the caller's side of the call (reading the request, the model catalog): see {@code cause} */
    REQUEST_FAILED;

    /** Refused by the tenant's admission limits: nothing else ran. */
    public boolean isAdmission() {
      return this == RATE_LIMITED || this == CONCURRENCY_LIMITED || this == BUDGET_EXHAUSTED;
    }
  }
}
