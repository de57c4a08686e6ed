package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a web app's browser tests ({@code npm run <script>} in its directory, node's test runner driving Debian's
 * Chromium) against a started node, and fails with the tests' output and the node's log when they do.
 */
final class BrowserTests {
  static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium");
  static final Path REPO = Path.of(System.getProperty("modelplane.repo", "../..")).toAbsolutePath().normalize();

  private BrowserTests() {
  }

  static void assumeChromium() {
    assertThat(Path.of(CHROMIUM)).as("the browser tests drive Chromium at %s: install it (apt-get install -y chromium)"
        + " or point CHROMIUM_PATH at one", CHROMIUM).isRegularFile();
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
