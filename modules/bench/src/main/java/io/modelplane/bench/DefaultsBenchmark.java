package io.modelplane.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether the defaults serve as well as tuning: ResNet-18 deployed twice on one node, once with no engine threads
 * anywhere (the node chooses them from the measured forward time) and once with the best manual setting
 * ({@code engineThreads: 0}), measured in alternating full-path phases and against raw DJL forwards in this process.
 * The digits model is deployed too, to show the threads the node chose for a small model.
 */
public final class DefaultsBenchmark {

  static final String OPERATOR_KEY = "mp_operator_defaults_bench_0123456789abc";
  static final String TENANT = "defaults-bench";
  private static final Duration START = Duration.ofMinutes(3);
  private static final Pattern THREADS = Pattern.compile(
      "modelplane_model_engine_threads\\{[^}]*model_version=\"([^\"]+)\"[^}]*}\\s+([0-9.]+)");

  static final String USAGE = """
      usage: DefaultsBenchmark [options]
        --seconds N                each full-path phase (default 10)
        --rounds N                 pairs of phases, default/manual then manual/default, ... (default 2)
        --concurrency C            closed-loop connections (default 16)
        --raw-seconds N            raw DJL phase per batch size (default 5)
        --resnet18-artifact PATH   ResNet-18 TorchScript (default modules/bench/target/models/resnet18.pt)
        --jar PATH                 server jar (default modules/app/target/modelplane.jar)
        --work-dir PATH            node data, log, report.md (default modules/bench/target/defaults-run-<time>)
      """;

