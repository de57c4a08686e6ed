package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tenant portal in a real Chromium against the built jar: the browser tests of {@code tenant-portal/e2e/},
 * run by {@code npm run e2e} with the node's portal address, its operator key and the demo tenant's key.
 * Runs after {@code package} (failsafe), as {@code mvn verify} does.
 */
class PortalIT {
  @TempDir
  static Path dir;
  private static NodeProcess node;
  private static String operatorKey;
  private static String demoKey;

  @BeforeAll
  static void startTheJar() throws IOException, InterruptedException {
    operatorKey = BrowserTests.newOperatorKey();
    node = BrowserTests.startJar(dir, Map.of("MODELPLANE_OPERATOR_KEY", operatorKey, "MODELPLANE_DEMO", "true"));
    demoKey = BrowserTests.demoKey(dir, node);
  }

  @AfterAll
  static void stopTheJar() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void theJarServesThePortal() throws IOException, InterruptedException {
    HttpResponse<String> index = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(node.baseUrl() + "/portal/")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(index.statusCode()).as("GET /portal/ (was the jar built without the portal?) %s", index.body()).isEqualTo(200);
    assertThat(index.body()).contains("<div id=\"root\"").contains("/portal/assets/");
    assertThat(index.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
        assertThat(csp).contains("script-src 'self';"));
  }

  @Test
  void theBrowserTestsPass() throws IOException, InterruptedException {
    BrowserTests.run("tenant-portal", "e2e", Map.of("PORTAL_URL", node.baseUrl() + "/portal/",
        "OPERATOR_KEY", operatorKey, "DEMO_KEY", demoKey), dir.resolve("e2e.out"), Duration.ofMinutes(10), node);
  }
}
