package io.modelplane.api.predict;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.api.ApiError;
import io.modelplane.inference.gateway.PredictFailure;
import io.modelplane.inference.gateway.PredictFailure.Code;
import io.modelplane.inference.runtime.InvalidInputException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PredictErrorsTest {

  static ApiError map(Code code, Integer retryAfter) {
    return PredictErrors.toApiError(new PredictFailure(code, "why", retryAfter, null));
  }

  @Test
  void everyCodeHasItsStatusAndWireCode() {
    Map<Code, Integer> statuses = Map.ofEntries(
        Map.entry(Code.RATE_LIMITED, 429), Map.entry(Code.CONCURRENCY_LIMITED, 429), Map.entry(Code.BUDGET_EXHAUSTED, 429),
        Map.entry(Code.MODEL_NOT_FOUND, 404), Map.entry(Code.MODEL_NOT_DEPLOYED, 404),
        Map.entry(Code.VERSION_NOT_FOUND, 404), Map.entry(Code.VERSION_NOT_DEPLOYED, 404),
        Map.entry(Code.QUOTA_EXCEEDED, 503), Map.entry(Code.MODEL_FAILED, 503), Map.entry(Code.MODEL_LOADING, 503),
        Map.entry(Code.CAPACITY_EXCEEDED, 503), Map.entry(Code.MODEL_NOT_RESIDENT, 503),
        Map.entry(Code.WORKER_UNAVAILABLE, 503), Map.entry(Code.INFERENCE_TIMEOUT, 504), Map.entry(Code.MODEL_ERROR, 422),
        Map.entry(Code.OUTPUT_MISMATCH, 502));
    statuses.forEach((code, status) -> {
      ApiError error = map(code, 7);
      assertThat(error.status().intValue()).as(code.name()).isEqualTo(status);
      assertThat(error.code()).isEqualTo(code.name().toLowerCase());
      assertThat(error.getMessage()).isEqualTo("why");
    });
    // the pipeline says when to retry; the answer carries it
    assertThat(map(Code.QUOTA_EXCEEDED, 30).retryAfterSeconds()).isEqualTo(30);
    assertThat(map(Code.RATE_LIMITED, 2).retryAfterSeconds()).isEqualTo(2);
    assertThat(map(Code.INFERENCE_TIMEOUT, null).retryAfterSeconds()).isNull();
  }

  @Test
  void invalidInputIsTheInputsOwnCodeAs400Or422() {
    ApiError malformed = PredictErrors.toApiError(new PredictFailure(Code.INVALID_INPUT, "m", null,
        InvalidInputException.malformed(InvalidInputException.INVALID_INPUT, "not an array")));
    assertThat(malformed.status().intValue()).isEqualTo(400);
    assertThat(malformed.code()).isEqualTo("invalid_input");
    ApiError wrong = PredictErrors.toApiError(new PredictFailure(Code.INVALID_INPUT, "m", null,
        InvalidInputException.unprocessable(InvalidInputException.SHAPE_MISMATCH, "3 wide")));
    assertThat(wrong.status().intValue()).isEqualTo(422);
    assertThat(wrong.code()).isEqualTo("shape_mismatch");
    assertThat(wrong.getMessage()).isEqualTo("3 wide");
  }

  @Test
  void theEdgesOwnFailuresKeepTheirAnswer() {
    ApiError tooLarge = ApiError.badRequest("invalid_json", "not JSON");
    assertThat(PredictErrors.toApiError(new PredictFailure(Code.REQUEST_FAILED, "x", null, tooLarge))).isSameAs(tooLarge);
    assertThat(PredictErrors.status(new PredictFailure(Code.REQUEST_FAILED, "x", null, new IllegalStateException("bug"))))
        .isEqualTo(500);
  }
}
