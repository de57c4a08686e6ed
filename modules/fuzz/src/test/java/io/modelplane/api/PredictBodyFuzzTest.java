package io.modelplane.api;

import static org.assertj.core.api.Assertions.assertThat;

import akka.util.ByteString;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.api.predict.TensorCodec;
import java.util.List;

/**
 * Coverage-guided fuzzing of a predict body as the HTTP edge reads it: strict JSON, then the tensor
 * decoder. The property: a 4xx {@link ApiError} with a code and a sentence, an
 * {@link InvalidInputException}, or tensors; never another exception (which would be a 500). Without
 * {@code JAZZER_FUZZ} the committed inputs under {@code PredictBodyFuzzTestInputs/} run as regression
 * tests; with {@code JAZZER_FUZZ=1} Jazzer fuzzes (one target per class: Jazzer fuzzes one per JVM).
 */
class PredictBodyFuzzTest {
  /** How long each target fuzzes with JAZZER_FUZZ=1 (CI runs every target once). */
  static final String BUDGET = "20s";
  private static final List<TensorSpec> DIGITS = List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L)));

  @FuzzTest(maxDuration = BUDGET)
  void predictBody(byte[] body) {
    JsonNode request;
    try {
      request = Json.parseObject(ByteString.fromArrayUnsafe(body));
    } catch (ApiError refused) {
      assertClientError(refused);
      return;
    }
    try {
      TensorCodec.decodeInputs(request.get("inputs"), DIGITS, TensorCodec.DEFAULT_MAX_ELEMENTS, null);
    } catch (InvalidInputException refused) {
      assertThat(refused.code()).isNotBlank();
    }
  }

  static void assertClientError(ApiError refused) {
    assertThat(refused.status().intValue()).isBetween(400, 499);
    assertThat(refused.code()).isNotBlank();
    assertThat(refused.getMessage()).isNotBlank();
  }
}
