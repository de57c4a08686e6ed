package io.modelplane.api;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.ExceptionHandler;
import akka.http.javadsl.server.MethodRejection;
import akka.http.javadsl.server.RejectionHandler;
import akka.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import akka.http.scaladsl.model.EntityStreamSizeException;
import io.modelplane.registry.ArtifactStoreException;
import io.modelplane.registry.ArtifactStoreUnavailableException;
import io.modelplane.registry.ArtifactTooLargeException;
import io.modelplane.registry.ChecksumMismatchException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns every failure and rejection into API.md's JSON error body: never a stack trace. */
public final class ErrorHandling {
  private static final Logger log = LoggerFactory.getLogger(ErrorHandling.class);

  private ErrorHandling() {}

  /** The API error a failure stands for; unexpected ones become a logged 500 without details. */
  public static ApiError toApiError(Throwable failure) {
    ApiError error = classify(failure);
    if (error == INTERNAL) {
      log.error("unexpected failure while serving a request", unwrap(failure));
    }
    return error;
  }

  /** The status {@link #toApiError} answers the failure with, without logging it. */
  public static int status(Throwable failure) {
    return classify(failure).status().intValue();
  }

  private static final ApiError INTERNAL = new ApiError(StatusCodes.INTERNAL_SERVER_ERROR, "internal_error",
      "an unexpected error occurred; it has been logged");

  private static ApiError classify(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof ApiError e) {
      return e;
    }
    if (t instanceof io.modelplane.common.Rejected r) {
      return ApiError.of(r);
    }
    if (diskFull(failure)) {
      // the disk filled up under the disk guard's margin (another process, or a margin of 0): a full disk, not a bad artifact
      log.warn("an upload failed: the disk is full");
      return new ApiError(StatusCodes.INSUFFICIENT_STORAGE, "insufficient_storage",
          "the server ran out of disk space while storing the upload; retry once an operator has made room");
    }
    if (t instanceof EntityStreamSizeException || t instanceof ArtifactTooLargeException) {
      return new ApiError(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large",
          t instanceof ArtifactTooLargeException ? t.getMessage() : "the request body is too large");
    }
    if (t instanceof akka.http.scaladsl.model.EntityStreamException e) {
      // toStrict's size cap reports itself this way; anything else is a truncated or broken body
      return e.info().summary().startsWith("Request too large")
          ? new ApiError(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
          : ApiError.badRequest("incomplete_request", "the request body ended before it was complete");
    }
    if (t instanceof ChecksumMismatchException) {
      return ApiError.badRequest("checksum_mismatch", t.getMessage());
    }
    if (t instanceof ArtifactStoreUnavailableException) {
      log.warn("{}", t.getMessage());
      return ApiError.unavailable("the artifact store did not answer; retry shortly");
    }
    if (t instanceof io.modelplane.registry.crypto.KeyUnavailableException) {
      // a configuration problem of the platform (or a shredded tenant), never the caller's: no key bytes in it
      log.warn("{}", t.getMessage());
      return new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "key_unavailable", t.getMessage());
    }
    if (t instanceof io.modelplane.common.crypto.ArtifactDecryptionException) {
      log.warn("{}", t.getMessage());
      return new ApiError(StatusCodes.UNPROCESSABLE_ENTITY, "artifact_unreadable", t.getMessage());
    }
    if (t instanceof ArtifactStoreException) {
      return ApiError.badRequest("invalid_artifact", t.getMessage());
    }
    if (t instanceof TimeoutException || t instanceof akka.pattern.AskTimeoutException) {
      return ApiError.unavailable("the control plane did not answer in time; retry shortly");
    }
    if (t instanceof java.sql.SQLException) {
      log.warn("the read tables' database failed a query: {}", t.getMessage());
      return ApiError.unavailable("the read side's database did not answer; retry shortly");
    }
    if (t instanceof akka.http.scaladsl.model.IllegalRequestException
        || t instanceof akka.http.scaladsl.model.ParsingException) {
      return ApiError.badRequest("malformed_request", "the request could not be parsed");
    }
    return INTERNAL;
  }

  /** Whether a file system refused a write for want of space (ENOSPC) anywhere in {@code failure}'s causes. */
  static boolean diskFull(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.io.IOException && t.getMessage() != null && t.getMessage().contains("No space left on device")) {
        return true;
      }
    }
    return false;
  }

  public static HttpResponse toResponse(Throwable failure) {
    return Json.error(toApiError(failure));
  }

  /** The refusal a failure carries (an {@link ApiError} or a domain {@link io.modelplane.common.Rejected}), if any. */
  static java.util.Optional<ApiError> refusal(Throwable failure) {
    Throwable t = unwrap(failure);
    return java.util.Optional.ofNullable(
        t instanceof ApiError e ? e : t instanceof io.modelplane.common.Rejected r ? ApiError.of(r) : null);
  }

  static Throwable unwrap(Throwable t) {
    return io.modelplane.common.Rejected.unwrap(t);
  }

  public static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(Throwable.class, t -> akka.http.javadsl.server.Directives.complete(toResponse(t)))
        .build();
  }

  public static RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, rejections -> akka.http.javadsl.server.Directives.complete(
            Json.error(new ApiError(StatusCodes.METHOD_NOT_ALLOWED, "method_not_allowed",
                "method not allowed here; allowed: " + rejections.stream()
                    .map(r -> r.supported().name()).distinct().collect(Collectors.joining(", "))))))
        .handle(UnsupportedRequestContentTypeRejection.class, r -> akka.http.javadsl.server.Directives.complete(
            Json.error(new ApiError(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                "unsupported Content-Type; expected " + r.getSupported().stream()
                    .map(Object::toString).collect(Collectors.joining(" or "))))))
        .handleNotFound(akka.http.javadsl.server.Directives.complete(
            Json.error(ApiError.notFound("not_found", "no such resource"))))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(ErrorHandling::asJsonError);
  }

  /** Rewrites the default handler's plain-text answers into the JSON error format. */
  private static HttpResponse asJsonError(HttpResponse response) {
    if (response.entity().getContentType().mediaType().equals(akka.http.javadsl.model.MediaTypes.APPLICATION_JSON)) {
      return response;
    }
    String text = response.entity() instanceof akka.http.javadsl.model.HttpEntity.Strict strict
        ? strict.getData().utf8String()
        : response.status().reason();
    String code = response.status().reason().toLowerCase().replaceAll("[^a-z0-9]+", "_");
    return Json.error(new ApiError(response.status(), code, text)).addHeaders(response.getHeaders());
  }
}
