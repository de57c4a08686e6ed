package io.modelplane.api;

import static org.assertj.core.api.Assertions.assertThat;

import akka.util.ByteString;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.TensorCodec;
import java.util.List;

/**
 * Coverage-guided fuzzing of what the HTTP edge parses from untrusted bytes: a predict body (strict JSON,
 * then the tensor decoder) and a version upload's manifest part. The property: a 4xx {@link ApiError}
 * (with a code and a sentence) or {@link InvalidInputException}, or a valid result; never another
 * exception (which would be a 500). Without {@code JAZZER_FUZZ} the committed inputs under
 * {@code RequestParsingFuzzTestInputs/} run as regression tests; with {@code JAZZER_FUZZ=1} Jazzer fuzzes.
 */
class RequestParsingFuzzTest {
  private static final List<TensorSpec> DIGITS = List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L)));

  @FuzzTest(maxDuration = "60s")
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

  @FuzzTest(maxDuration = "60s")
  void versionManifest(byte[] part) {
    VersionManifest manifest;
    try {
      manifest = VersionUpload.parseManifest(part);
    } catch (ApiError refused) {
      assertClientError(refused);
      return;
    }
    // what passed is what the model entity and the workers rely on
    assertThat(VersionManifest.FORMATS).contains(manifest.format());
    assertThat(manifest.inputs()).isNotEmpty().allSatisfy(t -> assertThat(t.violation()).isNull());
    assertThat(manifest.outputs()).isNotEmpty().allSatisfy(t -> assertThat(t.violation()).isNull());
    assertThat(manifest.sha256()).satisfiesAnyOf(s -> assertThat(s).isNull(), s -> assertThat(s).matches("[0-9a-f]{64}"));
  }

  private static void assertClientError(ApiError refused) {
    assertThat(refused.status().intValue()).isBetween(400, 499);
    assertThat(refused.code()).isNotBlank();
    assertThat(refused.getMessage()).isNotBlank();
  }
}
