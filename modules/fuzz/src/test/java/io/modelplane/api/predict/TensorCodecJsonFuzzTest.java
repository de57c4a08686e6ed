package io.modelplane.api.predict;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.Tensor;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Coverage-guided fuzzing of the Open Inference Protocol's JSON tensor decoder (the binary tensor data
 * extension: {@link TensorCodecBinaryFuzzTest}; one fuzz target per class, as Jazzer fuzzes one per JVM). The property: whatever the bytes, decoding either returns tensors whose bytes match
 * their shape and datatype, or throws {@link InvalidInputException}; nothing else, no hang, and no
 * allocation out of proportion to the request (a small body must not make the server allocate what
 * its declared shape would need). Without {@code JAZZER_FUZZ} the committed inputs under
 * {@code TensorCodecJsonFuzzTestInputs/} run as regression tests; with {@code JAZZER_FUZZ=1} Jazzer fuzzes.
 */
class TensorCodecJsonFuzzTest {
  /** How long each target fuzzes with JAZZER_FUZZ=1 (CI runs every target once). */
  static final String BUDGET = "20s";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Model signatures to decode against, picked by the input's first byte: every datatype, fixed and free dims. */
  static final List<List<TensorSpec>> SIGNATURES = List.of(
      List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L))),
      List.of(new TensorSpec("ids", "INT64", List.of(-1L, -1L)), new TensorSpec("mask", "BOOL", List.of(-1L, -1L))),
      List.of(new TensorSpec("a", "UINT8", List.of(-1L)), new TensorSpec("b", "INT8", List.of(-1L)),
          new TensorSpec("c", "INT16", List.of(-1L, 2L)), new TensorSpec("d", "INT32", List.of(-1L)),
          new TensorSpec("e", "FP64", List.of(-1L, -1L, -1L))));

  static {
    // classes loaded and code paths touched once before anything is measured
    for (List<TensorSpec> specs : SIGNATURES) {
      for (String body : List.of("[]", "[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":[[1]]}]",
          "[{\"name\":\"" + specs.get(0).name() + "\",\"shape\":[1],\"datatype\":\"" + specs.get(0).datatype()
              + "\",\"parameters\":{\"binary_data_size\":1}}]")) {
        try {
          TensorCodec.decodeInputs(parse(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)), specs,
              TensorCodec.DEFAULT_MAX_ELEMENTS, ByteBuffer.wrap(new byte[8]));
        } catch (InvalidInputException expected) {
          // warming up only
        }
      }
    }
    THREADS.getCurrentThreadAllocatedBytes();
  }

  @FuzzTest(maxDuration = BUDGET)
  void jsonInputs(FuzzedDataProvider data) {
    List<TensorSpec> specs = SIGNATURES.get(data.consumeInt(0, SIGNATURES.size() - 1));
    byte[] body = data.consumeRemainingAsBytes();
    JsonNode inputs = parse(body);
    if (inputs == null) {
      return; // not JSON: the HTTP layer answers 400 malformed_json before the decoder runs
    }
    decode(inputs, specs, null, body.length);
  }

  static JsonNode parse(byte[] body) {
    try {
      JsonNode node = JSON.readTree(body);
      // the decoder gets the request's "inputs"; a bare array stands for it too, to reach the decoder more often
      return node == null ? null : node.isObject() ? node.get("inputs") : node;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  static void decode(JsonNode inputs, List<TensorSpec> specs, ByteBuffer binary, int requestBytes) {
    int position = binary == null ? 0 : binary.position();
    long allocated = allocatedBy(() -> decodeOnce(inputs, specs, binary));
    if (allocated > allowed(requestBytes)) {
      // classes loaded (and instrumented by the fuzzer) on first use are paid once; an amplification repeats
      if (binary != null) {
        binary.position(position);
      }
      allocated = allocatedBy(() -> decodeOnce(inputs, specs, binary));
    }
    assertThat(allocated).as("bytes allocated decoding a request of %d bytes", requestBytes)
        .isLessThanOrEqualTo(allowed(requestBytes));
  }

  private static void decodeOnce(JsonNode inputs, List<TensorSpec> specs, ByteBuffer binary) {
    List<Tensor> tensors;
    try {
      tensors = TensorCodec.decodeInputs(inputs, specs, TensorCodec.DEFAULT_MAX_ELEMENTS, binary);
    } catch (InvalidInputException refused) {
      assertThat(refused.code()).isNotBlank();
      assertThat(refused.getMessage()).isNotBlank();
      return;
    }
    assertThat(tensors).hasSize(specs.size());
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      assertThat(t.name()).isEqualTo(specs.get(i).name());
      assertThat(t.datatype()).isEqualTo(specs.get(i).datatype());
      assertThat((long) t.data().length).isEqualTo(t.elementCount() * Tensor.bytesPerElement(t.datatype()));
    }
  }

  private static long allocatedBy(Runnable run) {
    long before = THREADS.getCurrentThreadAllocatedBytes();
    run.run();
    return THREADS.getCurrentThreadAllocatedBytes() - before;
  }

  /**
   * A decoded element takes at most 8 bytes and is at least one byte of the request (binary) or two
   * (JSON "0,"): tensors are at most 8 times the request. Error messages, bookkeeping and the checks'
   * own objects fit in the constant. A small request claiming a huge shape must be refused before its
   * bytes are allocated.
   */
  private static long allowed(int requestBytes) {
    return 8L * 1024 * 1024 + 16L * requestBytes;
  }
}
