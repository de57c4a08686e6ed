package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

/**
 * Runs a web app's browser tests ({@code npm run <script>} in its directory, node's test runner driving Debian's
 * Chromium) against a started node, and fails with the tests' output and the node's log when they do.
 */
final class BrowserTests {
  static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium");
  static final Path REPO = Path.of(System.getProperty("modelplane.repo", "../..")).toAbsolutePath().normalize();

  private BrowserTests() {
  }

  static final String JAR = "modules/app/target/modelplane.jar";

  /** The built jar and Chromium are there, or the test says how to get them. */
  static void assumeJarAndChromium() {
    assertThat(REPO.resolve(JAR)).as("build %s first (mvn package)", JAR).isRegularFile();
    assertThat(Path.of(CHROMIUM)).as("the browser tests drive Chromium at %s: install it (apt-get install -y chromium)"
        + " or point CHROMIUM_PATH at one", CHROMIUM).isRegularFile();
  }

  /** A strong operator key of the node's format, new for each run. */
  static String newOperatorKey() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return "mp_operator_" + HexFormat.of().formatHex(secret);
  }

  /** The built jar started with {@code env} (data and log under {@code dir}), ready. */
  static NodeProcess startJar(Path dir, Map<String, String> env) {
    assumeJarAndChromium();
    NodeProcess node = NodeProcess.startJar(REPO.resolve(JAR), dir.resolve("data"), dir.resolve("node.log"), env);
    node.awaitReady(Duration.ofMinutes(3));
    return node;
  }

  /** The demo tenant's key the node printed (started with MODELPLANE_DEMO=true). */
  static String demoKey(Path dir, NodeProcess node) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      Matcher demo = ReadmeIT.DEMO_KEY.matcher(Files.readString(dir.resolve("node.log"), StandardCharsets.UTF_8));
      if (demo.find()) {
        return demo.group();
      }
      Thread.sleep(100);
    }
    return fail("the node printed no demo tenant key within 2 minutes:\n" + node.tail());
  }

  /** {@code npm run script} in {@code app} (relative to the repository) with {@code env}; passes when all tests do. */
  static void run(String app, String script, Map<String, String> env, Path output, Duration timeout, NodeProcess node)
      throws IOException, InterruptedException {
    ProcessBuilder npm = new ProcessBuilder("npm", "run", script).directory(REPO.resolve(app).toFile())
        .redirectErrorStream(true).redirectOutput(output.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    npm.environment().putAll(env);
    npm.environment().put("CHROMIUM_PATH", CHROMIUM);
    long started = System.nanoTime();
    Process process = npm.start();
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
      fail(app + " " + script + " did not finish within " + timeout + ":\n" + tail(output) + "\nnode log:\n" + node.tail());
    }
    String out = Files.readString(output, StandardCharsets.UTF_8);
    System.out.printf("%s %s: exit %d in %d s%n%s%n", app, script, process.exitValue(),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), out);
    if (process.exitValue() != 0) {
      fail(app + " " + script + " failed (exit " + process.exitValue() + "):\n" + tail(output) + "\nnode log:\n" + node.tail());
    }
    assertThat(out).as("node's test runner reports its counts").containsPattern("(?m)^# pass [1-9]").contains("# fail 0")
        .contains("# skipped 0");
  }

  /** The last 20,000 characters of the tests' output: enough for every failure, not a flood. */
  private static String tail(Path output) throws IOException {
    String out = Files.readString(output, StandardCharsets.UTF_8);
    return out.substring(Math.max(0, out.length() - 20_000));
  }
}
