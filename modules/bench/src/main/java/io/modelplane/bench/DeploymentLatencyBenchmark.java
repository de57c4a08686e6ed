package io.modelplane.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How long a deployment change takes to reach predict: two versions of the digits model (the same
 * artifact uploaded twice, told apart by the answer's {@code model_version}), all traffic switched
 * back and forth by {@code PUT .../deployment}; from each PUT's 2xx, predict calls are sent in a loop
 * to the node that took the PUT and, with two nodes, to the other one, until one answers from the
 * new version. One node, then two nodes in one cluster (same PostgreSQL journal, the second joining
 * the first as its seed, the artifact store shared).
 */
public final class DeploymentLatencyBenchmark {

  static final String OPERATOR_KEY = "mp_operator_deploy_bench_0123456789abcdef";
  static final String TENANT = "deploy-bench";
  static final String MODEL = "digits-switch";
  static final double P50_TARGET_MS = 300;
  static final double MAX_TARGET_MS = 1000;
  private static final Duration START = Duration.ofMinutes(3);
  private static final Duration SWITCH_BOUND = Duration.ofSeconds(15);

  static final String USAGE = """
      usage: DeploymentLatencyBenchmark [options]
        --nodes 1|2|1,2           cluster sizes to measure (default 1,2)
        --switches N              measured switches per cluster size (default 30)
        --warmup-switches N       switches before those, not counted (default 2: the first loads v2)
        --pause-ms N              pause between switches (default 500)
        --replicas N              replicas of the deployment (default 1)
        --jar PATH                server jar (default modules/app/target/modelplane.jar)
        --work-dir PATH           databases, node data, logs, report.md (default modules/bench/target/deploy-run-<time>)
        --server-java-opts "OPTS" extra JVM options of the nodes (default none)
      """;

  record Options(List<Integer> nodes, int switches, int warmupSwitches, int pauseMs, int replicas, Path jar,
      Path workDir, String serverJavaOpts) {

    static Options parse(String[] args) {
      List<Integer> nodes = List.of(1, 2);
      int switches = 30;
      int warmup = 2;
      int pause = 500;
      int replicas = 1;
      Path jar = Path.of("modules/app/target/modelplane.jar");
      Path workDir = null;
      String javaOpts = "";
      for (Map.Entry<String, String> option : BenchMain.optionPairs(args, USAGE)) {
        String name = option.getKey();
        String value = option.getValue();
        switch (name) {
          case "--nodes" -> {
            nodes = Arrays.stream(value.split(",")).map(String::trim).map(v -> number(name, v, 1)).sorted().toList();
            if (nodes.stream().anyMatch(n -> n > 2)) {
              throw new IllegalArgumentException("--nodes is 1, 2 or 1,2, not " + value);
            }
          }
          case "--switches" -> switches = number(name, value, 1);
          case "--warmup-switches" -> warmup = number(name, value, 0);
          case "--pause-ms" -> pause = number(name, value, 0);
          case "--replicas" -> replicas = number(name, value, 1);
          case "--jar" -> jar = Path.of(value);
          case "--work-dir" -> workDir = Path.of(value);
          case "--server-java-opts" -> javaOpts = value;
          default -> throw new IllegalArgumentException("unknown option " + name + "\n" + USAGE);
        }
      }
      if (workDir == null) {
        workDir = Path.of("modules/bench/target",
            "deploy-run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      }
      return new Options(nodes, switches, warmup, pause, replicas, jar, workDir, javaOpts);
    }
  }

  /** The switches measured at one cluster size, per node predicted through; failures are switches never seen. */
  record Result(int nodes, String where, Latencies latencies, int failures, String firstFailure) {}

  private DeploymentLatencyBenchmark() {}

  public static void main(String[] args) {
    BenchMain.main(DeploymentLatencyBenchmark.class, args, Options::parse, DeploymentLatencyBenchmark::run);
  }

  static int run(Options o, String[] args) throws IOException, InterruptedException {
    Reporter out = new Reporter();
    Files.createDirectories(o.workDir());
    out.progress("work directory " + o.workDir().toAbsolutePath());
    HttpClient http = BenchMain.httpClient();
    BenchModel digits = BenchModel.digits(Files.createDirectories(o.workDir().resolve("model")), new int[] {8, 0});
    List<Result> results = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (int nodes : o.nodes()) {
      Path dir = o.workDir().resolve(nodes + "-node");
      try {
        results.addAll(measure(o, nodes, dir, digits, http, out));
      } catch (RuntimeException | IOException e) {
        out.progress("FAILED with " + nodes + " node(s): " + e.getMessage());
        failures.add(nodes + " node(s): " + e.getMessage());
      }
    }
    String command = BenchMain.command(DeploymentLatencyBenchmark.class, args);
    String markdown = render(results, failures, o, command);
    BenchMain.publish(o.workDir(), markdown, out);
    return failures.isEmpty() ? 0 : 1;
  }

  private static List<Result> measure(Options o, int nodes, Path dir, BenchModel model, HttpClient http, Reporter out)
      throws IOException, InterruptedException {
    try (BenchDatabase db = BenchDatabase.embedded(dir.resolve("postgres").toAbsolutePath())) {
      Path dataA = Files.createDirectories(dir.resolve("node-a"));
      Map<String, String> envA = new LinkedHashMap<>(db.env());
      try (ServerProcess a = ServerProcess.start(o.jar(), dataA, dir.resolve("node-a.log"), OPERATOR_KEY,
          o.serverJavaOpts(), envA)) {
        a.awaitReady(http, START);
        out.progress(nodes + " node(s): node A pid " + a.pid() + " on 127.0.0.1:" + a.httpPort() + ", " + db.describe());
        ServerProcess b = null;
        try {
          if (nodes == 2) {
            b = startSecond(o, dir, dataA, db, a, http, out);
          }
          return switches(o, nodes, model, http, a, b, out);
        } finally {
          if (b != null) {
            b.close();
          }
        }
      }
    }
  }

  /** Node B: same database (schema left to A), A as its seed, A's artifact store through a symbolic link. */
  private static ServerProcess startSecond(Options o, Path dir, Path dataA, BenchDatabase db, ServerProcess a,
      HttpClient http, Reporter out) throws IOException, InterruptedException {
    Path dataB = Files.createDirectories(dir.resolve("node-b"));
    Path artifactsA = Files.createDirectories(dataA.resolve("artifacts")).toAbsolutePath();
    Path link = dataB.resolve("artifacts");
    if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(link, artifactsA);
    }
    Map<String, String> envB = new LinkedHashMap<>(db.env());
    envB.put("MODELPLANE_SEED_NODES", "127.0.0.1:" + a.clusterPort());
    envB.put("MODELPLANE_DB_CREATE_SCHEMA", "false");
    ServerProcess b = ServerProcess.start(o.jar(), dataB, dir.resolve("node-b.log"), OPERATOR_KEY, o.serverJavaOpts(),
        envB);
    try {
      b.awaitReady(http, START);
      ModelPlaneClient viaA = new ModelPlaneClient(http, a.base(), OPERATOR_KEY);
      long deadline = System.nanoTime() + START.toNanos();
      String last = "";
      while (true) {
        ModelPlaneClient.Reply r = viaA.call("GET", "/api/v1/admin/cluster", null);
        last = r.status() + " " + ReadSideBenchmark.abbreviate(r.body());
        if (r.status() == 200 && r.json().path("nodes").size() >= 2 && r.json().path("workers").size() >= 2) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("node B never joined node A: GET /api/v1/admin/cluster -> " + last);
        }
        Thread.sleep(250);
      }
      out.progress("node B pid " + b.pid() + " on 127.0.0.1:" + b.httpPort() + " joined: both nodes and workers listed");
      return b;
    } catch (RuntimeException | IOException | InterruptedException e) {
      out.progress("node B log (last lines):\n" + b.tail(30));
      b.close();
      throw e;
    }
  }

  private static List<Result> switches(Options o, int nodes, BenchModel model, HttpClient http, ServerProcess a,
      ServerProcess b, Reporter out) throws IOException, InterruptedException {
    ModelPlaneClient viaA = new ModelPlaneClient(http, a.base(), OPERATOR_KEY);
    viaA.createTenant(TENANT);
    String key = viaA.createApiKey(TENANT);
    int v1 = viaA.upload(key, TENANT, MODEL, model.manifestJson(), model.artifact());
    int v2 = viaA.upload(key, TENANT, MODEL, model.manifestJson(), model.artifact());
    deploy(viaA, key, v1, o.replicas());
    viaA.awaitReady(key, MODEL, START);
    List<ServerProcess> targets = b == null ? List.of(a) : List.of(a, b);
    List<String> labels = b == null ? List.of("same node") : List.of("same node", "other node");
    List<ModelPlaneClient> clients = new ArrayList<>();
    for (ServerProcess s : targets) {
      ModelPlaneClient c = new ModelPlaneClient(http, s.base(), OPERATOR_KEY);
      c.awaitReady(key, MODEL, START);
      clients.add(c);
    }
    out.progress("v" + v1 + " and v" + v2 + " uploaded, v" + v1 + " deployed and answering on every node; "
        + o.warmupSwitches() + " + " + o.switches() + " switches");
    BenchModel.Request sample = model.request(0, false);
    List<long[]> nanos = new ArrayList<>();
    int[] failures = new int[targets.size()];
    String[] firstFailure = new String[targets.size()];
    for (int t = 0; t < targets.size(); t++) {
      nanos.add(new long[o.switches()]);
    }
    int[] counted = new int[targets.size()];
    ExecutorService pollers = Executors.newFixedThreadPool(targets.size());
    try {
      int current = v1;
      for (int s = 0; s < o.warmupSwitches() + o.switches(); s++) {
        int next = current == v1 ? v2 : v1;
        deploy(viaA, key, next, o.replicas());
        long acknowledged = System.nanoTime();
        List<Future<Long>> seen = new ArrayList<>();
        for (ModelPlaneClient c : clients) {
          seen.add(pollers.submit(() -> firstAnswerFrom(c, key, sample, next, acknowledged)));
        }
        StringBuilder line = new StringBuilder();
        for (int t = 0; t < targets.size(); t++) {
          long took;
          try {
            took = seen.get(t).get();
          } catch (java.util.concurrent.ExecutionException e) {
            took = -1;
            if (s >= o.warmupSwitches()) {
              failures[t]++;
              if (firstFailure[t] == null) {
                firstFailure[t] = e.getCause().getMessage();
              }
            }
            line.append(' ').append(labels.get(t)).append(" FAILED: ").append(e.getCause().getMessage());
            continue;
          }
          if (s >= o.warmupSwitches()) {
            nanos.get(t)[counted[t]++] = took;
          }
          line.append(String.format(Locale.ROOT, " %s %.1f ms", labels.get(t), took / 1e6));
        }
        out.progress((s < o.warmupSwitches() ? "warm-up switch " : "switch ") + (s + 1) + " to v" + next + ":" + line);
        current = next;
        Thread.sleep(o.pauseMs());
      }
    } finally {
      pollers.shutdownNow();
    }
    List<Result> results = new ArrayList<>();
    for (int t = 0; t < targets.size(); t++) {
      results.add(new Result(nodes, labels.get(t), Latencies.of(nanos.get(t), counted[t]), failures[t], firstFailure[t]));
    }
    return results;
  }

  private static void deploy(ModelPlaneClient client, String key, int version, int replicas)
      throws IOException, InterruptedException {
    String body = "{\"traffic\":{\"" + version + "\":100},\"replicas\":" + replicas + ",\"maxBatchSize\":8,"
        + "\"maxBatchDelayMs\":0}";
    ModelPlaneClient.Reply r = client.call("PUT", "/api/v1/tenants/" + TENANT + "/models/" + MODEL + "/deployment", body);
    if (!r.ok()) {
      throw new IllegalStateException("PUT deployment -> " + r.status() + " " + r.body());
    }
  }

  /** Predicts in a loop until an answer names {@code version}; the time from {@code since} to that answer. */
  private static long firstAnswerFrom(ModelPlaneClient client, String key, BenchModel.Request sample, int version,
      long since) throws IOException, InterruptedException {
    long deadline = since + SWITCH_BOUND.toNanos();
    String wanted = String.valueOf(version);
    String last = "none";
    while (System.nanoTime() < deadline) {
      HttpResponse<byte[]> r = client.infer(key, MODEL, sample);
      long at = System.nanoTime();
      if (r.statusCode() == 200) {
        String answered = BenchModel.JSON.readTree(r.body()).path("model_version").asText();
        if (answered.equals(wanted)) {
          return at - since;
        }
        last = "v" + answered;
      } else {
        last = r.statusCode() + " " + ReadSideBenchmark.abbreviate(new String(r.body(), StandardCharsets.UTF_8));
      }
    }
    throw new IllegalStateException("no answer from v" + version + " within " + SWITCH_BOUND.toSeconds()
        + " s (last: " + last + ")");
  }

  static String render(List<Result> results, List<String> failures, Options o, String command) {
    StringBuilder md = ReportTable.begin("ModelPlane deployment change → predict latency", command);
    md.append(String.format(Locale.ROOT, "%s; jar `%s`; PostgreSQL journal (embedded); digits v1/v2 (same"
            + " artifact), replicas %d, %d switches of 100%% traffic measured after %d warm-up switch(es), %d ms apart."
            + " Time from the PUT's 2xx to the first predict answered by the new version, predicting in a loop (one"
            + " connection per node) from the 2xx on.%n%n", ReportTable.machine(), o.jar(), o.replicas(), o.switches(),
        o.warmupSwitches(), o.pauseMs()));
    md.append("| nodes | predict via | switches seen | p50 ms | p99 ms | max ms | not seen within 15 s |\n");
    md.append("|---:|---|---:|---:|---:|---:|---:|\n");
    for (Result r : results) {
      md.append(String.format(Locale.ROOT, "| %d | %s | %d | %.1f | %.1f | %.1f | %d |%n", r.nodes(), r.where(),
          r.latencies().count(), r.latencies().p50(), r.latencies().p99(), r.latencies().maxMs(), r.failures()));
    }
    md.append("\n### Targets\n\n");
    for (Result r : results) {
      boolean met = r.failures() == 0 && r.latencies().p50() <= P50_TARGET_MS && r.latencies().maxMs() <= MAX_TARGET_MS;
      md.append(String.format(Locale.ROOT, "- %d node(s), %s: p50 <= %.0f ms and max <= %.0f ms: %.1f / %.1f ms%s -> %s%n",
          r.nodes(), r.where(), P50_TARGET_MS, MAX_TARGET_MS, r.latencies().p50(), r.latencies().maxMs(),
          r.failures() == 0 ? "" : ", " + r.failures() + " not seen (first: " + r.firstFailure() + ")",
          met ? "met" : "NOT met"));
    }
    for (String f : failures) {
      md.append("- FAILED: ").append(f).append('\n');
    }
    return md.toString();
  }

  private static int number(String name, String value, int min) {
    try {
      int n = Integer.parseInt(value);
      if (n >= min) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(name + " needs a number >= " + min + ", not " + value);
  }
}