  record Options(Duration seconds, int rounds, int concurrency, Duration rawSeconds, Path resnet18, Path jar,
      Path workDir) {

    static Options parse(String[] args) {
      int seconds = 10;
      int rounds = 2;
      int concurrency = 16;
      int raw = 5;
      Path resnet18 = Path.of("modules/bench/target/models/resnet18.pt");
      Path jar = Path.of("modules/app/target/modelplane.jar");
      Path workDir = null;
      for (Map.Entry<String, String> option : BenchMain.optionPairs(args, USAGE)) {
        String value = option.getValue();
        switch (option.getKey()) {
          case "--seconds" -> seconds = BenchOptions.positive("--seconds", value);
          case "--rounds" -> rounds = BenchOptions.positive("--rounds", value);
          case "--concurrency" -> concurrency = BenchOptions.positive("--concurrency", value);
          case "--raw-seconds" -> raw = BenchOptions.positive("--raw-seconds", value);
          case "--resnet18-artifact" -> resnet18 = Path.of(value);
          case "--jar" -> jar = Path.of(value);
          case "--work-dir" -> workDir = Path.of(value);
          default -> throw new IllegalArgumentException("unknown option " + option.getKey() + "\n" + USAGE);
        }
      }
      if (workDir == null) {
        workDir = Path.of("modules/bench/target",
            "defaults-run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      }
      return new Options(Duration.ofSeconds(seconds), rounds, concurrency, Duration.ofSeconds(raw), resnet18, jar,
          workDir);
    }
  }

  private DefaultsBenchmark() {}

  public static void main(String[] args) {
    BenchMain.main(DefaultsBenchmark.class, args, Options::parse, DefaultsBenchmark::run);
  }

  static int run(Options o, String[] args) throws IOException, InterruptedException {
    Reporter out = new Reporter();
    Files.createDirectories(o.workDir());
    out.progress("work directory " + o.workDir().toAbsolutePath());
    BenchModel resnet = BenchModel.resnet18(o.resnet18(), new int[] {8, 5});
    RawBenchmark.Sweep raw = RawBenchmark.run(resnet, o.workDir().resolve("raw"), o.rawSeconds(), Long.MAX_VALUE, out);
    HttpClient http = BenchMain.httpClient();
    double[] defaults = new double[o.rounds()];
    double[] manual = new double[o.rounds()];
    Map<String, String> threads;
    try (ServerProcess node = ServerProcess.start(o.jar(), o.workDir().resolve("node"), o.workDir().resolve("node.log"),
        OPERATOR_KEY, "", Map.of())) {
      node.awaitReady(http, START);
      ModelPlaneClient client = new ModelPlaneClient(http, node.base(), OPERATOR_KEY);
      client.createTenant(TENANT);
      String key = client.createApiKey(TENANT);
      int v = client.upload(key, TENANT, "resnet18", resnet.manifestJson(), resnet.artifact());
      client.deploy(key, TENANT, "resnet18", v, resnet.maxBatchSize(), resnet.maxBatchDelayMs(), null);
      v = client.upload(key, TENANT, "resnet18-manual", resnet.manifestJson(), resnet.artifact());
      client.deploy(key, TENANT, "resnet18-manual", v, resnet.maxBatchSize(), resnet.maxBatchDelayMs(), 0);
      BenchModel digits = BenchModel.digits(Files.createDirectories(o.workDir().resolve("digits")), new int[] {64, 1});
      v = client.upload(key, TENANT, "digits", digits.manifestJson(), digits.artifact());
      client.deploy(key, TENANT, "digits", v, digits.maxBatchSize(), digits.maxBatchDelayMs(), null);
      for (String m : List.of("resnet18", "resnet18-manual", "digits")) {
        client.awaitReady(key, m, START);
      }
      threads = engineThreads(client.call("GET", "/metrics", null).body());
      out.progress("engine threads in use: " + threads);
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", node.httpPort());
      List<BenchModel.Request> bodies = resnet.requests(16, true);
      LoadGenerator auto = new LoadGenerator(address, "/v2/models/resnet18/infer", key, bodies);
      LoadGenerator set = new LoadGenerator(address, "/v2/models/resnet18-manual/infer", key, bodies);
      // warm both paths before anything counts
      auto.run(o.concurrency(), 1, Duration.ofSeconds(5), Long.MAX_VALUE, Duration.ofSeconds(30));
      set.run(o.concurrency(), 1, Duration.ofSeconds(5), Long.MAX_VALUE, Duration.ofSeconds(30));
      for (int r = 0; r < o.rounds(); r++) {
        boolean defaultsFirst = r % 2 == 0;
        for (int k = 0; k < 2; k++) {
          boolean isDefault = defaultsFirst == (k == 0);
          LoadGenerator.Result result = (isDefault ? auto : set).run(o.concurrency(), 1, o.seconds(), Long.MAX_VALUE,
              Duration.ofSeconds(30));
          if (result.errors() > 0) {
            throw new IllegalStateException(result.errors() + " errors, first: " + result.firstError());
          }
          (isDefault ? defaults : manual)[r] = result.okPerSecond();
          out.progress(String.format(Locale.ROOT, "round %d %s: %.1f items/s", r + 1,
              isDefault ? "defaults" : "engineThreads 0", result.okPerSecond()));
        }
      }
    }
    double rawBest = raw.best().itemsPerSecond();
    BenchMain.publish(o.workDir(), render(o, rawBest, raw.best().batch(), defaults, manual, threads,
        BenchMain.command(DefaultsBenchmark.class, args)), out);
    return 0;
  }

  /** The engine threads per model version the node exports, by version key. */
  static Map<String, String> engineThreads(String metrics) {
    Map<String, String> threads = new java.util.TreeMap<>();
    Matcher m = THREADS.matcher(metrics);
    while (m.find()) {
      threads.put(m.group(1), m.group(2));
    }
    return threads;
  }

  static String render(Options o, double rawBest, int rawBatch, double[] defaults, double[] manual,
      Map<String, String> threads, String command) {
    StringBuilder md = new StringBuilder();
    md.append("# Defaults vs tuning: ResNet-18\n\n");
    md.append("Command: `").append(command).append("`\n\n");
    md.append(String.format(Locale.ROOT, "One node on this machine (%d cores, shared with the load generator); ResNet-18"
        + " deployed twice (maxBatchSize 8, 5 ms delay): `resnet18` with no engine threads set anywhere, `resnet18-manual`"
        + " with `engineThreads: 0`; %d closed-loop connections of binary batch-1 requests, %d pairs of %d-s phases in"
        + " alternating order. Raw: DJL forwards in the benchmark process, one per core, best batch (%d).%n%n",
        Runtime.getRuntime().availableProcessors(), o.concurrency(), o.rounds(), o.seconds().toSeconds(), rawBatch));
    md.append("Engine threads in use (`modelplane_model_engine_threads`): ").append(threads).append("\n\n");
    md.append("| setting | items/s per phase | median | of raw |\n|---|---|---:|---:|\n");
    md.append(String.format(Locale.ROOT, "| raw DJL | | %.1f | 100%% |%n", rawBest));
    for (int k = 0; k < 2; k++) {
      double[] v = k == 0 ? defaults : manual;
      StringBuilder phases = new StringBuilder();
      for (double x : v) {
        phases.append(phases.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f", x));
      }
      md.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.0f%% |%n", k == 0 ? "defaults" : "`engineThreads: 0`",
          phases, Latencies.median(v), 100 * Latencies.median(v) / rawBest));
    }
    md.append(String.format(Locale.ROOT, "%nDefaults / best manual: **%.2f** (target: the same ratio, 1.0 within noise).%n",
        Latencies.median(defaults) / Latencies.median(manual)));
    return md.toString();
  }
}
