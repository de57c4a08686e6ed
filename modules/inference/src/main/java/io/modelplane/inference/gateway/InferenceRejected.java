package io.modelplane.inference.gateway;

/** A predict call's {@link PredictFailure} thrown through futures inside the gateway package. */
final class InferenceRejected extends RuntimeException {
  private final transient PredictFailure failure;

  InferenceRejected(PredictFailure failure) {
    super(failure.message(), failure.cause(), false, false);
    this.failure = failure;
  }

  InferenceRejected(PredictFailure.Code code, String message) {
    this(new PredictFailure(code, message));
  }

  InferenceRejected(PredictFailure.Code code, String message, int retryAfterSeconds) {
    this(new PredictFailure(code, message, retryAfterSeconds, null));
  }

  PredictFailure failure() {
    return failure;
  }
}
