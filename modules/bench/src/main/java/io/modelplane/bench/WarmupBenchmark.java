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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How soon a fresh node serves at full speed: a new server process, the digits model uploaded and deployed,
 * then closed-loop load from its first ready second on, counted per second. The first {@code --cold-seconds}
 * are compared with the same load once the node is warm (the median second after {@code --warm-after}).
 */
public final class WarmupBenchmark {

  static final String OPERATOR_KEY = "mp_operator_warmup_bench_0123456789abcd";
  static final String TENANT = "warmup-bench";
  private static final Duration START = Duration.ofMinutes(3);
  private static final Duration SECOND = Duration.ofSeconds(1);

  static final String USAGE = """
      usage: WarmupBenchmark [options]
        --starts N                 fresh nodes measured one after the other (default 1)
        --concurrency C            closed-loop connections (default 64)
        --cold-seconds N           seconds from the first request that count as cold (default 10)
        --warm-after N             seconds of load before the warm seconds (default 30)
        --warm-seconds N           warm seconds measured (default 10)
        --binary                   binary tensor data instead of JSON
        --jar PATH                 server jar (default modules/app/target/modelplane.jar)
        --work-dir PATH            node data, logs, report.md (default modules/bench/target/warmup-run-<time>)
        --server-java-opts "OPTS"  extra JVM options of the node (default none)
        --server-env "K=V,K2=V2"   extra environment of the node (e.g. MODELPLANE_WARMUP=false)
      """;

