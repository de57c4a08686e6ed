package io.modelplane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The management and predict calls the benchmark makes to provision a node: create a tenant (with an
 * unlimited quota or a given one), an API key, upload a version, deploy it, wait until it is ready. A
 * refused call fails with the exact request and response, so a server-side blocker can be reported
 * as is.
 */
final class ModelPlaneClient {
  /** The binary tensor data extension's header: the byte length of the JSON part of a body. */
  static final String BINARY_HEADER = "Inference-Header-Content-Length";

  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

  /** The quota fields of API.md, in its order. */
  static final List<String> QUOTA_FIELDS = List.of("requestsPerSecond", "burst", "maxConcurrentRequests", "maxModels",
      "maxVersionsPerModel", "maxResidentBytes", "monthlyComputeSeconds");

  private final HttpClient http;
  private final URI base;
  private final String operatorKey;

  ModelPlaneClient(HttpClient http, URI base, String operatorKey) {
    this.http = http;
    this.base = base;
    this.operatorKey = operatorKey;
  }

  /** A tenant without limits: every quota field null (absent would mean the default plan's 100 req/s). */
  void createTenant(String tenant) throws IOException, InterruptedException {
    createTenant(tenant, Map.of());
  }

  /**
   * A tenant with these quota fields (numbers); every field not given is sent as null (unlimited),
   * not left out, which would mean the default plan.
   */
  void createTenant(String tenant, Map<String, ? extends Number> quota) throws IOException, InterruptedException {
    if (!QUOTA_FIELDS.containsAll(quota.keySet())) {
      throw new IllegalArgumentException("unknown quota fields in " + quota.keySet() + "; known: " + QUOTA_FIELDS);
    }
    ObjectNode body = BenchModel.JSON.createObjectNode();
    body.put("id", tenant);
    body.put("displayName", "Benchmark");
    ObjectNode limits = body.putObject("quota");
    for (String field : QUOTA_FIELDS) {
      Number value = quota.get(field);
      if (value == null) {
        limits.putNull(field);
      } else if (value instanceof Double || value instanceof Float) {
        limits.put(field, value.doubleValue());
      } else {
        limits.put(field, value.longValue());
      }
    }
    send(json("POST", "/api/v1/tenants", operatorKey, body.toString()), 201);
  }

  /** A developer key of {@code tenant}: may upload, deploy and predict. */
  String createApiKey(String tenant) throws IOException, InterruptedException {
    JsonNode reply = send(json("POST", "/api/v1/tenants/" + tenant + "/api-keys", operatorKey,
        "{\"name\":\"bench\",\"role\":\"developer\"}"), 201);
    return reply.get("key").asText();
  }

  /** Uploads a version (manifest part first, then the artifact) and returns its number. */
  int upload(String apiKey, String tenant, String model, String manifestJson, Path artifact)
      throws IOException, InterruptedException {
    String boundary = "modelplane-bench-" + UUID.randomUUID();
    String manifestPart = "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"manifest\"\r\n"
        + "Content-Type: application/json\r\n\r\n"
        + manifestJson + "\r\n"
        + "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"artifact\"; filename=\"" + artifact.getFileName() + "\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n";
    BodyPublisher body = BodyPublishers.concat(
        BodyPublishers.ofString(manifestPart, StandardCharsets.UTF_8),
        BodyPublishers.ofFile(artifact),
        BodyPublishers.ofString("\r\n--" + boundary + "--\r\n", StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/v1/tenants/" + tenant + "/models/" + model + "/versions"))
        .timeout(Duration.ofMinutes(2))
        .header("Authorization", "Bearer " + apiKey)
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(body)
        .build();
    return send(request, 201).get("version").asInt();
  }

  /** Routes all traffic to {@code version} with these batch settings (engineThreads null: the server's default). */
  void deploy(String apiKey, String tenant, String model, int version, int maxBatchSize, int maxBatchDelayMs,
      Integer engineThreads) throws IOException, InterruptedException {
    ObjectNode body = BenchModel.JSON.createObjectNode();
    body.putObject("traffic").put(String.valueOf(version), 100);
    body.put("maxBatchSize", maxBatchSize);
    body.put("maxBatchDelayMs", maxBatchDelayMs);
    if (engineThreads != null) {
      body.put("engineThreads", engineThreads);
    }
    send(json("PUT", "/api/v1/tenants/" + tenant + "/models/" + model + "/deployment", apiKey, body.toString()), 202);
  }

  /** An answer as it came: status and body (any status; the caller judges it). */
  record Reply(int status, String body) {
    JsonNode json() throws IOException {
      return body.isEmpty() ? BenchModel.JSON.createObjectNode() : BenchModel.JSON.readTree(body);
    }

    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  /** Any management call with the operator key; {@code body} null for none. */
  Reply call(String method, String path, String body) throws IOException, InterruptedException {
    HttpRequest request = body == null
        ? HttpRequest.newBuilder(base.resolve(path)).timeout(CALL_TIMEOUT).header("Authorization", "Bearer " + operatorKey)
            .method(method, BodyPublishers.noBody()).build()
        : json(method, path, operatorKey, body);
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body());
  }

  /** Polls GET /v2/models/{model}/ready until {ready: true}. */
  void awaitReady(String apiKey, String model, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      HttpRequest request = HttpRequest.newBuilder(base.resolve("/v2/models/" + model + "/ready"))
          .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + apiKey).GET().build();
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      last = r.statusCode() + " " + r.body();
      if (r.statusCode() == 200 && BenchModel.JSON.readTree(r.body()).path("ready").asBoolean(false)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("model " + model + " not ready within " + timeout.toSeconds()
        + " s: GET /v2/models/" + model + "/ready -> " + last);
  }

  /** One predict call, JSON or binary tensor data as {@code body} says; the caller judges the status. */
  HttpResponse<byte[]> infer(String apiKey, String model, BenchModel.Request body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/v2/models/" + model + "/infer"))
        .timeout(CALL_TIMEOUT)
        .header("Authorization", "Bearer " + apiKey)
        .POST(BodyPublishers.ofByteArray(body.body()));
    if (body.binary()) {
      request.header("Content-Type", "application/octet-stream").header(BINARY_HEADER, String.valueOf(body.jsonLength()));
    } else {
      request.header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpRequest json(String method, String path, String credential, String body) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(CALL_TIMEOUT)
        .header("Authorization", "Bearer " + credential)
        .header("Content-Type", "application/json")
        .method(method, BodyPublishers.ofString(body))
        .build();
  }

  private JsonNode send(HttpRequest request, int expected) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new IllegalStateException(request.method() + " " + request.uri().getPath() + " -> " + r.statusCode()
          + " (expected " + expected + "): " + r.body());
    }
    return r.body().isEmpty() ? BenchModel.JSON.createObjectNode() : BenchModel.JSON.readTree(r.body());
  }
}
