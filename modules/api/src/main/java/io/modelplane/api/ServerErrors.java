package io.modelplane.api;

import akka.event.LoggingAdapter;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.scaladsl.model.ErrorInfo;
import akka.http.scaladsl.model.StatusCode;
import akka.http.scaladsl.settings.ServerSettings;

/**
 * The server's own answers in the JSON error format: requests too malformed to reach a route
 * ({@code akka.http.server.parsing.error-handler}) and requests whose route did not answer within
 * the request timeout. The sentences are fixed: a parse error's details may quote a header (a key).
 */
public final class ServerErrors extends akka.http.ParsingErrorHandler {

  /** akka-http creates the handler by reflection from its class name. */
  public ServerErrors() {}

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    // not logged: a header's value (an API key sent in a malformed way) may be part of the details
    int code = status.intValue();
    // akka-http answers too many headers, or a header name or value over its length limit, with 400:
    // that is what 431 is for
    String summary = info.summary();
    if (code == 400 && summary.contains("configured limit") && summary.contains("header")) {
      code = 431;
    }
    return Json.error(parseError(code));
  }

  static ApiError parseError(int status) {
    return switch (status) {
      case 414 -> new ApiError(StatusCodes.URI_TOO_LONG, "uri_too_long", "the request target is too long");
      case 431 -> new ApiError(StatusCodes.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large",
          "the request headers are too large");
      case 413 -> new ApiError(StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large");
      case 501 -> new ApiError(StatusCodes.NOT_IMPLEMENTED, "not_implemented",
          "the request uses a method or transfer coding this server does not implement");
      case 505 -> new ApiError(StatusCodes.HTTPVERSION_NOT_SUPPORTED, "http_version_not_supported",
          "only HTTP/1.0 and HTTP/1.1 are supported");
      default -> new ApiError(StatusCodes.get(status), "malformed_request",
          "the request could not be parsed (request line, headers or framing)");
    };
  }

  /** The answer for a request whose route did not answer within the server's request timeout. */
  public static HttpResponse requestTimeout(HttpRequest request) {
    return Json.error(new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "request_timeout",
        "the server did not answer in time; retry shortly", 2));
  }
}
