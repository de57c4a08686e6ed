package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The monitoring pack (ops/monitoring) as an operator runs it: Debian's promtool accepts the config and the
 * rules and passes the rules' unit tests; Debian's Prometheus scrapes a running node with the operator key
 * from the pack's scrape config, holds its series and loads the alert rules; and every metric name the
 * rules and the dashboard use is one the node exports. One node and one Prometheus, started side by side.
 */
class MonitoringPackTest {
  static final Path PACK = BrowserTests.REPO.resolve("ops/monitoring");
  static final String PROMETHEUS = System.getenv().getOrDefault("PROMETHEUS_PATH", "/usr/bin/prometheus");
  static final String PROMTOOL = System.getenv().getOrDefault("PROMTOOL_PATH", "/usr/bin/promtool");
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final List<String> ALERTS = List.of("ModelPlaneHighErrorRate", "ModelPlaneHighP99Latency",
      "ModelPlaneQueueSaturated", "ModelPlaneModelLoadFailures", "ModelPlaneQuotaRefusalsSpike", "ModelPlaneNodeDown",
      "ModelPlaneProjectionLag", "ModelPlaneDataDirNearlyFull");

  @TempDir Path dir;

  @Test
  void promtoolAcceptsThePackAndItsRuleTestsPass() throws Exception {
    assertSucceeds(promtool("check", "config", "--syntax-only", PACK.resolve("prometheus.yml").toString()));
    assertSucceeds(promtool("check", "rules", PACK.resolve("rules/modelplane-alerts.yml").toString()));
    assertSucceeds(promtool("test", "rules", PACK.resolve("tests/modelplane-alerts-test.yml").toString()));

    // the checks can fail: an expression that does not parse, and a rule test whose alert never fires
    Path broken = dir.resolve("broken.yml");
    Files.writeString(broken, Files.readString(PACK.resolve("rules/modelplane-alerts.yml"))
        .replace("expr: up{job=\"modelplane\"} == 0", "expr: up{job=\"modelplane\" == 0"));
    Result refused = promtool("check", "rules", broken.toString());
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.output()).contains("ModelPlaneNodeDown", "parse error");
    Path stricter = dir.resolve("stricter.yml");
    Files.writeString(stricter, Files.readString(PACK.resolve("rules/modelplane-alerts.yml")).replace("> 0.01", "> 0.5"));
    Path test = dir.resolve("test.yml");
    Files.writeString(test, Files.readString(PACK.resolve("tests/modelplane-alerts-test.yml"))
        .replace("../rules/modelplane-alerts.yml", stricter.toString()));
    Result failed = promtool("test", "rules", test.toString());
    assertThat(failed.exitCode()).isNotZero();
    assertThat(failed.output()).contains("FAILED", "ModelPlaneHighErrorRate");
  }

  @Test
  void prometheusScrapesARunningNodeWithTheOperatorKeyAndLoadsTheRules() throws Exception {
    // Prometheus starts while the node does: it scrapes the node's port until the node answers
    int nodePort = NodeProcess.freePort();
    URI nodeAddress = URI.create("http://127.0.0.1:" + nodePort);
    Path config = scrapeConfig(nodeAddress);
    assertSucceeds(promtool("check", "config", config.toString()));
    assertThat(Path.of(PROMETHEUS)).as("this test runs Debian's Prometheus at %s: install it"
        + " (apt-get install -y prometheus) or point PROMETHEUS_PATH at one", PROMETHEUS).isRegularFile();
    int port = NodeProcess.freePort();
    String base = "http://127.0.0.1:" + port;
    Process prometheus = new ProcessBuilder(PROMETHEUS, "--config.file=" + config,
        "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("prometheus.log").toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    Main.Node node = null;
    try {
      node = TestNodes.start(dir.resolve("node"), Map.of("modelplane.http.port", nodePort));
      ApiClient api = new ApiClient(node.baseUrl());
      String key = TestNodes.tenantWithDigits(api, "acme", null, 1);
      assertThat(api.post("/v2/models/digits/infer", key, Map.of("inputs", List.of(Map.of("name", "input",
          "shape", List.of(1, 64), "datatype", "FP32", "data", Collections.nCopies(64, 0.0))))).status()).isEqualTo(200);
      assertThat(api.get("/api/v1/tenants", "mp_wrong").status()).isEqualTo(401);

      // every metric name the rules and the dashboard use is one the node exports (a typo fails here)
      Set<String> exported = exportedNames(api.get("/metrics", TestNodes.OPERATOR_KEY).raw().body());
      exported.add("up"); // Prometheus' own, per target
      Set<String> used = new TreeSet<>(ruleMetricNames());
      used.addAll(dashboardMetricNames());
      assertThat(ruleMetricNames()).contains("modelplane_projection_lag_seconds", "up");
      assertThat(dashboardMetricNames()).contains("modelplane_predict_latency_seconds_bucket", "process_open_fds");
      assertThat(exported).containsAll(used);

      // the node's own series, labelled by the scrape job
      JsonNode[] requests = new JsonNode[1];
      eventually(Duration.ofSeconds(20), () -> {
        requests[0] = query(base, "modelplane_predict_requests_total{job=\"modelplane\",tenant=\"acme\"}");
        return requests[0] != null && requests[0].size() > 0;
      }, "Prometheus holds the node's predict requests");
      JsonNode series = requests[0].get(0);
      assertThat(series.path("metric").path("model").asText()).isEqualTo("digits");
      assertThat(series.path("metric").path("status").asText()).isEqualTo("200");
      assertThat(series.path("metric").path("instance").asText()).isEqualTo(nodeAddress.getAuthority());
      assertThat(series.path("value").get(1).asDouble()).isGreaterThanOrEqualTo(1);
      assertThat(query(base, "up{job=\"modelplane\"}").get(0).path("value").get(1).asText()).isEqualTo("1");

      // and Prometheus holds series of each, scraped from the node
      String alternatives = String.join("|", used);
      Set<String> held = new TreeSet<>();
      eventually(Duration.ofSeconds(10), () -> {
        JsonNode names = query(base, "group by (__name__) ({__name__=~\"" + alternatives + "\",job=\"modelplane\"})");
        held.clear();
        if (names != null) {
          names.forEach(n -> held.add(n.path("metric").path("__name__").asText()));
        }
        return held.equals(used);
      }, "Prometheus holds every metric the pack uses");

      // a wrong key: the scrape is refused, which the node-down alert sees as a node down
      JsonNode wrongKey = target(base, "modelplane-wrong-key");
      assertThat(wrongKey.path("health").asText()).isEqualTo("down");
      assertThat(wrongKey.path("lastError").asText()).contains("401");
      assertThat(query(base, "up{job=\"modelplane-wrong-key\"}").get(0).path("value").get(1).asText()).isEqualTo("0");

      // the alert rules loaded and evaluated without error; none fires on a healthy node
      JsonNode[] groups = new JsonNode[1];
      eventually(Duration.ofSeconds(10), () -> {
        groups[0] = get(base + "/api/v1/rules").path("data").path("groups");
        return groups[0].size() == 1 && allEvaluated(groups[0].get(0).path("rules"));
      }, "the rules evaluated");
      List<String> loaded = new ArrayList<>();
      for (JsonNode rule : groups[0].get(0).path("rules")) {
        loaded.add(rule.path("name").asText());
        assertThat(rule.path("health").asText()).as(rule.toString()).isEqualTo("ok");
        assertThat(rule.path("state").asText()).as(rule.toString()).isEqualTo("inactive");
      }
      assertThat(loaded).containsExactlyElementsOf(ALERTS);
    } finally {
      prometheus.destroy();
      if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      if (node != null) {
        node.stop();
      }
    }
  }

  @Test
  void theNameCheckReadsPromQlAndCatchesATypo() {
    assertThat(metricNames("histogram_quantile(0.99, sum by (le, tenant) (rate(latency_bucket{a=\"b\",c=~\"5..\"}[5m])))"
        + " / on (instance) group_left (x) other offset 1h > 0.5 and bool third{job=\"$job\"}[$__rate_interval]"
        + " unless max without (instance) (fourth:recorded) > 1e3"))
        .containsExactlyInAnyOrder("latency_bucket", "other", "third", "fourth:recorded");
    Set<String> exported = Set.of("modelplane_predict_requests_total");
    assertThat(exported).containsAll(metricNames("rate(modelplane_predict_requests_total[5m])"));
    assertThat(metricNames("rate(modelplane_predict_request_total[5m])")).isNotEmpty().doesNotContainAnyElementsOf(exported);
  }

  // ---- the pack ----

  /** The pack's scrape config, scraping {@code node} with a key file of the operator key every second, plus a wrong key. */
  @SuppressWarnings("unchecked")
  private Path scrapeConfig(URI node) throws IOException {
    Map<String, Object> config = new Yaml().load(Files.readString(PACK.resolve("prometheus.yml")));
    Map<String, Object> global = (Map<String, Object>) config.get("global");
    global.put("scrape_interval", "1s");
    global.put("evaluation_interval", "1s");
    config.put("rule_files", List.of(PACK.resolve("rules").toAbsolutePath() + "/*.yml"));
    List<Map<String, Object>> jobs = (List<Map<String, Object>>) config.get("scrape_configs");
    assertThat(jobs).hasSize(1);
    Map<String, Object> job = jobs.get(0);
    assertThat(job.get("job_name")).isEqualTo("modelplane");
    job.put("static_configs", List.of(Map.of("targets", List.of(node.getAuthority()))));
    Path keyFile = Files.writeString(dir.resolve("operator-key"), TestNodes.OPERATOR_KEY + "\n");
    ((Map<String, Object>) job.get("authorization")).put("credentials_file", keyFile.toString());

    Map<String, Object> wrong = new LinkedHashMap<>(job);
    wrong.put("job_name", "modelplane-wrong-key");
    Path wrongFile = Files.writeString(dir.resolve("wrong-key"), "mp_operator_" + "0".repeat(64));
    wrong.put("authorization", Map.of("type", "Bearer", "credentials_file", wrongFile.toString()));
    config.put("scrape_configs", List.of(job, wrong));
    return Files.writeString(dir.resolve("prometheus.yml"), new Yaml().dump(config));
  }

  @SuppressWarnings("unchecked")
  static Set<String> ruleMetricNames() {
    Set<String> names = new TreeSet<>();
    try (var files = Files.list(PACK.resolve("rules"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yml")).toList()) {
        Map<String, Object> rules = new Yaml().load(Files.readString(file));
        for (Map<String, Object> group : (List<Map<String, Object>>) rules.get("groups")) {
          for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
            names.addAll(metricNames((String) rule.get("expr")));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  static Set<String> dashboardMetricNames() {
    JsonNode dashboard;
    try {
      dashboard = ApiClient.JSON.readTree(PACK.resolve("grafana/modelplane-dashboard.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Set<String> names = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      panel.path("targets").forEach(t -> names.addAll(metricNames(t.path("expr").asText())));
    }
    // Grafana's label_values(metric, label): only its first argument is a metric
    Pattern labelValues = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][\\w:]*)");
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      Matcher m = labelValues.matcher(variable.path("definition").asText());
      if (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "by", "without", "on", "ignoring",
      "group_left", "group_right", "offset", "inf", "nan", "Inf", "NaN");
  // an identifier not preceded by another identifier character and not followed by "(" (a function)
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:])[a-zA-Z_:][\\w:]*+(?!\\s*\\()");

  /** The metric names a PromQL expression selects: identifiers outside strings, matchers, ranges and grouping clauses. */
  static Set<String> metricNames(String expr) {
    String bare = expr
        .replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
        .replaceAll("'(\\\\.|[^'\\\\])*'", "''")
        .replaceAll("\\$\\{?\\w+}?", " ")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ")
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
        .replaceAll("\\boffset\\s+-?\\w+", " ")
        .replaceAll("(?<![\\w:])\\d[\\w.]*([eE][+-]?\\d+)?", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(bare);
    while (m.find()) {
      if (!KEYWORDS.contains(m.group())) {
        names.add(m.group());
      }
    }
    return names;
  }

  /** The sample names of a Prometheus text exposition. */
  static Set<String> exportedNames(String exposition) {
    return exposition.lines()
        .filter(l -> !l.isBlank() && !l.startsWith("#"))
        .map(l -> l.split("[{ ]", 2)[0])
        .collect(Collectors.toCollection(TreeSet::new));
  }

  // ---- Prometheus ----

  private static boolean allEvaluated(JsonNode rules) {
    for (JsonNode rule : rules) {
      if (rule.path("lastEvaluation").asText().startsWith("0001-")) {
        return false;
      }
    }
    return rules.size() > 0;
  }

  /** The instant query's result, or null while Prometheus does not answer yet. */
  private static JsonNode query(String base, String promql) {
    JsonNode answer = get(base + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    return answer == null ? null : answer.path("data").path("result");
  }

  private JsonNode target(String base, String job) {
    JsonNode[] found = new JsonNode[1];
    eventually(Duration.ofSeconds(10), () -> {
      JsonNode targets = get(base + "/api/v1/targets");
      found[0] = null;
      if (targets != null) {
        for (JsonNode t : targets.path("data").path("activeTargets")) {
          if (job.equals(t.path("labels").path("job").asText()) && !"unknown".equals(t.path("health").asText())) {
            found[0] = t;
          }
        }
      }
      return found[0] != null;
    }, job + " scraped");
    return found[0];
  }

  private static JsonNode get(String url) {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? ApiClient.JSON.readTree(response.body()) : null;
    } catch (IOException e) {
      return null; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void eventually(Duration timeout, java.util.function.BooleanSupplier condition, String what) {
    try {
      TestNodes.eventually(timeout, condition, what);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nPrometheus' log:\n" + log(), e);
    }
  }

  private String log() {
    try {
      Path log = dir.resolve("prometheus.log");
      return Files.exists(log) ? Files.readString(log) : "(none)";
    } catch (IOException e) {
      return e.toString();
    }
  }

  // ---- promtool ----

  record Result(int exitCode, String output) {}

  private static Result promtool(String... args) throws IOException, InterruptedException {
    assertThat(Path.of(PROMTOOL)).as("the monitoring pack's tests run Debian's promtool at %s: install it"
        + " (apt-get install -y prometheus) or point PROMTOOL_PATH at one", PROMTOOL).isRegularFile();
    List<String> command = new ArrayList<>(List.of(PROMTOOL));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }

  private static void assertSucceeds(Result result) {
    assertThat(result.exitCode()).as(result.output()).isZero();
  }
}
