package io.modelplane.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** A small HTTP client for tests: JSON in and out, bearer credentials, multipart uploads. */
final class ApiClient {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A response: status, headers and the body as text and (when JSON) as a tree. */
  record Reply(int status, HttpResponse<String> raw) {
    JsonNode json() {
      try {
        return JSON.readTree(raw.body());
      } catch (Exception e) {
        throw new AssertionError("not JSON (" + status + "): " + raw.body(), e);
      }
    }

    String code() {
      return json().path("code").asText();
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    @Override
    public String toString() {
      return status + " " + raw.body();
    }
  }

  private final HttpClient client;
  private final String baseUrl;

  ApiClient(String baseUrl) {
    this(baseUrl, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
  }

  /** Through {@code client} (an HTTPS client with its own trust, say). */
  ApiClient(String baseUrl, HttpClient client) {
    this.baseUrl = baseUrl;
    this.client = client;
  }

  Reply get(String path, String credential) {
    return send(builder(path, credential).GET());
  }

  /** GET with extra request headers (such as If-None-Match). */
  Reply get(String path, String credential, Map<String, String> headers) {
    return send(withHeaders(builder(path, credential), headers).GET());
  }

  Reply delete(String path, String credential) {
    return send(builder(path, credential).DELETE());
  }

  Reply post(String path, String credential, Object body) {
    return send(builder(path, credential).header("Content-Type", "application/json").POST(json(body)));
  }

  Reply put(String path, String credential, Object body) {
    return send(builder(path, credential).header("Content-Type", "application/json").PUT(json(body)));
  }

  Reply patch(String path, String credential, Object body) {
    return send(builder(path, credential).header("Content-Type", "application/json").method("PATCH", json(body)));
  }

  /** Sends {@code body} as is with {@code contentType}: for malformed and mistyped requests. */
  Reply raw(String method, String path, String credential, String contentType, byte[] body) {
    return send(builder(path, credential).header("Content-Type", contentType)
        .method(method, HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** {@link #raw} with extra request headers (such as the binary tensor data extension's). */
  Reply raw(String path, String credential, String contentType, Map<String, String> headers, byte[] body) {
    return send(withHeaders(builder(path, credential), headers).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** POSTs {@code body} with extra headers and keeps the response body as bytes: for binary responses. */
  HttpResponse<byte[]> rawBytes(String path, String credential, String contentType, Map<String, String> headers,
      byte[] body) {
    try {
      return client.send(withHeaders(builder(path, credential), headers).header("Content-Type", contentType)
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e, e);
    }
  }

  private static HttpRequest.Builder withHeaders(HttpRequest.Builder b, Map<String, String> headers) {
    headers.forEach(b::header);
    return b;
  }

  /** Uploads a version: a manifest part (when not null) and an artifact part (when not null), in that order. */
  Reply upload(String tenant, String model, String credential, Object manifest, byte[] artifact) {
    String boundary = "mpboundary" + System.nanoTime();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (manifest != null) {
      byte[] m = manifest instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : toJson(manifest);
      part(out, boundary, "manifest", null, "application/json", m);
    }
    if (artifact != null) {
      part(out, boundary, "artifact", "model.pt", "application/octet-stream", artifact);
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return send(builder("/api/v1/tenants/" + tenant + "/models/" + model + "/versions", credential)
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray())));
  }

  /** The values of {@code field} of each element of a JSON array (not of nested objects). */
  static java.util.List<String> each(JsonNode array, String field) {
    java.util.List<String> values = new java.util.ArrayList<>();
    array.forEach(element -> values.add(element.path(field).asText()));
    return values;
  }

  /** A model manifest with one FP32 input and output. */
  static Map<String, Object> manifest() {
    return Map.of("format", "torchscript",
        "inputs", java.util.List.of(Map.of("name", "input", "datatype", "FP32", "shape", java.util.List.of(-1, 64))),
        "outputs", java.util.List.of(Map.of("name", "scores", "datatype", "FP32", "shape", java.util.List.of(-1, 10))));
  }

  /** The manifest of the demo digits model (input "input" 64 floats, output "logits" 10). */
  static Map<String, Object> digitsManifest() {
    return Map.of("format", "torchscript",
        "inputs", java.util.List.of(Map.of("name", "input", "datatype", "FP32", "shape", java.util.List.of(-1, 64))),
        "outputs", java.util.List.of(Map.of("name", "logits", "datatype", "FP32", "shape", java.util.List.of(-1, 10))));
  }

  private static void part(ByteArrayOutputStream out, String boundary, String name, String filename,
      String contentType, byte[] content) {
    String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
        + (filename == null ? "" : "; filename=\"" + filename + "\"") + "\r\nContent-Type: " + contentType + "\r\n\r\n";
    out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(content);
    out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  private HttpRequest.Builder builder(String path, String credential) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30));
    return credential == null ? b : b.header("Authorization", "Bearer " + credential);
  }

  private static HttpRequest.BodyPublisher json(Object body) {
    return HttpRequest.BodyPublishers.ofByteArray(toJson(body));
  }

  private static byte[] toJson(Object body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r);
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e, e);
    }
  }
}
