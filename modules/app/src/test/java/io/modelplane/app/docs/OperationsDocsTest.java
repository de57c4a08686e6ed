package io.modelplane.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/operations.md has a row for every error code the API can answer and names every Prometheus metric
 * the node exports, as found in the main sources.
 */
class OperationsDocsTest {
  static final String DOC = "docs/operations.md";
  static final String CODE = "([a-z][a-z0-9]*(?:_[a-z0-9]+)*)";
  /** The factories that take an error code first: Rejection's, ApiError's, InvalidInputException's, the 401s. */
  static final String FACTORY = "\\b(?:invalid|notFound|conflict|forbidden|unavailable|quotaExceeded|badRequest"
      + "|malformed|unprocessable|unauthorized)\\(\\s*";
  static final Pattern FACTORY_LITERAL = Pattern.compile(FACTORY + "\"" + CODE + "\"");
  static final Pattern FACTORY_CONSTANT = Pattern.compile(FACTORY + "(?:[A-Za-z]+\\.)?([A-Z][A-Z0-9_]+)\\s*,");
  /** The first string literal among a constructor's arguments (status and reason come before it). */
  static final Pattern CONSTRUCTOR = Pattern.compile(
      "new (?:ApiError|Rejection|InvalidInputException)\\([^;\"]*?\"" + CODE + "\"");
  /** Error bodies written as maps: {@code "code", "not_ready"}. */
  static final Pattern CODE_ENTRY = Pattern.compile("\"code\",\\s*\"" + CODE + "\"");
  static final Pattern CONSTANT = Pattern.compile("static final String ([A-Z][A-Z0-9_]*) = \"" + CODE + "\";");
  static final Pattern CODE_ROW = Pattern.compile("(?m)^\\| `" + CODE + "` \\| [0-9]{3}\\b");
  static final Pattern METRIC = Pattern.compile("\\.name\\(\"(modelplane_[a-z0-9_]+)\"\\)");
  static final Pattern COUNTER = Pattern.compile("\\b(?:Counter|CounterWithCallback|CounterSnapshot)\\.builder\\(\\)\\s*\\.name\\(\"(modelplane_[a-z0-9_]+)\"\\)");

  @Test
  void everyErrorCodeHasARowWithItsStatus() {
    Map<String, Set<String>> codes = errorCodes(Repository.mainJavaSources());
    // samples of each way a code is given: a Rejection, an ApiError, a constant of InvalidInputException,
    // a predict failure, a server error, a 401, a map-built body
    assertThat(codes).containsKeys("stale_revision", "model_quota_exceeded", "invalid_traffic_split", "shape_mismatch",
        "unknown_input", "rate_limited", "uri_too_long", "missing_credential", "not_ready", "unsupported_media_type");
    assertThat(codes.size()).isGreaterThan(90);
    Set<String> rows = new TreeSet<>();
    Matcher m = CODE_ROW.matcher(Repository.read(DOC));
    while (m.find()) {
      rows.add(m.group(1));
    }
    Map<String, Set<String>> missing = new TreeMap<>(codes);
    missing.keySet().removeAll(rows);
    assertThat(missing).as("error codes (with the sources using them) without a row in " + DOC).isEmpty();
  }

  @Test
  void everyMetricIsNamed() {
    String doc = Repository.read(DOC);
    Set<String> metrics = new TreeSet<>();
    for (Path file : Repository.mainJavaSources()) {
      String source = Repository.read(file);
      Matcher m = METRIC.matcher(source);
      while (m.find()) {
        metrics.add(m.group(1));
      }
      // Prometheus exposes counters with _total whether or not the name has it
      Matcher c = COUNTER.matcher(source);
      while (c.find()) {
        metrics.remove(c.group(1));
        metrics.add(c.group(1).endsWith("_total") ? c.group(1) : c.group(1) + "_total");
      }
    }
    assertThat(metrics).hasSizeGreaterThan(8).contains("modelplane_model_batches_total");
    assertThat(metrics).allSatisfy(metric -> assertThat(doc).as("%s names %s", DOC, metric).contains("`" + metric + "`"));
  }

  @Test
  void codesAreFoundInEveryForm() {
    String source = """
        static final String SHAPE = "shape_x";
        Rejection.invalid("a_code", "m"); notFound( "b_code", x); throw malformed(SHAPE, "m");
        new ApiError(StatusCodes.FORBIDDEN,
            "c_code", "m"); Map.of("ready", false, "error", "e", "code", "d_code");
        log.info("not_a_code {}", x); unauthorized(code, "m");
        """;
    assertThat(errorCodes(Map.of(Path.of("X.java"), source)).keySet())
        .containsExactlyInAnyOrder("a_code", "b_code", "shape_x", "c_code", "d_code");
  }

  static Map<String, Set<String>> errorCodes(java.util.List<Path> files) {
    Map<Path, String> sources = new TreeMap<>();
    files.forEach(f -> sources.put(f, Repository.read(f)));
    return errorCodes(sources);
  }

  /** Error code → the files that answer it. */
  static Map<String, Set<String>> errorCodes(Map<Path, String> sources) {
    Map<String, String> constants = new TreeMap<>();
    sources.values().forEach(source -> {
      Matcher m = CONSTANT.matcher(source);
      while (m.find()) {
        constants.put(m.group(1), m.group(2));
      }
    });
    Map<String, Set<String>> codes = new TreeMap<>();
    sources.forEach((file, source) -> {
      String name = file.getFileName().toString();
      for (Pattern literal : new Pattern[] {FACTORY_LITERAL, CONSTRUCTOR, CODE_ENTRY}) {
        Matcher m = literal.matcher(source);
        while (m.find()) {
          codes.computeIfAbsent(m.group(1), c -> new TreeSet<>()).add(name);
        }
      }
      Matcher c = FACTORY_CONSTANT.matcher(source);
      while (c.find()) {
        String code = constants.get(c.group(1));
        assertThat(code).as("the constant %s passed as an error code in %s", c.group(1), name).isNotNull();
        codes.computeIfAbsent(code, x -> new TreeSet<>()).add(name);
      }
    });
    return codes;
  }
}
