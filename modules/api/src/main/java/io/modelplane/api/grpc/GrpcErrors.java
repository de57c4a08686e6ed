package io.modelplane.api.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.modelplane.api.ApiError;

/**
 * The one mapping of the API's errors (HTTP statuses) to gRPC status codes. The error's machine code
 * travels as {@code modelplane-error-code} and, when the client should wait, the delay as
 * {@code retry-after} (seconds), both in the trailers; the same in the standard rich error details
 * ({@code grpc-status-details-bin}: {@code google.rpc.ErrorInfo}, {@code google.rpc.RetryInfo}).
 */
public final class GrpcErrors {
  public static final String DOMAIN = "modelplane";
  public static final Metadata.Key<String> ERROR_CODE = Metadata.Key.of("modelplane-error-code",
      Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

  private GrpcErrors() {}

  /** The gRPC code of an HTTP status. */
  public static Status.Code code(int httpStatus) {
    return switch (httpStatus) {
      case 400, 415, 422 -> Status.Code.INVALID_ARGUMENT;
      case 401 -> Status.Code.UNAUTHENTICATED;
      case 403 -> Status.Code.PERMISSION_DENIED;
      case 404 -> Status.Code.NOT_FOUND;
      case 409 -> Status.Code.FAILED_PRECONDITION;
      // 413 as gRPC answers a message over its size limit itself
      case 413, 429 -> Status.Code.RESOURCE_EXHAUSTED;
      case 503 -> Status.Code.UNAVAILABLE;
      case 504 -> Status.Code.DEADLINE_EXCEEDED;
      default -> Status.Code.INTERNAL;
    };
  }

  /** {@code error} as the exception a gRPC method fails with. */
  public static StatusRuntimeException toException(ApiError error) {
    Status.Code code = code(error.status().intValue());
    com.google.rpc.Status.Builder details = com.google.rpc.Status.newBuilder()
        .setCode(code.value())
        .setMessage(error.getMessage())
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(error.code()).setDomain(DOMAIN).build()));
    Metadata trailers = new Metadata();
    trailers.put(ERROR_CODE, error.code());
    if (error.retryAfterSeconds() != null) {
      trailers.put(RETRY_AFTER, String.valueOf(error.retryAfterSeconds()));
      details.addDetails(Any.pack(RetryInfo.newBuilder()
          .setRetryDelay(Duration.newBuilder().setSeconds(error.retryAfterSeconds())).build()));
    }
    return StatusProto.toStatusRuntimeException(details.build(), trailers);
  }
}
