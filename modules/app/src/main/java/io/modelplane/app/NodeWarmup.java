package io.modelplane.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.api.Json;
import io.modelplane.api.predict.TensorCodec;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.Tensor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms the JIT on the code every predict call runs before the node reports ready, so that a fresh node's first
 * seconds of traffic do not wait for the compiler: the HTTP server's request parsing and answer rendering (over
 * loopback, on endpoints that need no credential), and the Open Inference Protocol body's JSON and binary decoding
 * and its answer's encoding, on made-up tensors. It touches no tenant: nothing is admitted, metered or audited.
 * Bounded in time; a failure is logged and the node starts anyway.
 */
final class NodeWarmup {

  private static final Logger log = LoggerFactory.getLogger(NodeWarmup.class);
  private static final List<TensorSpec> INPUTS = List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L)));
  private static final List<TensorSpec> OUTPUTS = List.of(new TensorSpec("logits", "FP32", List.of(-1L, 10L)));
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(2);

  /** What a warm-up did: rounds of decoding and encoding, HTTP calls answered and failed, how long it took. */
  record Result(long codecRounds, long httpAnswered, long httpFailed, Duration took) {}

  private NodeWarmup() {}

  /**
   * Runs on {@code executor} for at most {@code bound}; {@code http} null skips the HTTP part (an HTTPS node: its
   * certificate need not be one this process trusts). Never completes exceptionally.
   */
  static CompletionStage<Result> run(InetSocketAddress http, Duration bound, Executor executor) {
    CompletableFuture<Result> warming;
    try {
      warming = CompletableFuture.supplyAsync(() -> warm(http, bound), executor);
    } catch (RuntimeException e) {
      warming = CompletableFuture.failedFuture(e);
    }
    return warming.exceptionally(failure -> {
      log.warn("warm-up failed, the node starts without it: {}", failure.toString());
      return new Result(0, 0, 0, Duration.ZERO);
    });
  }

  static Result warm(InetSocketAddress http, Duration bound) {
    long started = System.nanoTime();
    long deadline = started + bound.toNanos();
    long rounds = 0;
    long answered = 0;
    long failed = 0;
    SplittableRandom random = new SplittableRandom(started);
    HttpClient client = http == null ? null
        : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CALL_TIMEOUT).build();
    List<HttpRequest> calls = http == null ? List.of() : List.of(
        get(http, "/v2/health/live"), get(http, "/v2/health/ready"), get(http, "/v2"));
    // the HTTP part stops at its first failure (nothing listens, a proxy in the way): the codec part goes on
    boolean httpUsable = client != null;
    // one full round even when the bound is shorter: both parts' code gets loaded at least
    do {
      codecRound(random);
      rounds++;
      if (httpUsable) {
        try {
          HttpResponse<byte[]> r = client.send(calls.get((int) (rounds % calls.size())),
              HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() < 500 || r.statusCode() == 503) {
            answered++;
          } else {
            failed++;
          }
        } catch (IOException e) {
          failed++;
          httpUsable = false;
          log.info("warm-up: no HTTP calls ({}), decoding and encoding only", e.toString());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    } while (System.nanoTime() < deadline);
    Result result = new Result(rounds, answered, failed, Duration.ofNanos(System.nanoTime() - started));
    log.info("warm-up: {} decode/encode rounds, {} HTTP calls answered, {} failed, in {} ms", result.codecRounds(),
        result.httpAnswered(), result.httpFailed(), result.took().toMillis());
    return result;
  }

  private static HttpRequest get(InetSocketAddress http, String path) {
    return HttpRequest.newBuilder(URI.create("http://" + http.getHostString() + ":" + http.getPort() + path))
        .timeout(CALL_TIMEOUT).GET().build();
  }

  /** One predict body decoded as JSON and as binary tensor data, and one answer encoded both ways. */
  static void codecRound(SplittableRandom random) {
    int rows = 1 + random.nextInt(4);
    StringBuilder data = new StringBuilder();
    ByteBuffer raw = ByteBuffer.allocate(rows * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < rows * 64; i++) {
      float v = random.nextInt(10_000) / 10_000f;
      data.append(i == 0 ? "" : ",").append(v);
      raw.putFloat(v);
    }
    String shape = "[" + rows + ",64]";
    byte[] json = ("{\"id\":\"warm-up\",\"inputs\":[{\"name\":\"input\",\"shape\":" + shape
        + ",\"datatype\":\"FP32\",\"data\":[" + data + "]}]}").getBytes(StandardCharsets.UTF_8);
    JsonNode request = Json.parseObject(akka.util.ByteString.fromArrayUnsafe(json));
    TensorCodec.requestId(request);
    TensorCodec.OutputSelection wanted = TensorCodec.selectOutputs(request, OUTPUTS);
    List<Tensor> decoded = TensorCodec.decodeInputs(request.get("inputs"), INPUTS);
    byte[] binaryJson = ("{\"inputs\":[{\"name\":\"input\",\"shape\":" + shape + ",\"datatype\":\"FP32\","
        + "\"parameters\":{\"binary_data_size\":" + raw.capacity() + "}}],"
        + "\"outputs\":[{\"name\":\"logits\",\"parameters\":{\"binary_data\":true}}]}").getBytes(StandardCharsets.UTF_8);
    JsonNode binaryRequest = Json.parseObject(akka.util.ByteString.fromArrayUnsafe(binaryJson));
    TensorCodec.selectOutputs(binaryRequest, OUTPUTS);
    TensorCodec.decodeInputs(binaryRequest.get("inputs"), INPUTS, TensorCodec.DEFAULT_MAX_ELEMENTS, raw.flip());
    byte[] logits = new byte[rows * 10 * 4];
    System.arraycopy(decoded.get(0).data(), 0, logits, 0, logits.length);
    Tensor output = new Tensor("logits", "FP32", new long[] {rows, 10}, logits);
    ObjectNode answer = Json.MAPPER.createObjectNode();
    answer.put("model_name", "warm-up");
    answer.put("model_version", "1");
    answer.put("id", "warm-up");
    ArrayNode outputs = answer.putArray("outputs");
    outputs.add(wanted.wants("logits") ? TensorCodec.encodeOutput(output) : TensorCodec.encodeBinaryOutput(output));
    outputs.add(TensorCodec.encodeBinaryOutput(output));
    try {
      Json.MAPPER.writeValueAsBytes(answer);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
