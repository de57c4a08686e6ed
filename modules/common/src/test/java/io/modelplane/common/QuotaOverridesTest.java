package io.modelplane.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QuotaOverridesTest {
  private static final Quota PLAN = new Quota(100.0, 200, 32, 20, 50, 1000L, 3600L);

  @Test
  void overriddenLimitsReplaceThePlansAndNullMeansUnlimited() {
    QuotaOverrides overrides = QuotaOverrides.of(new Quota(5.0, null, null, null, null, null, null),
        Set.of("requestsPerSecond", "monthlyComputeSeconds"));

    assertThat(overrides.over(PLAN)).isEqualTo(new Quota(5.0, 200, 32, 20, 50, 1000L, null));
    assertThat(QuotaOverrides.none().over(PLAN)).isEqualTo(PLAN);
  }

  @Test
  void differencesKeepAQuotaExactlyOverItsBase() {
    Quota tenant = new Quota(50.0, 200, 32, 5, 10, null, 3600L);

    QuotaOverrides overrides = QuotaOverrides.differences(PLAN, tenant);

    assertThat(overrides.limits()).containsExactly("requestsPerSecond", "maxModels", "maxVersionsPerModel",
        "maxResidentBytes");
    assertThat(overrides.over(PLAN)).isEqualTo(tenant);
    assertThat(QuotaOverrides.differences(PLAN, PLAN).isEmpty()).isTrue();
  }

  @Test
  void equalOverridesAreEqualWhateverTheUnnamedValues() {
    assertThat(QuotaOverrides.differences(PLAN, PLAN)).isEqualTo(QuotaOverrides.none());
    assertThat(new QuotaOverrides(PLAN, List.of("burst"))).isEqualTo(new QuotaOverrides(
        new Quota(null, 200, null, null, null, null, null), List.of("burst")));
  }

  @Test
  void newerOverridesWinAndTheOthersStay() {
    QuotaOverrides older = QuotaOverrides.of(new Quota(5.0, 10, null, null, null, null, null),
        Set.of("requestsPerSecond", "burst"));
    QuotaOverrides newer = QuotaOverrides.of(new Quota(7.0, null, null, 3, null, null, null),
        Set.of("requestsPerSecond", "maxModels"));

    QuotaOverrides both = older.and(newer);

    assertThat(both.asMap()).containsExactly(java.util.Map.entry("requestsPerSecond", 7.0),
        java.util.Map.entry("burst", 10), java.util.Map.entry("maxModels", 3));
  }

  @Test
  void onlyLimitsOfAQuotaCanBeOverridden() {
    assertThatThrownBy(() -> new QuotaOverrides(PLAN, List.of("color"))).isInstanceOf(IllegalArgumentException.class);
  }
}
