package io.modelplane.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.http.javadsl.model.StatusCodes;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.modelplane.api.ApiError;
import io.modelplane.api.predict.PredictErrors;
import io.modelplane.inference.gateway.PredictFailure;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {

  @Test
  void httpStatusesMapAsDocumented() {
    Map<Integer, Status.Code> documented = Map.ofEntries(
        Map.entry(400, Status.Code.INVALID_ARGUMENT), Map.entry(415, Status.Code.INVALID_ARGUMENT),
        Map.entry(422, Status.Code.INVALID_ARGUMENT), Map.entry(401, Status.Code.UNAUTHENTICATED),
        Map.entry(403, Status.Code.PERMISSION_DENIED), Map.entry(404, Status.Code.NOT_FOUND),
        Map.entry(409, Status.Code.FAILED_PRECONDITION), Map.entry(413, Status.Code.RESOURCE_EXHAUSTED),
        Map.entry(429, Status.Code.RESOURCE_EXHAUSTED), Map.entry(503, Status.Code.UNAVAILABLE),
        Map.entry(504, Status.Code.DEADLINE_EXCEEDED), Map.entry(500, Status.Code.INTERNAL),
        Map.entry(502, Status.Code.INTERNAL));
    documented.forEach((http, grpc) -> assertThat(GrpcErrors.code(http)).as("HTTP %d", http).isEqualTo(grpc));
  }

  @Test
  void everyPredictFailureHasACodeOtherThanUnknownOrOk() {
    for (PredictFailure.Code code : PredictFailure.Code.values()) {
      if (code == PredictFailure.Code.INVALID_INPUT || code == PredictFailure.Code.REQUEST_FAILED) {
        continue; // their status comes from the cause
      }
      ApiError error = PredictErrors.toApiError(new PredictFailure(code, "m", 3, null));
      assertThat(GrpcErrors.code(error.status().intValue())).as(code.name())
          .isNotIn(Status.Code.OK, Status.Code.UNKNOWN);
    }
  }

  @Test
  void aRefusalCarriesItsCodeAndRetryDelayInTrailersAndDetails() throws Exception {
    StatusRuntimeException e = GrpcErrors.toException(
        new ApiError(StatusCodes.TOO_MANY_REQUESTS, "rate_limited", "slow down", 7));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).isEqualTo("slow down");
    assertThat(e.getTrailers().get(GrpcErrors.ERROR_CODE)).isEqualTo("rate_limited");
    assertThat(e.getTrailers().get(GrpcErrors.RETRY_AFTER)).isEqualTo("7");
    RetryInfo retry = StatusProto.fromThrowable(e).getDetailsList().stream().filter(a -> a.is(RetryInfo.class))
        .findFirst().orElseThrow().unpack(RetryInfo.class);
    assertThat(retry.getRetryDelay().getSeconds()).isEqualTo(7);

    StatusRuntimeException plain = GrpcErrors.toException(ApiError.notFound("model_not_found", "no"));
    assertThat(plain.getTrailers().get(GrpcErrors.RETRY_AFTER)).isNull();
  }

  @Test
  void thePortSettingIsANumberOrOff() {
    assertThat(GrpcServer.port("8081")).isEqualTo(OptionalInt.of(8081));
    assertThat(GrpcServer.port(" 0 ")).isEqualTo(OptionalInt.of(0));
    assertThat(GrpcServer.port("off")).isEmpty();
    assertThat(GrpcServer.port("OFF")).isEmpty();
    for (String bad : new String[] {"", "http", "-1", "65536", "80.5", null}) {
      assertThatThrownBy(() -> GrpcServer.port(bad)).as(String.valueOf(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("MODELPLANE_GRPC_PORT")
          .hasMessageContaining("off");
    }
  }
}
