package io.modelplane.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

class NamedThreadsTest {
  @Test
  void threadsAreNamedDaemons() {
    ThreadFactory factory = NamedThreads.daemon("jwks-refresh");
    Thread first = factory.newThread(() -> {});
    Thread second = factory.newThread(() -> {});
    assertThat(first.getName()).isEqualTo("jwks-refresh");
    assertThat(second.getName()).isEqualTo("jwks-refresh-2");
    assertThat(first.isDaemon()).isTrue();
    assertThat(second.isDaemon()).isTrue();
  }
}
