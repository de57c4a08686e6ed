package io.modelplane.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EngineThreadsPolicyTest {

  private static final long MS = 1_000_000;

  @Test
  void aModelWhoseForwardPassIsShortRunsOnOneThreadWhateverTheCores() {
    assertThat(EngineThreadsPolicy.choose(110_000, 2)).isEqualTo(1); // the digits MLP
    assertThat(EngineThreadsPolicy.choose(2 * MS - 1, 64)).isEqualTo(1);
    assertThat(EngineThreadsPolicy.choose(0, 8)).isEqualTo(1);
  }

  @Test
  void aLongerForwardPassGetsAThreadPerSliceOfWorkUpToTheCores() {
    assertThat(EngineThreadsPolicy.choose(2 * MS, 8)).isEqualTo(2);
    assertThat(EngineThreadsPolicy.choose(7 * MS, 8)).isEqualTo(3);
    assertThat(EngineThreadsPolicy.choose(36 * MS, 2)).as("ResNet-18 on two cores").isEqualTo(2);
    assertThat(EngineThreadsPolicy.choose(36 * MS, 64)).isEqualTo(18);
    assertThat(EngineThreadsPolicy.choose(10_000 * MS, 16)).isEqualTo(16);
  }

  @Test
  void oneCoreIsOneThreadAndNoCoresIsAMistake() {
    assertThat(EngineThreadsPolicy.choose(500 * MS, 1)).isEqualTo(1);
    assertThatThrownBy(() -> EngineThreadsPolicy.choose(MS, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
