package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InferenceSettingsTest {

  private static InferenceSettings withEngineThreads(String value) {
    Config config = ConfigFactory.parseMap(Map.of("modelplane.inference.engine-threads", value))
        .withFallback(ConfigFactory.parseResources("application.conf")).resolve();
    return InferenceSettings.fromConfig(config);
  }

  @Test
  void engineThreadsAreChosenPerModelUnlessTheNodeSetsThem() {
    assertThat(withEngineThreads("auto").engineThreads()).as("chosen per model").isNull();
    assertThat(withEngineThreads(" AUTO ").engineThreads()).isNull();
    assertThat(withEngineThreads("0").engineThreads()).isZero();
    assertThat(withEngineThreads("4").engineThreads()).isEqualTo(4);
  }

  @Test
  void anythingElseStopsTheStartNamingTheSetting() {
    for (String wrong : new String[] {"-1", "257", "many", ""}) {
      assertThatThrownBy(() -> withEngineThreads(wrong)).as(wrong)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MODELPLANE_ENGINE_THREADS");
    }
  }
}
