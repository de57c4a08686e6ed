package io.modelplane.inference.routing;

/** Why the gateway could not get a prediction; {@code kind} decides the HTTP status. */
public final class InferenceRejected extends RuntimeException {
  public enum Kind {
    /** 503 with Retry-After: no ready replica in time, queues full, worker gone */
    UNAVAILABLE,
    /** 503 with a long Retry-After: the version cannot be served until its deployment or quota changes */
    NOT_SERVING,
    /** 504: the request's deadline passed before the model answered; it was dropped, never answered late */
    TIMED_OUT,
    /** 422: the model could not take the input */
    UNPROCESSABLE,
    /** 404: the model or version is not deployed */
    NOT_DEPLOYED
  }

  private final Kind kind;
  private final String code;

  public InferenceRejected(Kind kind, String code, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.code = code;
  }

  public Kind kind() {
    return kind;
  }

  public String code() {
    return code;
  }
}
