package io.modelplane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.runtime.ModelFootprint;
import io.modelplane.inference.runtime.ModelSpec;
import io.modelplane.inference.runtime.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One model under benchmark: its artifact and manifest, the batch sizes of the raw phase, the batch
 * settings of its deployment, and sample inputs. Raw forwards and HTTP requests use exactly the same
 * float values (each sample is formatted once and parsed back), so their outputs can be compared.
 */
record BenchModel(
    String name,
    Path artifact,
    String manifestJson,
    TensorSpec input,
    TensorSpec output,
    int[] rawBatches,
    int maxBatchSize,
    int maxBatchDelayMs,
    int defaultConcurrency,
    Duration defaultRawSeconds,
    Duration defaultWarmup,
    List<float[]> samples,
    List<String> sampleJson) {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final String DEMO = "/io/modelplane/inference/demo/";

  /** The digits MLP shipped in modules/inference (FP32 [-1,64] -> logits [-1,10]); samples are the held-out digits. */
  static BenchModel digits(Path workDir, int[] batch) throws IOException {
    Path artifact = workDir.resolve("digits.pt");
    try (InputStream in = resource("digits.pt")) {
      Files.copy(in, artifact, StandardCopyOption.REPLACE_EXISTING);
    }
    String manifest;
    JsonNode heldOut;
    try (InputStream m = resource("digits-manifest.json"); InputStream h = resource("digits-heldout.json")) {
      manifest = new String(m.readAllBytes(), StandardCharsets.UTF_8);
      heldOut = JSON.readTree(h);
    }
    List<float[]> samples = new ArrayList<>();
    for (JsonNode row : heldOut.get("inputs")) {
      float[] values = new float[row.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) row.get(i).asDouble();
      }
      samples.add(values);
    }
    return create("digits", artifact, manifest, new long[] {64}, 10, new int[] {1, 8, 32, 64, 128}, batch, 64,
        Duration.ofSeconds(3), Duration.ofSeconds(8), samples);
  }

  /**
   * A random-weight ResNet-18 (3x224x224 -> 1000 logits) made by ops/scripts/make-demo-models.py.
   * Its samples are random 8-bit images normalised with ImageNet's mean and deviation, 4 decimals.
   */
  static BenchModel resnet18(Path artifact, int[] batch) {
    if (!Files.isRegularFile(artifact)) {
      throw new IllegalArgumentException("no ResNet-18 TorchScript at " + artifact + "; make it with "
          + "/usr/bin/python3 ops/scripts/make-demo-models.py --resnet18 " + artifact);
    }
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("format", "torchscript");
    manifest.putArray("inputs").addObject().put("name", "input").put("datatype", "FP32")
        .putPOJO("shape", List.of(-1, 3, 224, 224));
    manifest.putArray("outputs").addObject().put("name", "logits").put("datatype", "FP32")
        .putPOJO("shape", List.of(-1, 1000));
    manifest.put("description", "ResNet-18 with random weights (benchmark only)");
    float[] mean = {0.485f, 0.456f, 0.406f};
    float[] std = {0.229f, 0.224f, 0.225f};
    SplittableRandom random = new SplittableRandom(7);
    List<float[]> samples = new ArrayList<>();
    for (int s = 0; s < 4; s++) {
      float[] image = new float[3 * 224 * 224];
      for (int i = 0; i < image.length; i++) {
        int channel = i / (224 * 224);
        image[i] = (random.nextInt(256) / 255f - mean[channel]) / std[channel];
      }
      samples.add(image);
    }
    return create("resnet18", artifact, manifest.toString(), new long[] {3, 224, 224}, 1000, new int[] {1, 4, 8}, batch,
        16, Duration.ofSeconds(8), Duration.ofSeconds(6), samples);
  }

  private static BenchModel create(String name, Path artifact, String manifest, long[] rowShape, int outputs,
      int[] rawBatches, int[] batch, int concurrency, Duration rawSeconds, Duration warmup, List<float[]> raw) {
    List<Long> inputShape = new ArrayList<>();
    inputShape.add(-1L);
    for (long d : rowShape) {
      inputShape.add(d);
    }
    List<float[]> samples = new ArrayList<>(raw.size());
    List<String> json = new ArrayList<>(raw.size());
    StringBuilder sb = new StringBuilder();
    for (float[] row : raw) {
      // the wire carries 4 decimals; the raw phase gets the very floats the server parses
      sb.setLength(0);
      sb.append('[');
      float[] exact = new float[row.length];
      for (int i = 0; i < row.length; i++) {
        if (i > 0) {
          sb.append(',');
        }
        int start = sb.length();
        appendFixed4(sb, row[i]);
        exact[i] = Float.parseFloat(sb.substring(start));
      }
      sb.append(']');
      samples.add(exact);
      json.add(sb.toString());
    }
    return new BenchModel(name, artifact, manifest,
        new TensorSpec("input", "FP32", inputShape), new TensorSpec("logits", "FP32", List.of(-1L, (long) outputs)),
        rawBatches, batch[0], batch[1], concurrency, rawSeconds, warmup, List.copyOf(samples), List.copyOf(json));
  }

  /** The spec ModelLoader loads for the raw phase. */
  ModelSpec spec() {
    try {
      // admitted for what it holds once loaded, as placement admits a deployed version
      return new ModelSpec(new VersionKey(ModelKey.of("bench", name), 1), artifact, "torchscript", List.of(input), List.of(output),
          ModelFootprint.estimate(artifact, Long.MAX_VALUE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One input tensor of {@code rows} samples (cycling through them), as the batch aggregator would concatenate them. */
  Tensor batch(int rows) {
    int rowElements = samples.get(0).length;
    ByteBuffer data = ByteBuffer.allocate(rows * rowElements * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int r = 0; r < rows; r++) {
      for (float v : samples.get(r % samples.size())) {
        data.putFloat(v);
      }
    }
    long[] shape = new long[input.shape().size()];
    shape[0] = rows;
    for (int i = 1; i < shape.length; i++) {
      shape[i] = input.shape().get(i);
    }
    return new Tensor(input.name(), input.datatype(), shape, data.array());
  }

  /** The OIP v2 JSON body predicting sample {@code i} alone (batch 1). */
  byte[] requestBody(int i) {
    StringBuilder shape = new StringBuilder("[1");
    for (int d = 1; d < input.shape().size(); d++) {
      shape.append(',').append(input.shape().get(d));
    }
    shape.append(']');
    String body = "{\"inputs\":[{\"name\":\"" + input.name() + "\",\"shape\":" + shape + ",\"datatype\":\"FP32\",\"data\":"
        + sampleJson.get(i % sampleJson.size()) + "}]}";
    return body.getBytes(StandardCharsets.UTF_8);
  }

  /** One predict request as sent: its body and, for the binary tensor data extension, its JSON part's length. */
  record Request(byte[] body, int jsonLength) {
    /** Whether the body is a JSON part followed by raw tensor bytes (Inference-Header-Content-Length). */
    boolean binary() {
      return jsonLength >= 0;
    }
  }

  /** Sample {@code i} alone (batch 1): as JSON data, or with {@code binary} as raw little-endian FP32. */
  Request request(int i, boolean binary) {
    if (!binary) {
      return new Request(requestBody(i), -1);
    }
    float[] sample = samples.get(i % samples.size());
    StringBuilder shape = new StringBuilder("[1");
    for (int d = 1; d < input.shape().size(); d++) {
      shape.append(',').append(input.shape().get(d));
    }
    shape.append(']');
    // the very floats the JSON request carries (parsed back from 4 decimals), so answers compare
    byte[] json = ("{\"inputs\":[{\"name\":\"" + input.name() + "\",\"shape\":" + shape
        + ",\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":" + sample.length * 4 + "}}]}")
        .getBytes(StandardCharsets.UTF_8);
    ByteBuffer body = ByteBuffer.allocate(json.length + sample.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    body.put(json);
    for (float v : sample) {
      body.putFloat(v);
    }
    return new Request(body.array(), json.length);
  }

  /** Distinct requests the load generator cycles through (at most {@code max}). */
  List<Request> requests(int max, boolean binary) {
    List<Request> requests = new ArrayList<>();
    for (int i = 0; i < Math.min(max, sampleJson.size()); i++) {
      requests.add(request(i, binary));
    }
    return requests;
  }

  /** The floats of the one output in an OIP v2 response body. */
  static float[] outputOf(byte[] responseBody) throws IOException {
    JsonNode data = JSON.readTree(responseBody).path("outputs").path(0).path("data");
    if (!(data instanceof ArrayNode array)) {
      throw new IOException("no outputs[0].data in " + new String(responseBody, 0, Math.min(300, responseBody.length),
          StandardCharsets.UTF_8));
    }
    float[] values = new float[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) array.get(i).asDouble();
    }
    return values;
  }

  /** The floats of row {@code row} of an FP32 tensor. */
  static float[] row(Tensor t, int row) {
    int rowElements = (int) (t.elementCount() / t.shape()[0]);
    float[] values = new float[rowElements];
    ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().position(row * rowElements).get(values);
    return values;
  }

  /** Largest absolute difference of two equally long float arrays (infinity when lengths differ). */
  static double maxDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      return Double.POSITIVE_INFINITY;
    }
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  /** {@code v} rounded to 4 decimals, without trailing zeros (fast: a ResNet sample has 150,528 values). */
  static void appendFixed4(StringBuilder sb, float v) {
    long q = Math.round(v * 10_000.0);
    if (q < 0) {
      sb.append('-');
      q = -q;
    }
    sb.append(q / 10_000);
    long frac = q % 10_000;
    if (frac != 0) {
      sb.append('.');
      char[] digits = {(char) ('0' + frac / 1000), (char) ('0' + frac / 100 % 10), (char) ('0' + frac / 10 % 10),
          (char) ('0' + frac % 10)};
      int end = 4;
      while (digits[end - 1] == '0') {
        end--;
      }
      sb.append(digits, 0, end);
    }
  }

  private static InputStream resource(String file) throws IOException {
    InputStream in = BenchModel.class.getResourceAsStream(DEMO + file);
    if (in == null) {
      throw new IOException("resource " + DEMO + file + " is not on the classpath (modelplane-inference)");
    }
    return in;
  }

  @Override
  public String toString() {
    return "BenchModel[" + name + ", " + artifact + ", raw batches " + Arrays.toString(rawBatches) + ", deployed "
        + maxBatchSize + "/" + maxBatchDelayMs + " ms]";
  }
}
