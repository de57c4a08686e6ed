package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.cluster.typed.Cluster;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.modelplane.api.grpc.oip.GRPCInferenceServiceGrpc;
import io.modelplane.api.grpc.oip.OpenInference.InferTensorContents;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferRequest;
import io.modelplane.inference.gateway.PredictTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trace across two nodes: a gateway node without a worker and a worker-only node holding the replica. A
 * predict with a {@code traceparent} through the gateway gets the worker's queue wait and batch forward in the
 * same trace, children of the gateway's request span, and every span names the node that made it.
 */
class CrossNodeTracingTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final Set<String> GATEWAY_SPANS = Set.of("authentication", "admission", "metering");
  static final Set<String> WORKER_SPANS = Set.of("queue wait", "batch forward");

  @TempDir static Path gatewayDir;
  @TempDir static Path workerDir;
  static InMemoryTracing tracing;
  static InMemorySpanExporter spans;
  static Main.Node gateway;
  static Main.Node worker;
  static ApiClient api;
  static ManagedChannel channel;
  static String key;

  @BeforeAll
  static void start() {
    // both nodes of this JVM trace with the process's global OpenTelemetry: the node attribute tells them apart
    tracing = new InMemoryTracing();
    spans = tracing.spans;
    String db = "jdbc:h2:mem:cross-node-tracing;DB_CLOSE_DELAY=-1";
    gateway = TestNodes.start(gatewayDir, Map.of("modelplane.db.url", db, "modelplane.cluster.roles", "control,gateway"));
    Map<String, Object> workerOnly = new HashMap<>(TestNodes.sharingArtifactsOf(gateway));
    workerOnly.put("modelplane.cluster.roles", "worker");
    workerOnly.put("modelplane.operator-key", "");
    workerOnly.put("akka.cluster.seed-nodes", List.of(address(gateway)));
    worker = TestNodes.start(workerDir, workerOnly);
    api = new ApiClient(gateway.baseUrl());
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", gateway.grpcAddress().getPort()).usePlaintext().build();
    TestNodes.eventually(Duration.ofSeconds(30), () -> api.get("/api/v1/admin/cluster", OP).json()
        .path("workers").size() == 1, "the worker-only node's worker in the cluster view");
    Map<String, Object> unlimited = new HashMap<>();
    unlimited.put("requestsPerSecond", null);
    unlimited.put("maxConcurrentRequests", null);
    key = TestNodes.tenantWithDigits(api, "traced", unlimited, 1);
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (worker != null) {
      worker.stop();
    }
    if (gateway != null) {
      gateway.stop();
    }
    if (tracing != null) {
      tracing.close();
    }
  }

  @BeforeEach
  void clear() {
    spans.reset();
  }

  static String address(Main.Node node) {
    return Cluster.get(node.system()).selfMember().address().toString();
  }

  static String node(SpanData span) {
    return span.getAttributes().get(PredictTracing.NODE);
  }

  /** The trace's spans once its request span and all the others have ended. */
  static List<SpanData> trace(String traceId, String requestSpan) {
    TestNodes.eventually(Duration.ofSeconds(10), () -> {
      Set<String> names = tracing.ofTrace(traceId).stream().map(SpanData::getName)
          .collect(java.util.stream.Collectors.toSet());
      return names.contains(requestSpan) && names.containsAll(GATEWAY_SPANS) && names.containsAll(WORKER_SPANS);
    }, "the trace's spans on both nodes ended");
    return tracing.ofTrace(traceId);
  }

  /** The gateway's spans name the gateway, the worker's name the worker; all are the request span's children. */
  static SpanData assertAcrossNodes(List<SpanData> trace, String requestSpan) {
    SpanData request = TracingTest.named(trace, requestSpan);
    assertThat(request.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(node(request)).isEqualTo(address(gateway));
    for (String name : GATEWAY_SPANS) {
      SpanData span = TracingTest.named(trace, name);
      assertThat(span.getParentSpanId()).as(name + "'s parent").isEqualTo(request.getSpanId());
      assertThat(node(span)).as(name + "'s node").isEqualTo(address(gateway));
    }
    for (String name : WORKER_SPANS) {
      SpanData span = TracingTest.named(trace, name);
      assertThat(span.getParentSpanId()).as(name + "'s parent").isEqualTo(request.getSpanId());
      // its parent came over the cluster's wire, not from this node's context
      assertThat(span.getParentSpanContext().isRemote()).as(name + " continues a remote parent").isTrue();
      assertThat(node(span)).as(name + "'s node").isEqualTo(address(worker));
    }
    assertThat(TracingTest.named(trace, "batch forward").getAttributes().get(
        AttributeKey.longKey("modelplane.batch.size"))).isGreaterThanOrEqualTo(1L);
    assertThat(address(gateway)).isNotEqualTo(address(worker));
    for (SpanData span : trace) {
      span.getAttributes().forEach((attribute, value) -> assertThat(String.valueOf(value))
          .as(span.getName() + " " + attribute).doesNotContain(key).doesNotContain(OP).doesNotContain("Bearer"));
    }
    return request;
  }

  @Test
  void aRestPredictsTraceHoldsTheRemoteWorkersSpans() {
    String traceId = TracingTest.hex(16);
    String clientSpan = TracingTest.hex(8);
    var reply = api.raw("/v2/models/digits/infer", key, "application/json",
        Map.of("traceparent", "00-" + traceId + "-" + clientSpan + "-01"),
        body().getBytes(StandardCharsets.UTF_8));
    assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    SpanData request = assertAcrossNodes(trace(traceId, "predict"), "predict");
    assertThat(request.getParentSpanId()).isEqualTo(clientSpan);
  }

  @Test
  void aGrpcPredictsTraceHoldsTheRemoteWorkersSpans() {
    String traceId = TracingTest.hex(16);
    String clientSpan = TracingTest.hex(8);
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
    headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
        "00-" + traceId + "-" + clientSpan + "-01");
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (int i = 0; i < 64; i++) {
      contents.addFp32Contents(i % 16);
    }
    var response = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(30))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .modelInfer(ModelInferRequest.newBuilder().setModelName("digits")
            .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32")
                .addShape(1).addShape(64).setContents(contents))
            .build());
    assertThat(response.getOutputsCount()).isEqualTo(1);
    SpanData request = assertAcrossNodes(trace(traceId, "ModelInfer"), "ModelInfer");
    assertThat(request.getParentSpanId()).isEqualTo(clientSpan);
  }

  @Test
  void aMalformedTraceparentStartsANewTraceThatStillCrossesNodes() {
    var reply = api.raw("/v2/models/digits/infer", key, "application/json",
        Map.of("traceparent", "00-not-a-trace-id-01"), body().getBytes(StandardCharsets.UTF_8));
    assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    TestNodes.eventually(Duration.ofSeconds(10), () -> spans.getFinishedSpanItems().stream()
        .anyMatch(s -> s.getName().equals("predict")), "a request span");
    SpanData request = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("predict")).findFirst()
        .orElseThrow();
    assertThat(request.getParentSpanContext().isValid()).as("a root: the header was ignored").isFalse();
    assertAcrossNodes(trace(request.getTraceId(), "predict"), "predict");
  }

  static String body() {
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 64; i++) {
      data.append(i == 0 ? "" : ",").append(i % 16);
    }
    return "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":[" + data + "]}]}";
  }
}
