package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The first start's demo banner names the address the node really listens on. */
class DemoBannerTest {

  @TempDir
  Path dir;

  @Test
  void theBannersExampleCallUsesTheBoundAddressAndPort() {
    PrintStream original = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Main.Node node;
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      node = Main.init(TestNodes.config(dir, Map.of("modelplane.demo", true))); // http port 0: a random one
    } finally {
      System.setOut(original);
    }
    try {
      String banner = printed.toString(StandardCharsets.UTF_8);
      assertThat(node.httpAddress().getPort()).isPositive();
      assertThat(node.baseUrl()).isEqualTo("http://127.0.0.1:" + node.httpAddress().getPort());
      assertThat(banner).contains("Demo tenant")
          .contains("curl -s -X POST " + node.baseUrl() + "/v2/models/digits/infer")
          .doesNotContain("<host>").doesNotContain("<port>").doesNotContain(":0/");
    } finally {
      node.stop();
    }
  }

  @Test
  void aWildcardBindIsNamedByTheLoopbackAddress() {
    assertThat(Main.baseUrl(new java.net.InetSocketAddress("0.0.0.0", 8080))).isEqualTo("http://127.0.0.1:8080");
    assertThat(Main.baseUrl(new java.net.InetSocketAddress("127.0.0.1", 18080))).isEqualTo("http://127.0.0.1:18080");
    assertThat(Main.baseUrl(new java.net.InetSocketAddress("::1", 8080))).startsWith("http://[").endsWith("]:8080");
  }
}