  record Options(int starts, int concurrency, int coldSeconds, int warmAfter, int warmSeconds, boolean binary,
      Path jar, Path workDir, String serverJavaOpts, Map<String, String> serverEnv) {

    static Options parse(String[] args) {
      int starts = 1;
      int concurrency = 64;
      int cold = 10;
      int warmAfter = 30;
      int warmSeconds = 10;
      boolean binary = false;
      Path jar = Path.of("modules/app/target/modelplane.jar");
      Path workDir = null;
      String javaOpts = "";
      Map<String, String> env = new java.util.TreeMap<>();
      List<String> rest = new ArrayList<>();
      for (String a : args) {
        if (a.equals("--binary")) {
          binary = true;
        } else {
          rest.add(a);
        }
      }
      for (Map.Entry<String, String> option : BenchMain.optionPairs(rest.toArray(String[]::new), USAGE)) {
        String value = option.getValue();
        switch (option.getKey()) {
          case "--starts" -> starts = BenchOptions.positive("--starts", value);
          case "--concurrency" -> concurrency = BenchOptions.positive("--concurrency", value);
          case "--cold-seconds" -> cold = BenchOptions.positive("--cold-seconds", value);
          case "--warm-after" -> warmAfter = BenchOptions.positive("--warm-after", value);
          case "--warm-seconds" -> warmSeconds = BenchOptions.positive("--warm-seconds", value);
          case "--jar" -> jar = Path.of(value);
          case "--work-dir" -> workDir = Path.of(value);
          case "--server-java-opts" -> javaOpts = value;
          case "--server-env" -> {
            for (String kv : value.split(",")) {
              int eq = kv.indexOf('=');
              if (eq <= 0) {
                throw new IllegalArgumentException("--server-env is K=V[,K2=V2], not " + value);
              }
              env.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
          }
          default -> throw new IllegalArgumentException("unknown option " + option.getKey() + "\n" + USAGE);
        }
      }
      if (warmAfter < cold) {
        throw new IllegalArgumentException("--warm-after must be at least --cold-seconds");
      }
      if (workDir == null) {
        workDir = Path.of("modules/bench/target",
            "warmup-run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      }
      return new Options(starts, concurrency, cold, warmAfter, warmSeconds, binary, jar, workDir, javaOpts,
          Map.copyOf(env));
    }
  }

  /**
   * One fresh node: answers per second from its first request on, the warm median, the start to ready time and
   * the first answer's latency.
   */
  record Start(double[] perSecond, double warm, long errors, Duration startToReady, double firstAnswerMs) {
    double coldMean(int seconds) {
      return Arrays.stream(perSecond, 0, seconds).average().orElse(0);
    }

    /** The first second (from 1) that served at least half the warm throughput; 0 if none did. */
    int firstHalfWarmSecond() {
      for (int s = 0; s < perSecond.length; s++) {
        if (perSecond[s] >= warm / 2) {
          return s + 1;
        }
      }
      return 0;
    }
  }

  private WarmupBenchmark() {}

  public static void main(String[] args) {
    BenchMain.main(WarmupBenchmark.class, args, Options::parse, WarmupBenchmark::run);
  }

  static int run(Options o, String[] args) throws IOException, InterruptedException {
    Reporter out = new Reporter();
    Files.createDirectories(o.workDir());
    out.progress("work directory " + o.workDir().toAbsolutePath());
    List<Start> starts = new ArrayList<>();
    for (int i = 0; i < o.starts(); i++) {
      starts.add(measure(o, i + 1, out));
    }
    BenchMain.publish(o.workDir(), render(starts, o, BenchMain.command(WarmupBenchmark.class, args)), out);
    return 0;
  }

  private static Start measure(Options o, int n, Reporter out) throws IOException, InterruptedException {
    HttpClient http = BenchMain.httpClient();
    Path dir = o.workDir().resolve("node-" + n);
    try (ServerProcess node = ServerProcess.start(o.jar(), dir, o.workDir().resolve("node-" + n + ".log"), OPERATOR_KEY,
        o.serverJavaOpts(), o.serverEnv())) {
      Duration ready = node.startToReady(http, START);
      out.progress("node " + n + " (pid " + node.pid() + ") ready after " + ready.toMillis() + " ms");
      ModelPlaneClient client = new ModelPlaneClient(http, node.base(), OPERATOR_KEY);
      client.createTenant(TENANT);
      String key = client.createApiKey(TENANT);
      BenchModel model = BenchModel.digits(Files.createDirectories(dir.resolve("model")), new int[] {64, 1});
      int version = client.upload(key, TENANT, model.name(), model.manifestJson(), model.artifact());
      client.deploy(key, TENANT, model.name(), version, model.maxBatchSize(), model.maxBatchDelayMs(), null);
      client.awaitReady(key, model.name(), START);
      LoadGenerator load = new LoadGenerator(new InetSocketAddress("127.0.0.1", node.httpPort()),
          "/v2/models/" + model.name() + "/infer", key, model.requests(64, o.binary()));
      // the first answer, alone: what the first caller waits
      LoadGenerator.Result first = load.run(1, 1, Duration.ofSeconds(30), 1, Duration.ofSeconds(30));
      int total = o.warmAfter() + o.warmSeconds();
      double[] perSecond = new double[total];
      long errors = first.errors();
      for (int s = 0; s < total; s++) {
        LoadGenerator.Result r = load.run(o.concurrency(), 1, SECOND, Long.MAX_VALUE, Duration.ofSeconds(10));
        perSecond[s] = r.okPerSecond();
        errors += r.errors();
        if (r.errors() > 0) {
          out.progress("second " + (s + 1) + ": " + r.errors() + " errors, first: " + r.firstError());
        }
        if (s < o.coldSeconds() || s % 5 == 4) {
          out.progress(String.format(Locale.ROOT, "node %d second %d: %.0f answers/s", n, s + 1, perSecond[s]));
        }
      }
      double[] warm = Arrays.copyOfRange(perSecond, o.warmAfter(), total);
      Arrays.sort(warm);
      return new Start(perSecond, warm[warm.length / 2], errors, ready, first.latencies().percentileMs(50));
    }
  }

  static String render(List<Start> starts, Options o, String command) {
    StringBuilder md = new StringBuilder();
    md.append("# Warm-up of a fresh node\n\n");
    md.append("Command: `").append(command).append("`\n\n");
    md.append(String.format(Locale.ROOT, "Each start is a new server process on this machine (%d cores, shared with"
        + " the load generator); the digits model (maxBatchSize 64, 1 ms delay) is uploaded and deployed, then %d"
        + " closed-loop connections send %s predict calls in 1-second rounds from the first ready second on. Cold:"
        + " the mean of the first %d seconds; warm: the median second after %d s of load; \"half warm\": the first"
        + " second that served at least half the warm throughput.%n%n",
        Runtime.getRuntime().availableProcessors(), o.concurrency(), o.binary() ? "binary" : "JSON", o.coldSeconds(),
        o.warmAfter()));
    md.append("| start | start to ready (ms) | first answer (ms) | answers/s, seconds 1–").append(o.coldSeconds())
        .append(" | cold mean | warm | cold/warm | half warm in second | errors |\n"
            + "|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
    double[] ratios = new double[starts.size()];
    for (int i = 0; i < starts.size(); i++) {
      Start s = starts.get(i);
      StringBuilder seconds = new StringBuilder();
      for (int k = 0; k < o.coldSeconds(); k++) {
        seconds.append(k == 0 ? "" : " ").append(Math.round(s.perSecond()[k]));
      }
      ratios[i] = s.coldMean(o.coldSeconds()) / s.warm();
      int halfWarm = s.firstHalfWarmSecond();
      md.append(String.format(Locale.ROOT, "| %d | %d | %.1f | %s | %.0f | %.0f | **%.0f%%** | %s | %d |%n", i + 1,
          s.startToReady().toMillis(), s.firstAnswerMs(), seconds, s.coldMean(o.coldSeconds()), s.warm(),
          100 * ratios[i], halfWarm == 0 ? "never" : String.valueOf(halfWarm), s.errors()));
    }
    Arrays.sort(ratios);
    int[] halfWarm = starts.stream().mapToInt(Start::firstHalfWarmSecond).toArray();
    long reached = Arrays.stream(halfWarm).filter(second -> second > 0 && second <= o.coldSeconds()).count();
    md.append(String.format(Locale.ROOT, "%nMedian cold/warm over %d start(s): **%.0f%%**. Half the warm throughput"
        + " reached within the first %d seconds in %d of %d start(s) (target: at least 50%% within 10 s).%n",
        ratios.length, 100 * Latencies.median(ratios), o.coldSeconds(), reached, starts.size()));
    return md.toString();
  }
}
