package io.modelplane.api;

import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import io.modelplane.common.Rejection;

/** A refusal on its way to the client: status, machine code and human sentence (API.md "Errors"). */
public final class ApiError extends RuntimeException {
  private final StatusCode status;
  private final String code;
  private final Integer retryAfterSeconds;
  private final java.util.List<akka.http.javadsl.model.HttpHeader> headers;

  public ApiError(StatusCode status, String code, String message) {
    this(status, code, message, null);
  }

  public ApiError(StatusCode status, String code, String message, Integer retryAfterSeconds) {
    this(status, code, message, retryAfterSeconds, java.util.List.of());
  }

  public ApiError(StatusCode status, String code, String message, Integer retryAfterSeconds,
      java.util.List<akka.http.javadsl.model.HttpHeader> headers) {
    super(message, null, false, false); // no stack trace: this is an answer, not a fault
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
    this.headers = java.util.List.copyOf(headers);
  }

  /** Extra headers of the answer (e.g. RateLimit-*). */
  public java.util.List<akka.http.javadsl.model.HttpHeader> headers() {
    return headers;
  }

  public static ApiError badRequest(String code, String message) {
    return new ApiError(StatusCodes.BAD_REQUEST, code, message);
  }

  public static ApiError notFound(String code, String message) {
    return new ApiError(StatusCodes.NOT_FOUND, code, message);
  }

  /** The answer for a tenant that does not exist or that the caller may not know of. */
  public static ApiError tenantNotFound(String tenant) {
    return notFound("tenant_not_found", "tenant " + tenant + " does not exist");
  }

  public static ApiError unavailable(String message) {
    return new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", message, 2);
  }

  /** Maps an entity's refusal to its HTTP status. */
  public static ApiError of(Rejection rejection) {
    StatusCode status = switch (rejection.reason()) {
      case INVALID -> StatusCodes.BAD_REQUEST;
      case NOT_FOUND -> StatusCodes.NOT_FOUND;
      case CONFLICT -> StatusCodes.CONFLICT;
      case FORBIDDEN -> StatusCodes.FORBIDDEN;
      // A full count quota (models, versions, keys) is a conflict with the tenant's plan, not a
      // rate: retrying later does not help, so it is not a 429.
      case QUOTA_EXCEEDED -> StatusCodes.CONFLICT;
      case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
    };
    return new ApiError(status, rejection.code(), rejection.message(),
        rejection.reason() == Rejection.Reason.UNAVAILABLE ? Integer.valueOf(5) : null);
  }

  /** A domain refusal with its retry hint. */
  public static ApiError of(io.modelplane.common.Rejected rejected) {
    ApiError plain = of(rejected.rejection());
    return rejected.retryAfterSeconds() == null ? plain
        : new ApiError(plain.status(), plain.code(), plain.getMessage(), rejected.retryAfterSeconds());
  }

  public StatusCode status() {
    return status;
  }

  public String code() {
    return code;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
