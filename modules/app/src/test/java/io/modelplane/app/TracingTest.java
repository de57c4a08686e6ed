package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.modelplane.api.grpc.oip.GRPCInferenceServiceGrpc;
import io.modelplane.api.grpc.oip.OpenInference.InferTensorContents;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferRequest;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferResponse;
import io.modelplane.inference.gateway.PredictTracing;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenTelemetry traces of predict calls on a real node with the SDK's in-memory exporter: a client's W3C
 * {@code traceparent} on REST and gRPC becomes the parent of the node's request span, under which come
 * authentication, admission, queue wait, batch forward and metering; no credential or tensor data in any
 * attribute.
 */
class TracingTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  /** What a predict trace holds under its request span. */
  static final Set<String> CHILDREN = Set.of("authentication", "admission", "queue wait", "batch forward", "metering");

  @TempDir static Path dataDir;
  static InMemoryTracing tracing;
  static InMemorySpanExporter spans;
  static Main.Node node;
  static ApiClient api;
  static ManagedChannel channel;
  static String demoKey;
  static JsonNode heldOut;

  @BeforeAll
  static void start() throws Exception {
    tracing = new InMemoryTracing();
    spans = tracing.spans;
    node = TestNodes.start(dataDir, Map.of("modelplane.demo", true));
    api = new ApiClient(node.baseUrl());
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcAddress().getPort()).usePlaintext().build();
    demoKey = api.post("/api/v1/tenants/demo/api-keys", OP, Map.of("name", "traced", "role", "developer"))
        .json().get("key").asText();
    Map<String, Object> unlimited = new HashMap<>();
    unlimited.put("requestsPerSecond", null);
    unlimited.put("maxConcurrentRequests", null);
    assertThat(api.patch("/api/v1/tenants/demo", OP, Map.of("quota", unlimited)).status()).isEqualTo(200);
    try (InputStream in = TracingTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits-heldout.json")) {
      heldOut = ApiClient.JSON.readTree(in);
    }
    TestNodes.eventually(Duration.ofSeconds(60),
        () -> api.post("/v2/models/digits/infer", demoKey, inferBody()).status() == 200, "demo digits ready");
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (node != null) {
      node.stop();
    }
    if (tracing != null) {
      tracing.close();
    }
  }

  @BeforeEach
  void clear() {
    spans.reset();
  }

  static Map<String, Object> inferBody() {
    return Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 64), "datatype", "FP32",
        "data", heldOut.get("inputs").get(0))));
  }

  static String hex(int bytes) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < bytes; i++) {
      b.append(String.format("%02x", ThreadLocalRandom.current().nextInt(256)));
    }
    return b.toString();
  }

  /** The spans of trace {@code traceId} once its request span and all its children have ended. */
  static List<SpanData> trace(String traceId, String requestSpan) {
    TestNodes.eventually(Duration.ofSeconds(10), () -> {
      Set<String> names = ofTrace(traceId).stream().map(SpanData::getName).collect(Collectors.toSet());
      return names.contains(requestSpan) && names.containsAll(CHILDREN);
    }, "the trace's spans ended");
    return ofTrace(traceId);
  }

  static List<SpanData> ofTrace(String traceId) {
    return tracing.ofTrace(traceId);
  }

  static SpanData named(List<SpanData> trace, String name) {
    List<SpanData> found = trace.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(found).as(name).hasSize(1);
    return found.get(0);
  }

  /** The request span's parent is the client's span; every other span is the request span's child. */
  static SpanData assertStructure(List<SpanData> trace, String requestSpan, String clientSpan) {
    SpanData request = named(trace, requestSpan);
    assertThat(request.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(request.getParentSpanId()).isEqualTo(clientSpan);
    // the client's span came over the wire; without one the request span is the trace's root
    assertThat(request.getParentSpanContext().isRemote()).isEqualTo(request.getParentSpanContext().isValid());
    for (String child : CHILDREN) {
      assertThat(named(trace, child).getParentSpanId()).as(child + "'s parent").isEqualTo(request.getSpanId());
    }
    SpanData auth = named(trace, "authentication");
    assertThat(auth.getAttributes().asMap()).extractingByKey(
        io.opentelemetry.api.common.AttributeKey.booleanKey("modelplane.authenticated")).isEqualTo(true);
    assertThat(named(trace, "admission").getAttributes().get(
        io.opentelemetry.api.common.AttributeKey.booleanKey("modelplane.admitted"))).isTrue();
    assertThat(named(trace, "batch forward").getAttributes().get(
        io.opentelemetry.api.common.AttributeKey.longKey("modelplane.batch.size"))).isGreaterThanOrEqualTo(1L);
    // the queue wait ends when the forward pass begins
    assertThat(named(trace, "queue wait").getEndEpochNanos())
        .isLessThanOrEqualTo(named(trace, "batch forward").getStartEpochNanos() + 1_000_000);
    return request;
  }

  @Test
  void restPredictContinuesTheClientsTrace() {
    String traceId = hex(16);
    String clientSpan = hex(8);
    var reply = api.raw("/v2/models/digits/infer", demoKey, "application/json",
        Map.of("traceparent", "00-" + traceId + "-" + clientSpan + "-01"),
        ApiClient.JSON.valueToTree(inferBody()).toString().getBytes(StandardCharsets.UTF_8));
    assertThat(reply.status()).isEqualTo(200);
    SpanData request = assertStructure(trace(traceId, "predict"), "predict", clientSpan);
    assertThat(request.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey(
        "http.response.status_code"))).isEqualTo(200L);
    assertThat(request.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("modelplane.model")))
        .isEqualTo("digits");
  }

  @Test
  void restPredictWithoutTraceparentStartsATrace() {
    assertThat(api.post("/v2/models/digits/infer", demoKey, inferBody()).status()).isEqualTo(200);
    TestNodes.eventually(Duration.ofSeconds(10), () -> spans.getFinishedSpanItems().stream()
        .anyMatch(s -> s.getName().equals("predict")), "a request span");
    SpanData request = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("predict")).findFirst()
        .orElseThrow();
    assertThat(request.getParentSpanContext().isValid()).isFalse();
    assertThat(request.getParentSpanId()).isEqualTo(io.opentelemetry.api.trace.SpanId.getInvalid());
    assertStructure(trace(request.getTraceId(), "predict"), "predict", request.getParentSpanId());
  }

  @Test
  void grpcPredictContinuesTheClientsTrace() {
    String traceId = hex(16);
    String clientSpan = hex(8);
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + demoKey);
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
        "00-" + traceId + "-" + clientSpan + "-01");
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    heldOut.get("inputs").get(0).forEach(v -> contents.addFp32Contents((float) v.asDouble()));
    ModelInferResponse response = GRPCInferenceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(Duration.ofSeconds(30))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .modelInfer(ModelInferRequest.newBuilder().setModelName("digits")
            .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32")
                .addShape(1).addShape(64).setContents(contents))
            .build());
    assertThat(response.getOutputsCount()).isEqualTo(1);
    SpanData request = assertStructure(trace(traceId, "ModelInfer"), "ModelInfer", clientSpan);
    assertThat(request.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey("rpc.grpc.status_code")))
        .isZero();
  }

  @Test
  void noCredentialOrTensorDataInAttributes() {
    String traceId = hex(16);
    String bogus = "mp_" + hex(20);
    var refused = api.raw("/v2/models/digits/infer", bogus, "application/json",
        Map.of("traceparent", "00-" + traceId + "-" + hex(8) + "-01"),
        ApiClient.JSON.valueToTree(inferBody()).toString().getBytes(StandardCharsets.UTF_8));
    assertThat(refused.status()).isEqualTo(401);
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + bogus);
    org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
        GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(30))
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .modelInfer(ModelInferRequest.newBuilder().setModelName("digits").build()));
    assertThat(api.post("/v2/models/digits/infer", demoKey, inferBody()).status()).isEqualTo(200);
    TestNodes.eventually(Duration.ofSeconds(10), () -> spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals("metering")).count() >= 1
        && spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("ModelInfer")).count() >= 1,
        "the calls' spans ended");
    List<SpanData> all = spans.getFinishedSpanItems();
    SpanData failedAuth = ofTrace(traceId).stream().filter(s -> s.getName().equals("authentication")).findFirst()
        .orElseThrow();
    assertThat(failedAuth.getAttributes().get(io.opentelemetry.api.common.AttributeKey.booleanKey(
        "modelplane.authenticated"))).isFalse();
    SpanData grpcRefused = all.stream().filter(s -> s.getName().equals("ModelInfer")).findFirst().orElseThrow();
    assertThat(grpcRefused.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    String firstPixel = heldOut.get("inputs").get(0).get(0).asText();
    for (SpanData span : all) {
      span.getAttributes().forEach((key, value) -> {
        String text = String.valueOf(value);
        if (key.equals(PredictTracing.NODE)) {
          // the node that made the span: its cluster address, whose digits may look like a pixel
          assertThat(text).isEqualTo(akka.cluster.typed.Cluster.get(node.system()).selfMember().address().toString());
          return;
        }
        assertThat(text).as(span.getName() + " " + key).doesNotContain(demoKey).doesNotContain(bogus)
            .doesNotContain(OP).doesNotContain("Bearer");
        assertThat(key.getKey()).as(span.getName()).doesNotContainIgnoringCase("authorization")
            .doesNotContainIgnoringCase("credential").doesNotContainIgnoringCase("input")
            .doesNotContainIgnoringCase("output");
        if (text.length() > 3) {
          assertThat(text).as(span.getName() + " " + key).doesNotContain(firstPixel);
        }
      });
      assertThat(span.getStatus().getDescription()).doesNotContain(demoKey).doesNotContain(bogus);
    }
  }
}
