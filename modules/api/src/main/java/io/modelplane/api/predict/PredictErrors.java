package io.modelplane.api.predict;

import akka.http.javadsl.model.StatusCodes;
import io.modelplane.api.ApiError;
import io.modelplane.api.ErrorHandling;
import io.modelplane.inference.gateway.PredictFailure;
import io.modelplane.inference.runtime.InvalidInputException;

/** A predict call's typed failure in HTTP terms: status, error code, Retry-After. */
public final class PredictErrors {
  private PredictErrors() {}

  /** The HTTP status the failure is answered with (also what it is metered as). */
  public static int status(PredictFailure failure) {
    // the edge's own failure is logged where it is answered, not where it is metered
    return failure.code() == PredictFailure.Code.REQUEST_FAILED
        ? ErrorHandling.status(failure.cause()) : toApiError(failure).status().intValue();
  }

  public static ApiError toApiError(PredictFailure f) {
    String message = f.message();
    Integer retry = f.retryAfterSeconds();
    return switch (f.code()) {
      case RATE_LIMITED -> new ApiError(StatusCodes.TOO_MANY_REQUESTS, "rate_limited", message, retry);
      case CONCURRENCY_LIMITED -> new ApiError(StatusCodes.TOO_MANY_REQUESTS, "concurrency_limited", message, retry);
      case BUDGET_EXHAUSTED -> new ApiError(StatusCodes.TOO_MANY_REQUESTS, "budget_exhausted", message, retry);
      case MODEL_NOT_FOUND -> ApiError.notFound("model_not_found", message);
      case MODEL_NOT_DEPLOYED -> ApiError.notFound("model_not_deployed", message);
      case VERSION_NOT_FOUND -> ApiError.notFound("version_not_found", message);
      case VERSION_NOT_DEPLOYED -> ApiError.notFound("version_not_deployed", message);
      // lasts until the deployment or the tenant's quota changes: the pipeline says when to look again
      case QUOTA_EXCEEDED -> new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "quota_exceeded", message, retry);
      case MODEL_FAILED -> new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "model_failed", message, retry);
      case MODEL_LOADING -> new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "model_loading", message, retry);
      case CAPACITY_EXCEEDED -> new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "capacity_exceeded", message, retry);
      case MODEL_NOT_RESIDENT -> new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "model_not_resident", message, retry);
      case WORKER_UNAVAILABLE -> new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "worker_unavailable", message, retry);
      case INFERENCE_TIMEOUT -> new ApiError(StatusCodes.GATEWAY_TIMEOUT, "inference_timeout", message);
      case INVALID_INPUT -> invalidInput((InvalidInputException) f.cause());
      case MODEL_ERROR -> new ApiError(StatusCodes.UNPROCESSABLE_ENTITY, "model_error", message);
      // the tenant's model broke its own manifest: an upstream fault, not the caller's
      case OUTPUT_MISMATCH -> new ApiError(StatusCodes.BAD_GATEWAY, "output_mismatch", message);
      case REQUEST_FAILED -> ErrorHandling.toApiError(f.cause());
    };
  }

  static ApiError invalidInput(InvalidInputException e) {
    return new ApiError(e.kind() == InvalidInputException.Kind.MALFORMED
        ? StatusCodes.BAD_REQUEST : StatusCodes.UNPROCESSABLE_ENTITY, e.code(), e.getMessage());
  }
}
