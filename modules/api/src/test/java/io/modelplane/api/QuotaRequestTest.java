package io.modelplane.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.Quota;
import org.junit.jupiter.api.Test;

class QuotaRequestTest {
  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text);
  }

  @Test
  void limitsNotNamedKeepTheBase() throws Exception {
    Quota quota = QuotaRequest.over(Quota.defaults(), json("{\"requestsPerSecond\": 50, \"burst\": 100, \"maxModels\": 10}"));

    Quota plan = Quota.defaults();
    assertThat(quota).isEqualTo(new Quota(50.0, 100, plan.maxConcurrentRequests(), 10, plan.maxVersionsPerModel(),
        plan.maxResidentBytes(), plan.monthlyComputeSeconds()));
    assertThat(quota.maxConcurrentRequests()).isNotNull();
    assertThat(quota.maxResidentBytes()).isNotNull();
  }

  @Test
  void anExplicitNullMeansUnlimited() throws Exception {
    Quota quota = QuotaRequest.over(Quota.defaults(), json("{\"maxModels\": null, \"burst\": 5}"));

    assertThat(quota.maxModels()).isNull();
    assertThat(quota.burst()).isEqualTo(5);
    assertThat(quota.maxVersionsPerModel()).isEqualTo(Quota.defaults().maxVersionsPerModel());
  }

  @Test
  void noQuotaOrNullIsTheBaseAsItIs() throws Exception {
    Quota base = new Quota(1.0, 2, 3, 4, 5, 6L, 7L);
    assertThat(QuotaRequest.over(base, null)).isEqualTo(base);
    assertThat(QuotaRequest.over(base, json("null"))).isEqualTo(base);
    assertThat(QuotaRequest.over(base, json("{}"))).isEqualTo(base);
  }

  @Test
  void aPatchChangesOnlyWhatItNames() throws Exception {
    Quota current = new Quota(10.0, 20, null, 3, 4, null, 100L);
    assertThat(QuotaRequest.over(current, json("{\"maxModels\": 9}")))
        .isEqualTo(new Quota(10.0, 20, null, 9, 4, null, 100L));
  }

  @Test
  void badShapesAreRefusedWithClearErrors() throws Exception {
    assertThatThrownBy(() -> QuotaRequest.over(Quota.defaults(), json("[1]")))
        .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.code()).isEqualTo("invalid_quota"));
    assertThatThrownBy(() -> QuotaRequest.over(Quota.defaults(), json("{\"maxModelz\": 1}")))
        .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.code()).isEqualTo("invalid_request"));
  }
}
