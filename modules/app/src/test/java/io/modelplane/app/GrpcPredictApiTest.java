package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.modelplane.api.grpc.GrpcErrors;
import io.modelplane.api.grpc.oip.GRPCInferenceServiceGrpc;
import io.modelplane.api.grpc.oip.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import io.modelplane.api.grpc.oip.OpenInference.InferParameter;
import io.modelplane.api.grpc.oip.OpenInference.InferTensorContents;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferRequest;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferResponse;
import io.modelplane.api.grpc.oip.OpenInference.ModelMetadataRequest;
import io.modelplane.api.grpc.oip.OpenInference.ModelMetadataResponse;
import io.modelplane.api.grpc.oip.OpenInference.ModelReadyRequest;
import io.modelplane.api.grpc.oip.OpenInference.ServerLiveRequest;
import io.modelplane.api.grpc.oip.OpenInference.ServerMetadataRequest;
import io.modelplane.api.grpc.oip.OpenInference.ServerReadyRequest;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol v2 gRPC service end to end with a client generated from the protocol's
 * proto: a real node, real workers, the real digits model, and the REST API beside it for comparison.
 */
class GrpcPredictApiTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @TempDir static Path dataDir;
  static Main.Node node;
  static ApiClient api;
  static ManagedChannel channel;
  static String demoKey;
  static JsonNode heldOut;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(dataDir, Map.of("modelplane.demo", true, "modelplane.api.max-infer-bytes", "1 MiB",
        "modelplane.inference.worker-memory-bytes", "1 MiB"));
    api = new ApiClient(node.baseUrl());
    assertThat(node.grpcAddress()).as("gRPC bound on a free port").isNotNull();
    assertThat(node.grpcAddress().getPort()).isPositive().isNotEqualTo(node.httpAddress().getPort());
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcAddress().getPort()).usePlaintext().build();
    demoKey = api.post("/api/v1/tenants/demo/api-keys", OP, Map.of("name", "grpc", "role", "developer"))
        .json().get("key").asText();
    Map<String, Object> unlimited = new HashMap<>();
    unlimited.put("requestsPerSecond", null);
    unlimited.put("maxConcurrentRequests", null);
    assertThat(api.patch("/api/v1/tenants/demo", OP, Map.of("quota", unlimited)).status()).isEqualTo(200);
    try (InputStream in = GrpcPredictApiTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits-heldout.json")) {
      heldOut = ApiClient.JSON.readTree(in);
    }
    TestNodes.eventually(Duration.ofSeconds(60),
        () -> stub(demoKey).modelReady(ModelReadyRequest.newBuilder().setName("digits").build()).getReady(),
        "demo digits ready over gRPC");
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    node.stop();
  }

  static GRPCInferenceServiceBlockingStub stub(String credential) {
    GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(java.time.Duration.ofSeconds(30));
    if (credential == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + credential);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  static float[] pixels(int i) {
    JsonNode row = heldOut.get("inputs").get(i);
    float[] p = new float[row.size()];
    for (int j = 0; j < p.length; j++) {
      p[j] = (float) row.get(j).asDouble();
    }
    return p;
  }

  static ModelInferRequest.InferInputTensor.Builder input(String datatype, long... shape) {
    ModelInferRequest.InferInputTensor.Builder b = ModelInferRequest.InferInputTensor.newBuilder()
        .setName("input").setDatatype(datatype);
    for (long d : shape) {
      b.addShape(d);
    }
    return b;
  }

  static ModelInferRequest typed(String model, float[] pixels) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (float v : pixels) {
      c.addFp32Contents(v);
    }
    return ModelInferRequest.newBuilder().setModelName(model)
        .addInputs(input("FP32", 1, pixels.length).setContents(c)).build();
  }

  static ModelInferRequest raw(String model, float[] pixels) {
    ByteBuffer b = ByteBuffer.allocate(pixels.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : pixels) {
      b.putFloat(v);
    }
    return ModelInferRequest.newBuilder().setModelName(model)
        .addInputs(input("FP32", 1, pixels.length)).addRawInputContents(ByteString.copyFrom(b.array())).build();
  }

  static float[] rawFloats(ByteString bytes) {
    ByteBuffer b = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] f = new float[bytes.size() / 4];
    for (int i = 0; i < f.length; i++) {
      f[i] = b.getFloat();
    }
    return f;
  }

  static float[] typedFloats(ModelInferResponse r) {
    List<Float> values = r.getOutputs(0).getContents().getFp32ContentsList();
    float[] f = new float[values.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = values.get(i);
    }
    return f;
  }

  /** Asserts the call fails with {@code code} and the API error code {@code error} in trailers and details. */
  static StatusRuntimeException assertFails(Runnable call, Status.Code code, String error) {
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, call::run);
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
    assertThat(e.getTrailers().get(GrpcErrors.ERROR_CODE)).as(e.getStatus().toString()).isEqualTo(error);
    com.google.rpc.Status details = StatusProto.fromThrowable(e);
    assertThat(details).isNotNull();
    assertThat(details.getCode()).isEqualTo(code.value());
    assertThat(details.getDetailsList()).anySatisfy(any -> {
      assertThat(any.is(ErrorInfo.class)).isTrue();
      assertThat(any.unpack(ErrorInfo.class).getReason()).isEqualTo(error);
    });
    return e;
  }

  @Test
  void serverRpcsNeedNoCredential() {
    assertThat(stub(null).serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(stub(null).serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    var metadata = stub(null).serverMetadata(ServerMetadataRequest.getDefaultInstance());
    JsonNode rest = api.get("/v2", null).json();
    assertThat(metadata.getName()).isEqualTo(rest.get("name").asText()).isEqualTo("modelplane");
    assertThat(metadata.getVersion()).isEqualTo(rest.get("version").asText());
  }

  @Test
  void modelReadyAndMetadataAnswerAsRestDoes() throws Exception {
    assertThat(stub(demoKey).modelReady(ModelReadyRequest.newBuilder().setName("digits").build()).getReady()).isTrue();
    assertThat(stub(demoKey).modelReady(ModelReadyRequest.newBuilder().setName("digits").setVersion("1").build())
        .getReady()).isTrue();
    ModelMetadataResponse m = stub(demoKey).modelMetadata(ModelMetadataRequest.newBuilder().setName("digits").build());
    JsonNode rest = api.get("/v2/models/digits", demoKey).json();
    assertThat(m.getName()).isEqualTo("digits");
    assertThat(m.getPlatform()).isEqualTo(rest.get("platform").asText());
    List<String> versions = new ArrayList<>();
    rest.get("versions").forEach(v -> versions.add(v.asText()));
    assertThat(m.getVersionsList()).containsExactlyElementsOf(versions);
    assertThat(m.getInputsCount()).isEqualTo(1);
    assertThat(m.getInputs(0).getName()).isEqualTo("input");
    assertThat(m.getInputs(0).getDatatype()).isEqualTo("FP32");
    assertThat(m.getInputs(0).getShapeList()).containsExactly(-1L, 64L);
    assertThat(m.getOutputs(0).getName()).isEqualTo(rest.get("outputs").get(0).get("name").asText());
    assertThat(m.getOutputs(0).getShapeList()).containsExactly(-1L, 10L);
    assertThat(stub(demoKey).modelMetadata(ModelMetadataRequest.newBuilder().setName("digits").setVersion("1").build())
        .getName()).isEqualTo("digits");
  }

  @Test
  void rawAndTypedTensorsGiveTheRestOutputsForAllHeldOutDigits() {
    int n = heldOut.get("inputs").size();
    assertThat(n).isEqualTo(360);
    int correct = 0;
    for (int i = 0; i < n; i++) {
      float[] pixels = pixels(i);
      JsonNode restOut = api.post("/v2/models/digits/infer", demoKey, Map.of("inputs", List.of(Map.of(
          "name", "input", "shape", List.of(1, 64), "datatype", "FP32", "data", heldOut.get("inputs").get(i)))))
          .json().get("outputs").get(0);
      float[] rest = new float[restOut.get("data").size()];
      for (int j = 0; j < rest.length; j++) {
        rest[j] = (float) restOut.get("data").get(j).asDouble();
      }
      ModelInferResponse typed = stub(demoKey).modelInfer(typed("digits", pixels).toBuilder().setId("t-" + i).build());
      assertThat(typed.getId()).isEqualTo("t-" + i);
      assertThat(typed.getModelName()).isEqualTo("digits");
      assertThat(typed.getModelVersion()).isEqualTo("1");
      assertThat(typed.getRawOutputContentsCount()).isZero();
      assertThat(typed.getOutputs(0).getShapeList()).containsExactly(1L, 10L);
      assertThat(typed.getOutputs(0).getDatatype()).isEqualTo("FP32");
      ModelInferResponse raw = stub(demoKey).modelInfer(raw("digits", pixels));
      assertThat(raw.getOutputs(0).hasContents()).isFalse();
      assertThat(raw.getRawOutputContentsCount()).isEqualTo(1);
      assertThat(typedFloats(typed)).as("digit %d typed", i).containsExactly(rest);
      assertThat(rawFloats(raw.getRawOutputContents(0))).as("digit %d raw", i).containsExactly(rest);
      int best = 0;
      for (int j = 1; j < rest.length; j++) {
        best = rest[j] > rest[best] ? j : best;
      }
      correct += best == heldOut.get("labels").get(i).asInt() ? 1 : 0;
    }
    assertThat(correct).as("held-out accuracy").isGreaterThan(n * 9 / 10);
  }

  /**
   * Calls run on the connection's event loop: many in flight at once on one connection must each get
   * their own answer (their id, their digit's output), none waiting for another's forward pass.
   */
  @Test
  void concurrentCallsOnOneConnectionEachGetTheirOwnAnswer() throws Exception {
    int n = 64;
    float[][] expected = new float[n][];
    for (int i = 0; i < n; i++) {
      expected[i] = rawFloats(stub(demoKey).modelInfer(raw("digits", pixels(i))).getRawOutputContents(0));
    }
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + demoKey);
    GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub async = GRPCInferenceServiceGrpc.newFutureStub(channel)
        .withDeadlineAfter(java.time.Duration.ofSeconds(30))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    List<com.google.common.util.concurrent.ListenableFuture<ModelInferResponse>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(async.modelInfer(raw("digits", pixels(i)).toBuilder().setId("c-" + i).build()));
    }
    for (int i = 0; i < n; i++) {
      ModelInferResponse r = calls.get(i).get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.getId()).isEqualTo("c-" + i);
      // batched with the others: the same values up to float rounding
      float[] got = rawFloats(r.getRawOutputContents(0));
      assertThat(got).as("digit %d", i).hasSameSizeAs(expected[i]);
      for (int j = 0; j < got.length; j++) {
        assertThat(got[j]).as("digit %d output %d", i, j)
            .isCloseTo(expected[i][j], org.assertj.core.data.Offset.offset(1e-4f * Math.max(1, Math.abs(expected[i][j]))));
      }
    }
  }

  @Test
  void outputFormAndSelectionFollowTheRequest() {
    float[] pixels = pixels(0);
    ModelInferRequest typedButRaw = typed("digits", pixels).toBuilder()
        .putParameters("binary_data_output", InferParameter.newBuilder().setBoolParam(true).build())
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("logits")).build();
    ModelInferResponse r = stub(demoKey).modelInfer(typedButRaw);
    assertThat(r.getRawOutputContentsCount()).isEqualTo(1);
    assertThat(rawFloats(r.getRawOutputContents(0))).containsExactly(typedFloats(stub(demoKey).modelInfer(typed("digits", pixels))));
    // a batch of two in one raw tensor
    float[] two = new float[128];
    System.arraycopy(pixels, 0, two, 0, 64);
    System.arraycopy(pixels(1), 0, two, 64, 64);
    ModelInferRequest batch = raw("digits", two).toBuilder()
        .setInputs(0, input("FP32", 2, 64)).build();
    ModelInferResponse b = stub(demoKey).modelInfer(batch);
    assertThat(b.getOutputs(0).getShapeList()).containsExactly(2L, 10L);
    assertThat(b.getRawOutputContents(0).size()).isEqualTo(2 * 10 * 4);
    // a version asked for by number
    assertThat(stub(demoKey).modelInfer(typed("digits", pixels).toBuilder().setModelVersion("1").build())
        .getModelVersion()).isEqualTo("1");
  }

  @Test
  void everyErrorHasItsDocumentedCode() {
    float[] pixels = pixels(0);
    ModelInferRequest good = typed("digits", pixels);
    // UNAUTHENTICATED
    assertFails(() -> stub(null).modelInfer(good), Status.Code.UNAUTHENTICATED, "missing_credential");
    assertFails(() -> stub("mp_nonsense").modelInfer(good), Status.Code.UNAUTHENTICATED, "invalid_credential");
    assertFails(() -> stub(null).modelReady(ModelReadyRequest.newBuilder().setName("digits").build()),
        Status.Code.UNAUTHENTICATED, "missing_credential");
    // PERMISSION_DENIED
    assertFails(() -> stub(OP).modelInfer(good), Status.Code.PERMISSION_DENIED, "tenant_credential_required");
    String viewer = api.post("/api/v1/tenants/demo/api-keys", OP, Map.of("name", "gv", "role", "viewer"))
        .json().get("key").asText();
    assertFails(() -> stub(viewer).modelInfer(good), Status.Code.PERMISSION_DENIED, "forbidden");
    // NOT_FOUND
    assertFails(() -> stub(demoKey).modelInfer(typed("nope", pixels)), Status.Code.NOT_FOUND, "model_not_found");
    assertFails(() -> stub(demoKey).modelInfer(typed("", pixels)), Status.Code.NOT_FOUND, "model_not_found");
    assertFails(() -> stub(demoKey).modelInfer(good.toBuilder().setModelVersion("7").build()),
        Status.Code.NOT_FOUND, "version_not_found");
    assertFails(() -> stub(demoKey).modelInfer(good.toBuilder().setModelVersion("latest").build()),
        Status.Code.NOT_FOUND, "version_not_found");
    assertFails(() -> stub(demoKey).modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build()),
        Status.Code.NOT_FOUND, "model_not_found");
    assertFails(() -> stub(demoKey).modelReady(ModelReadyRequest.newBuilder().setName("digits").setVersion("7").build()),
        Status.Code.NOT_FOUND, "version_not_found");
    // INVALID_ARGUMENT: REST's 422s and 400s
    InferTensorContents.Builder sixtyThree = InferTensorContents.newBuilder();
    for (int i = 0; i < 63; i++) {
      sixtyThree.addFp32Contents(pixels[i]);
    }
    assertFails(() -> stub(demoKey).modelInfer(ModelInferRequest.newBuilder().setModelName("digits")
        .addInputs(input("FP32", 1, 63).setContents(sixtyThree)).build()), Status.Code.INVALID_ARGUMENT, "shape_mismatch");
    assertFails(() -> stub(demoKey).modelInfer(ModelInferRequest.newBuilder().setModelName("digits")
        .addInputs(input("FP32", 2, 64).setContents(good.getInputs(0).getContents())).build()),
        Status.Code.INVALID_ARGUMENT, "data_length_mismatch");
    InferTensorContents.Builder ints = InferTensorContents.newBuilder();
    for (int i = 0; i < 64; i++) {
      ints.addIntContents(1);
    }
    assertFails(() -> stub(demoKey).modelInfer(ModelInferRequest.newBuilder().setModelName("digits")
        .addInputs(input("INT32", 1, 64).setContents(ints)).build()), Status.Code.INVALID_ARGUMENT, "datatype_mismatch");
    assertFails(() -> stub(demoKey).modelInfer(ModelInferRequest.newBuilder().setModelName("digits")
        .addInputs(input("FP32", 1, 64).setContents(ints)).build()), Status.Code.INVALID_ARGUMENT, "invalid_input");
    assertFails(() -> stub(demoKey).modelInfer(good.toBuilder().setInputs(0, good.getInputs(0).toBuilder().setName("pixels"))
        .build()), Status.Code.INVALID_ARGUMENT, "unknown_input");
    assertFails(() -> stub(demoKey).modelInfer(ModelInferRequest.newBuilder().setModelName("digits").build()),
        Status.Code.INVALID_ARGUMENT, "missing_input");
    assertFails(() -> stub(demoKey).modelInfer(good.toBuilder().addOutputs(
        ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probabilities")).build()),
        Status.Code.INVALID_ARGUMENT, "unknown_output");
    ModelInferRequest raw = raw("digits", pixels);
    assertFails(() -> stub(demoKey).modelInfer(raw.toBuilder().addRawInputContents(ByteString.copyFrom(new byte[4])).build()),
        Status.Code.INVALID_ARGUMENT, "invalid_binary_data");
    assertFails(() -> stub(demoKey).modelInfer(raw.toBuilder().setRawInputContents(0, ByteString.copyFrom(new byte[252]))
        .build()), Status.Code.INVALID_ARGUMENT, "data_length_mismatch");
    assertFails(() -> stub(demoKey).modelInfer(raw.toBuilder().setInputs(0, good.getInputs(0)).build()),
        Status.Code.INVALID_ARGUMENT, "invalid_input");
    assertFails(() -> stub(demoKey).modelInfer(good.toBuilder()
        .putParameters("binary_data_output", InferParameter.newBuilder().setStringParam("yes").build()).build()),
        Status.Code.INVALID_ARGUMENT, "invalid_input");
    assertFails(() -> stub(demoKey).modelInfer(ModelInferRequest.newBuilder().setModelName("digits")
        .addInputs(input("FP16", 1, 64)).addRawInputContents(ByteString.copyFrom(new byte[128])).build()),
        Status.Code.INVALID_ARGUMENT, "unsupported_datatype");
    // RESOURCE_EXHAUSTED: a message over the limit of REST bodies (1 MiB here) is refused by gRPC itself
    StatusRuntimeException tooBig = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
        stub(demoKey).modelInfer(raw("digits", new float[300_000]).toBuilder().setInputs(0, input("FP32", 4_687, 64))
            .build()));
    assertThat(tooBig.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    // the service still answers after all of that
    assertThat(stub(demoKey).modelInfer(good).getOutputsCount()).isEqualTo(1);
  }

  @Test
  void overTheRateLimitIsResourceExhaustedWithTheRetryDelayInTrailers() throws Exception {
    api.post("/api/v1/tenants", OP, Map.of("id", "grpc-limited", "displayName", "Limited",
        "quota", Map.of("requestsPerSecond", 0.1, "burst", 2)));
    String key = api.post("/api/v1/tenants/grpc-limited/api-keys", OP, Map.of("name", "k", "role", "developer"))
        .json().get("key").asText();
    byte[] model;
    try (InputStream in = GrpcPredictApiTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits.pt")) {
      model = in.readAllBytes();
    }
    assertThat(api.upload("grpc-limited", "digits", key, ApiClient.digitsManifest(), model).status()).isEqualTo(201);
    api.put("/api/v1/tenants/grpc-limited/models/digits/deployment", key, Map.of("traffic", Map.of("1", 100)));
    TestNodes.eventually(Duration.ofSeconds(30),
        () -> stub(key).modelReady(ModelReadyRequest.newBuilder().setName("digits").build()).getReady(), "ready");

    AtomicReference<Metadata> trailers = new AtomicReference<>();
    AtomicReference<Metadata> headers = new AtomicReference<>();
    ModelInferRequest one = typed("digits", pixels(0));
    stub(key).withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers)).modelInfer(one);
    assertThat(trailers.get().get(Metadata.Key.of("ratelimit-limit", Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("1");
    assertThat(trailers.get().get(Metadata.Key.of("ratelimit-remaining", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("1");
    stub(key).modelInfer(one);
    StatusRuntimeException refused = assertFails(() -> stub(key).modelInfer(one), Status.Code.RESOURCE_EXHAUSTED,
        "rate_limited");
    int retry = Integer.parseInt(refused.getTrailers().get(GrpcErrors.RETRY_AFTER));
    assertThat(retry).isBetween(1, 10);
    RetryInfo info = StatusProto.fromThrowable(refused).getDetailsList().stream()
        .filter(a -> a.is(RetryInfo.class)).findFirst().orElseThrow().unpack(RetryInfo.class);
    assertThat(info.getRetryDelay().getSeconds()).isEqualTo(retry);
    assertThat(api.get("/metrics", OP).raw().body())
        .containsPattern("modelplane_admission_decisions_total\\{outcome=\"rate_limited\",tenant=\"grpc-limited\"} [1-9]");
    // another tenant is unaffected
    assertThat(stub(demoKey).modelInfer(one).getOutputsCount()).isEqualTo(1);
  }

  @Test
  void aVersionThatCannotLoadIsUnavailable() {
    api.post("/api/v1/tenants", OP, Map.of("id", "grpc-broken", "displayName", "Broken"));
    String key = api.post("/api/v1/tenants/grpc-broken/api-keys", OP, Map.of("name", "k", "role", "developer"))
        .json().get("key").asText();
    assertThat(api.upload("grpc-broken", "junk", key, ApiClient.digitsManifest(), TestModels.admittedButBroken())
        .status()).isEqualTo(201);
    api.put("/api/v1/tenants/grpc-broken/models/junk/deployment", key, Map.of("traffic", Map.of("1", 100)));
    TestNodes.eventually(Duration.ofSeconds(30), () -> ApiClient.each(
        api.get("/api/v1/tenants/grpc-broken/models/junk", key).json().get("replicas"), "state").contains("FAILED"),
        "replica failed");
    StatusRuntimeException e = assertFails(() -> stub(key).modelInfer(typed("junk", pixels(0))),
        Status.Code.UNAVAILABLE, "model_failed");
    assertThat(e.getTrailers().get(GrpcErrors.RETRY_AFTER)).isNotBlank();
    assertThat(stub(key).modelReady(ModelReadyRequest.newBuilder().setName("junk").build()).getReady()).isFalse();
  }

  @Test
  void aBadGrpcPortSettingRefusesTheStart(@TempDir Path dir) {
    for (String bad : List.of("http", "-1", "70000")) {
      assertThatThrownBy(() -> Main.init(TestNodes.config(dir, Map.of("modelplane.grpc.port", bad))))
          .isInstanceOf(RefusedSettingException.class)
          .hasMessageContaining("MODELPLANE_GRPC_PORT")
          .hasMessageContaining(bad);
    }
  }
}
