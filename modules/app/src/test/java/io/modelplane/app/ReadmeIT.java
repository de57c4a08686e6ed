package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's shell blocks, run in order by bash against the built jar started as the README starts it, so
 * the front door cannot rot: every curl must answer 2xx, and the JSON fields each {@code # →} line shows must
 * be in what the commands before it printed. The build-and-test block (it holds {@code mvn}) is not run: this
 * test runs inside it. Runs after {@code package} (failsafe), as {@code mvn verify} does.
 */
class ReadmeIT {
  private static final String README_URL = "http://127.0.0.1:8080";
  private static final String OPERATOR_KEY_PLACEHOLDER = "'mp_operator_…'";
  private static final String DEMO_KEY_PLACEHOLDER = "'mp_demo.…'";
  private static final String JAR = "modules/app/target/modelplane.jar";
  private static final Pattern BASH_BLOCK = Pattern.compile("^```bash\\n(.*?)^```", Pattern.DOTALL | Pattern.MULTILINE);
  private static final Pattern OPERATOR_KEY = Pattern.compile("^mp_operator_[0-9a-f]{64}$", Pattern.MULTILINE);
  static final Pattern DEMO_KEY = Pattern.compile("^mp_demo\\.[0-9a-f]+_[0-9a-f]{64}$", Pattern.MULTILINE);
  /** A JSON field with a scalar or a flat array as its value, nothing elided ("…"): what an answer must contain. */
  private static final Pattern FIELD =
      Pattern.compile("\"[^\"]+\":(?:\"[^\"…]*\"|-?[0-9][0-9.eE+-]*|true|false|null|\\[[^\\[\\]{}…]*\\])");
  private static final Pattern LARGEST_AT = Pattern.compile("largest of the \\d+ \\w+ is at index (\\d+)");
  private static final Pattern DATA = Pattern.compile("\"data\":\\[([^\\]]*)\\]");
  private static final Pattern STATUS = Pattern.compile("^@@http (\\d{3}) (.*)$", Pattern.MULTILINE);
  private static final String EXPECT_MARK = "@@expect ";
  private static final Duration READER_PAUSE = Duration.ofSeconds(2);
  private static final Duration TOUR_TIMEOUT = Duration.ofMinutes(5);

  @TempDir
  static Path dir;
  private static final Path REPO = Path.of(System.getProperty("modelplane.repo", "../..")).toAbsolutePath().normalize();
  private static NodeProcess node;
  private static String operatorKey;
  private static String demoKey;

  @BeforeAll
  static void startTheJar() throws IOException {
    Path jar = REPO.resolve(JAR);
    assertThat(jar).as("the README starts %s: build it first (mvn package)", JAR).isRegularFile();
    Path log = dir.resolve("node.log");
    node = NodeProcess.startJar(jar, dir.resolve("data"), log, Map.of());
    node.awaitReady(Duration.ofMinutes(3));
    // both keys are printed once at first start; the demo tenant's once its model is deployed
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      String out = Files.readString(log, StandardCharsets.UTF_8);
      Matcher op = OPERATOR_KEY.matcher(out);
      Matcher demo = DEMO_KEY.matcher(out);
      if (op.find() && demo.find()) {
        operatorKey = op.group();
        demoKey = demo.group();
        awaitDemoModelReady(deadline);
        return;
      }
      sleep(100);
    }
    fail("the node printed no operator key and demo tenant key within 2 minutes:\n" + node.tail());
  }

  /** A reader copies the key first: by then the demo model is ready, so the README's first predict needs no retry. */
  private static void awaitDemoModelReady(long deadline) throws IOException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest ready = HttpRequest.newBuilder(URI.create(node.baseUrl() + "/v2/models/digits/ready"))
        .header("Authorization", "Bearer " + demoKey).timeout(Duration.ofSeconds(5)).build();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> answer = http.send(ready, HttpResponse.BodyHandlers.ofString());
        last = answer.statusCode() + " " + answer.body();
        if (answer.statusCode() == 200 && answer.body().contains("\"ready\":true")) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      sleep(100);
    }
    fail("the demo model was not ready within 2 minutes (last answer: " + last + "):\n" + node.tail());
  }

  @AfterAll
  static void stopTheJar() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void theBuildBlockStartsThisJarAndRunsTheTestsCiRuns() throws IOException {
    List<String> blocks = bashBlocks();
    assertThat(blocks).as("the README's bash blocks").isNotEmpty();
    String build = blocks.get(0);
    assertThat(build).as("the first block builds and starts the node").contains("mvn ").contains("java -jar " + JAR);
    String ci = Files.readString(REPO.resolve(".ci/run"), StandardCharsets.UTF_8);
    List<String> testCommands = build.lines().map(String::strip).filter(l -> l.startsWith("mvn ") && l.contains("verify"))
        .toList();
    assertThat(testCommands).as("the README's command that runs all the tests").hasSize(1);
    assertThat(ci.lines().map(String::strip)).as(".ci/run runs the README's test command").contains(testCommands.get(0));
  }

  @Test
  void theTourRunsAsWritten() throws IOException, InterruptedException {
    String readme = readme();
    assertThat(readme).as("the README's key placeholders").contains(OPERATOR_KEY_PLACEHOLDER, DEMO_KEY_PLACEHOLDER);
    List<String> expectations = new ArrayList<>();
    StringBuilder script = new StringBuilder("""
        set -euo pipefail
        # every curl fails the script on a status other than 2xx, and reports its status on stderr
        curl() { command curl --fail-with-body --write-out '%{stderr}@@http %{http_code} %{method} %{url_effective}\\n' "$@"; }
        """);
    for (String block : bashBlocks()) {
      if (block.contains("mvn ")) {
        continue; // the build and test commands: this test runs inside them
      }
      // a reader's pause between blocks: lists and histories trail a change by a fraction of a second
      script.append("sleep ").append(READER_PAUSE.toSeconds()).append('\n');
      appendWithMarks(block.replace(README_URL, node.baseUrl())
          .replace(OPERATOR_KEY_PLACEHOLDER, "'" + operatorKey + "'")
          .replace(DEMO_KEY_PLACEHOLDER, "'" + demoKey + "'"), script, expectations);
    }
    assertThat(expectations).as("the README's answers (# → lines)").isNotEmpty();

    Path scriptFile = Files.writeString(dir.resolve("readme.sh"), script);
    Path stdout = dir.resolve("readme.out");
    Path stderr = dir.resolve("readme.err");
    ProcessBuilder bash = new ProcessBuilder("bash", scriptFile.toString()).directory(REPO.toFile())
        .redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    bash.environment().keySet().removeIf(k -> k.startsWith("MODELPLANE_") || k.equals("KEY") || k.equals("OP"));
    Process process = bash.start();
    if (!process.waitFor(TOUR_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      fail("the README's commands did not finish within " + TOUR_TIMEOUT + report(stdout, stderr));
    }
    String out = Files.readString(stdout, StandardCharsets.UTF_8);
    String err = Files.readString(stderr, StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      fail("the README's commands failed (exit " + process.exitValue() + "; the last status line is the failed call)"
          + report(stdout, stderr));
    }
    Matcher status = STATUS.matcher(err);
    int calls = 0;
    while (status.find()) {
      calls++;
      assertThat(Integer.parseInt(status.group(1))).as("status of %s%s", status.group(2), report(stdout, stderr))
          .isBetween(200, 299);
    }
    assertThat(calls).as("curl calls made").isGreaterThan(expectations.size());

    String[] segments = out.split("\n" + Pattern.quote(EXPECT_MARK) + "\\d+\n", -1);
    assertThat(segments).as("outputs, one per # → line" + report(stdout, stderr)).hasSize(expectations.size() + 1);
    for (int i = 0; i < expectations.size(); i++) {
      checkAnswer(expectations.get(i), segments[i], report(stdout, stderr));
    }
  }

  /** Appends {@code block} to {@code script}, marking stdout after each {@code # →} comment (and its continuation). */
  private static void appendWithMarks(String block, StringBuilder script, List<String> expectations) {
    StringBuilder open = null;
    for (String line : block.lines().toList()) {
      String stripped = line.strip();
      boolean continuation = open != null && stripped.startsWith("#") && !stripped.startsWith("# →");
      if (open != null && !continuation) {
        closeExpectation(open, script, expectations);
        open = null;
      }
      if (stripped.startsWith("# →")) {
        open = new StringBuilder(stripped.substring("# →".length()));
      } else if (continuation) {
        open.append('\n').append(stripped.substring(1));
      }
      script.append(line).append('\n');
    }
    if (open != null) {
      closeExpectation(open, script, expectations);
    }
  }

  private static void closeExpectation(StringBuilder expected, StringBuilder script, List<String> expectations) {
    expectations.add(expected.toString());
    script.append("printf '\\n").append(EXPECT_MARK).append(expectations.size()).append("\\n'\n");
  }

  /** Every field the README shows in full must be in the answer; a stated largest index must be the answer's. */
  private static void checkAnswer(String expected, String actual, String report) {
    List<String> fields = new ArrayList<>();
    Matcher field = FIELD.matcher(expected);
    while (field.find()) {
      fields.add(field.group());
    }
    assertThat(fields).as("fields shown in the README's answer %s", expected).isNotEmpty();
    for (String f : fields) {
      // "version":1 must not pass for "version":12
      assertThat(Pattern.compile(Pattern.quote(f) + "(?![0-9.])").matcher(actual).find())
          .as("%s in the answer to the commands before README line '# →%s':%n%s%s", f, expected, actual, report)
          .isTrue();
    }
    Matcher largest = LARGEST_AT.matcher(expected);
    if (largest.find()) {
      Matcher data = DATA.matcher(actual);
      assertThat(data.find()).as("an output tensor in %s", actual).isTrue();
      double[] values = Pattern.compile(",").splitAsStream(data.group(1)).mapToDouble(Double::parseDouble).toArray();
      int argmax = 0;
      for (int i = 1; i < values.length; i++) {
        argmax = values[i] > values[argmax] ? i : argmax;
      }
      assertThat(argmax).as("the largest output in %s%s", actual, report).isEqualTo(Integer.parseInt(largest.group(1)));
    }
  }

  private static List<String> bashBlocks() throws IOException {
    Matcher m = BASH_BLOCK.matcher(readme());
    List<String> blocks = new ArrayList<>();
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  private static String readme() throws IOException {
    return Files.readString(REPO.resolve("README.md"), StandardCharsets.UTF_8);
  }

  private static String report(Path stdout, Path stderr) {
    return "\n--- stdout:\n" + read(stdout) + "\n--- stderr:\n" + read(stderr) + "\n--- node:\n" + node.tail();
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "(none)";
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
