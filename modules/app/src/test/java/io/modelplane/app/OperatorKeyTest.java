package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelplane.identity.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorKeyTest {

  @TempDir
  Path dir;

  @Test
  void aShortKeyIsRefusedWithoutEchoingIt() {
    String key = "my-own-operator-key";
    assertThatThrownBy(() -> OperatorKey.requireStrong(key))
        .isInstanceOf(RefusedSettingException.class)
        .hasMessageContaining("too short").hasMessageContaining("at least 32")
        .hasMessageContaining("openssl rand -hex 32").hasMessageContaining("MODELPLANE_OPERATOR_KEY")
        .hasMessageNotContaining(key);
  }

  @Test
  void longButPredictableKeysAreRefused() {
    for (String key : new String[] {"a".repeat(32), "ab".repeat(16), "0123456789abcdef".repeat(2),
        "a".repeat(40) + "b", "password".repeat(5)}) {
      assertThatThrownBy(() -> OperatorKey.requireStrong(key)).as(key)
          .isInstanceOf(RefusedSettingException.class)
          .hasMessageContaining("too predictable").hasMessageContaining("openssl rand -hex 32")
          .hasMessageNotContaining(key)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
  }

  @Test
  void randomKeysPassAsGeneratedOrAsTheHintSays() {
    for (int i = 0; i < 50; i++) {
      String hex = Secrets.randomHex(32); // what `openssl rand -hex 32` prints
      assertThat(hex).hasSize(64);
      assertThatCode(() -> OperatorKey.requireStrong(hex)).doesNotThrowAnyException();
      // the form a node generates on first start
      assertThatCode(() -> OperatorKey.requireStrong("mp_operator_" + Secrets.randomHex(32))).doesNotThrowAnyException();
    }
    assertThatCode(() -> OperatorKey.requireStrong(TestNodes.OPERATOR_KEY)).doesNotThrowAnyException();
    assertThatCode(() -> OperatorKey.requireStrong("")).doesNotThrowAnyException(); // none: generated
  }

  @Test
  void aNodeGivenAWeakKeyRefusesToStartAndStoresNothing() {
    assertThatThrownBy(() -> Main.init(TestNodes.config(dir, Map.of("modelplane.operator-key", "my-own-operator-key"))))
        .isInstanceOf(RefusedSettingException.class)
        .hasMessageContaining("operator key").hasMessageNotContaining("my-own-operator-key");
    assertThat(Files.exists(dir.resolve(OperatorKey.HASH_FILE))).isFalse();
  }
}
