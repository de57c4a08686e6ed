package io.modelplane.common;

/**
 * Why an entity refused a command. {@code reason} decides the HTTP status at the edge; {@code code}
 * is the machine-readable error code and {@code message} the human sentence of API.md's error body.
 */
public record Rejection(Reason reason, String code, String message) implements CborSerializable {

  /** The kinds of refusal, each mapped to one HTTP status by the API layer. */
  public enum Reason {
    /** 400 */
    INVALID,
    /** 404 */
    NOT_FOUND,
    /** 409 */
    CONFLICT,
    /** 403 */
    FORBIDDEN,
    /** 429 for rates and budgets; 409 when a count quota (models, versions) is full */
    QUOTA_EXCEEDED,
    /** 503: a service the change needs (the identity provider) cannot be reached; retry shortly */
    UNAVAILABLE
  }

  public static Rejection invalid(String code, String message) {
    return new Rejection(Reason.INVALID, code, message);
  }

  public static Rejection notFound(String code, String message) {
    return new Rejection(Reason.NOT_FOUND, code, message);
  }

  public static Rejection conflict(String code, String message) {
    return new Rejection(Reason.CONFLICT, code, message);
  }

  public static Rejection forbidden(String code, String message) {
    return new Rejection(Reason.FORBIDDEN, code, message);
  }

  public static Rejection unavailable(String code, String message) {
    return new Rejection(Reason.UNAVAILABLE, code, message);
  }

  public static Rejection quotaExceeded(String code, String message) {
    return new Rejection(Reason.QUOTA_EXCEEDED, code, message);
  }
}
