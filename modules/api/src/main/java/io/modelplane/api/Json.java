package io.modelplane.api;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.headers.RawHeader;
import akka.stream.Materializer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/** JSON in and out of the HTTP API: strict reading with clear 400/413/415 errors, and responses. */
public final class Json {
  public static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .addModule(WireTypes.guard())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      // a body is one JSON value: `{...} garbage` is malformed, not `{...}`
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      // 50.5 for an integer field is a mistake to report, not a number to truncate
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .build();

  public static final long STRICT_TIMEOUT_MILLIS = 10_000;

  private Json() {}

  /** A response with {@code body} as JSON. */
  public static HttpResponse response(StatusCode status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response body is not serializable", e);
    }
  }

  /** API.md's error body for {@code error}, with Retry-After when it has one. */
  public static HttpResponse error(ApiError error) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", error.getMessage());
    body.put("code", error.code());
    HttpResponse response = response(error.status(), body);
    if (error.retryAfterSeconds() != null) {
      response = response.addHeader(RawHeader.create("Retry-After", error.retryAfterSeconds().toString()));
    }
    return error.headers().isEmpty() ? response : response.addHeaders(error.headers());
  }

  /**
   * Reads a JSON object body of at most {@code maxBytes}; fails with an {@link ApiError}: 415 for
   * another content type, 413 when too large, 400 when malformed or not an object.
   */
  public static CompletionStage<JsonNode> readObject(HttpEntity entity, long maxBytes, Materializer mat) {
    if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
      entity.discardBytes(mat);
      return CompletableFuture.failedFuture(new ApiError(
          akka.http.javadsl.model.StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
          "the body must be JSON with Content-Type: application/json"));
    }
    if (entity instanceof HttpEntity.Strict strict && strict.getData().size() <= maxBytes) {
      // small bodies arrive whole: parse here instead of hopping through a future
      try {
        return CompletableFuture.completedFuture(parseObject(strict.getData()));
      } catch (ApiError e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return entity.toStrict(STRICT_TIMEOUT_MILLIS, maxBytes, mat).thenApply(strict -> parseObject(strict.getData()));
  }

  /** Parses {@code data} as a JSON object; a 400 when it is malformed or not an object. */
  public static JsonNode parseObject(akka.util.ByteString data) {
    JsonNode node;
    try {
      node = MAPPER.readTree(data.toArray());
    } catch (Exception e) {
      throw ApiError.badRequest("malformed_json", "the body is not well-formed JSON");
    }
    if (node == null || !node.isObject()) {
      throw ApiError.badRequest("invalid_request", "the body must be a JSON object");
    }
    return node;
  }

  /** Binds {@code node} to {@code type}, turning Jackson's complaints into a 400 naming the field. */
  public static <T> T bind(JsonNode node, Class<T> type) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (com.fasterxml.jackson.databind.exc.InvalidDefinitionException e) {
      throw new IllegalStateException("not a wire type: " + e.getOriginalMessage(), e); // ours, not the client's
    } catch (UnrecognizedPropertyException e) {
      throw ApiError.badRequest("invalid_request", "unknown field '" + path(e) + "'");
    } catch (InvalidFormatException e) {
      throw ApiError.badRequest("invalid_request", "field '" + path(e) + "' has a value of the wrong type");
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      // a constructor's refusal explains itself; one without a sentence (a null inside a list) gets one
      String message = cause.getMessage();
      throw ApiError.badRequest("invalid_request", message == null || message.isBlank()
          ? "field '" + path(e) + "' holds a null or a value that is not allowed" : message);
    } catch (MismatchedInputException e) {
      throw ApiError.badRequest("invalid_request", "field '" + path(e) + "' is missing or of the wrong type");
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw ApiError.badRequest("invalid_request", "the body does not have the expected fields");
    }
  }

  private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : String.valueOf(r.getIndex()))
        .collect(Collectors.joining("."));
  }
}
