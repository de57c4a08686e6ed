package io.modelplane.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The inference benchmark of issue 3: for each model, in one run, (a) raw DJL forwards in this
 * process at several batch sizes — the limit — and (b) the full HTTP path (auth, routing, batching)
 * of a ModelPlane node started as a child process, under a bounded closed-loop load from this
 * process; and issue 4's price of predict admission: in process per request, and on the full path
 * as throughput with quotas on vs off. Prints a Markdown report (stdout, and report.md in the work
 * directory) with the command.
 */
public final class InferenceBenchmark {

  static final String TENANT = "bench";
  /** The second tenant of the quota phases: the same model and batching, every predict limit on. */
  static final String QUOTA_TENANT = "bench-quota";
  /**
   * Every predict limit active but far above what the load reaches, so none refuses: what is left
   * is the cost of checking them. Model, version and storage limits stay unlimited (null).
   */
  static final Map<String, Number> QUOTA = Map.of("requestsPerSecond", 1_000_000.0, "burst", 1_000_000,
      "maxConcurrentRequests", 100_000, "monthlyComputeSeconds", 1_000_000_000L);
  static final String QUOTA_OFF = "full path, quota off";
  static final String QUOTA_ON = "full path, quota on";
  /** Each in-process admission run stops here even if its pair count is not reached. */
  private static final Duration ADMISSION_BOUND = Duration.ofSeconds(2);
  static final String TORCH_THREADS = "ai.djl.pytorch.num_threads";
  private static final Duration SERVER_START = Duration.ofSeconds(120);
  private static final Duration MODEL_READY = Duration.ofSeconds(180);

  private InferenceBenchmark() {}

  /** One full-path phase: the load result and the server CPU it cost. */
  record Phase(String label, String batching, LoadGenerator.Result load, double serverCores, double otherCores,
      String serverThreads) {}

  /** Everything measured for one model; {@code failure} says where the full path stopped, if it did. */
  record ModelReport(BenchModel model, RawBenchmark.Sweep raw, List<Phase> phases, String smoke, String quotaSmoke,
      String failure) {}

  public static void main(String[] args) {
    BenchMain.main(InferenceBenchmark.class, args, BenchOptions::parse, InferenceBenchmark::run);
  }

  static int run(BenchOptions o, String[] args) throws IOException, InterruptedException {
    Reporter out = new Reporter();
    applyTorchThreads(o);
    String serverJavaOpts = serverJavaOpts(o);
    Map<String, String> serverEnv = serverEnv(o);
    Path workDir = o.workDir() != null ? o.workDir()
        : Path.of("modules/bench/target", "bench-run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    Files.createDirectories(workDir);
    String loadBefore = loadAverage();
    out.progress("work directory " + workDir.toAbsolutePath() + "; load average " + loadBefore);
    HttpClient http = BenchMain.httpClient();
    List<AdmissionBenchmark.Result> admission = List.of();
    if (o.admissionOps() > 0) {
      // first, in a quiet JVM: no server running, no DJL threads
      out.progress("== admission: in-process QuotaEntity + AdmissionLeases, " + o.admissionOps()
          + " admit + release pairs per thread (at most " + ADMISSION_BOUND.toSeconds() + " s a run)");
      admission = AdmissionBenchmark.run(o.admissionOps(), ADMISSION_BOUND, out);
    }
    List<ModelReport> reports = new ArrayList<>();
    boolean failed = false;
    for (String name : o.models()) {
      BenchModel model = model(name, o, workDir);
      RawBenchmark.Sweep raw = raw(model, o, workDir, out);
      ModelReport report = fullPath(model, raw, o, serverJavaOpts, serverEnv, workDir, http, out);
      failed |= report.failure() != null;
      reports.add(report);
    }
    String command = BenchMain.command(InferenceBenchmark.class, args);
    String markdown = ReportTable.render(reports, admission, o, command, loadBefore, loadAverage());
    BenchMain.publish(workDir, markdown, out);
    return failed ? 1 : 0;
  }

  /**
   * --torch-threads for this JVM: read once when the engine starts, so set before the raw phase
   * loads anything. The raw phase runs forwards on the thread that started the engine, which is
   * the thread DJL applies it to.
   */
  static void applyTorchThreads(BenchOptions o) {
    if (o.torchThreads() != null) {
      System.setProperty(TORCH_THREADS, String.valueOf(o.torchThreads()));
    }
  }

  /** The server's JVM options: --server-java-opts and, with --torch-threads, the same engine setting. */
  static String serverJavaOpts(BenchOptions o) {
    return o.torchThreads() == null ? o.serverJavaOpts()
        : ("-D" + TORCH_THREADS + "=" + o.torchThreads() + " " + o.serverJavaOpts()).trim();
  }

  /** The server's extra environment; OpenMP's thread count is per thread, so batch threads need OMP_NUM_THREADS. */
  static Map<String, String> serverEnv(BenchOptions o) {
    Map<String, String> env = new java.util.LinkedHashMap<>();
    if (o.torchThreads() != null) {
      env.put("OMP_NUM_THREADS", String.valueOf(o.torchThreads()));
    }
    env.putAll(o.serverEnv());
    return env;
  }

  /** The raw phase of {@code model}, then nothing else: the limit its full path is compared with. */
  static RawBenchmark.Sweep raw(BenchModel model, BenchOptions o, Path workDir, Reporter out) {
    Duration rawSeconds = o.rawSeconds() != null ? o.rawSeconds() : model.defaultRawSeconds();
    out.progress("== " + model.name() + ": raw forwards, batch sizes " + java.util.Arrays.toString(model.rawBatches())
        + ", " + rawSeconds.toMillis() / 1000.0 + " s each");
    return RawBenchmark.run(model, workDir.resolve("raw-work"), rawSeconds, 1_000_000, out);
  }

  /** The model {@code name} with its batch settings from the options. */
  static BenchModel model(String name, BenchOptions o, Path workDir) throws IOException {
    return name.equals("digits")
        ? BenchModel.digits(workDir, BenchOptions.batchSettings(o.digitsBatch()))
        : BenchModel.resnet18(o.resnet18(), BenchOptions.batchSettings(o.resnetBatch()));
  }

  static ModelReport fullPath(BenchModel model, RawBenchmark.Sweep raw, BenchOptions o, String serverJavaOpts,
      Map<String, String> serverEnv, Path workDir, HttpClient http, Reporter out) throws IOException, InterruptedException {
    int concurrency = o.concurrency() != null ? o.concurrency() : model.defaultConcurrency();
    Duration warmup = o.warmup() != null ? o.warmup() : model.defaultWarmup();
    // a 45 MB model at batch 8 takes ~0.3 s a forward: queued requests need more time to drain
    Duration grace = Duration.ofSeconds(model.name().equals("digits") ? 10 : 30);
    byte[] secret = new byte[16];
    new SecureRandom().nextBytes(secret);
    String operatorKey = "mp_operator_" + HexFormat.of().formatHex(secret);
    Path serverDir = workDir.resolve("server-" + model.name());
    Path log = workDir.resolve("server-" + model.name() + ".log");
    List<Phase> phases = new ArrayList<>();
    String smoke = null;
    String quotaSmoke = null;
    String step = "starting the server";
    try (ServerProcess server = ServerProcess.start(o.jar(), serverDir.resolve("data"), log, operatorKey, serverJavaOpts,
        serverEnv)) {
      out.progress("server pid " + server.pid() + " on 127.0.0.1:" + server.httpPort() + ", log " + log
          + (serverJavaOpts.isBlank() ? "" : ", JVM options " + serverJavaOpts) + (serverEnv.isEmpty() ? "" : ", env " + serverEnv));
      try {
        server.awaitReady(http, SERVER_START);
        step = "provisioning";
        ModelPlaneClient client = new ModelPlaneClient(http, server.base(), operatorKey);
        client.createTenant(TENANT);
        String key = client.createApiKey(TENANT);
        int version = client.upload(key, TENANT, model.name(), model.manifestJson(), model.artifact());
        client.deploy(key, TENANT, model.name(), version, model.maxBatchSize(), model.maxBatchDelayMs(),
            o.engineThreads());
        out.progress("uploaded " + model.name() + " v" + version + ", deployed with maxBatchSize "
            + model.maxBatchSize() + ", maxBatchDelayMs " + model.maxBatchDelayMs());
        String quotaKey = null;
        if (o.quotaPhases(model.name())) {
          client.createTenant(QUOTA_TENANT, QUOTA);
          quotaKey = client.createApiKey(QUOTA_TENANT);
          int v = client.upload(quotaKey, QUOTA_TENANT, model.name(), model.manifestJson(), model.artifact());
          client.deploy(quotaKey, QUOTA_TENANT, model.name(), v, model.maxBatchSize(), model.maxBatchDelayMs(),
              o.engineThreads());
          out.progress("tenant " + QUOTA_TENANT + " with quota " + QUOTA + ": uploaded " + model.name() + " v" + v
              + ", deployed with the same batching");
        }
        String noDelay = null;
        if (o.latencyDelayMs() >= 0 && o.latencyDelayMs() != model.maxBatchDelayMs()) {
          noDelay = model.name() + "-delay" + o.latencyDelayMs();
          int v = client.upload(key, TENANT, noDelay, model.manifestJson(), model.artifact());
          client.deploy(key, TENANT, noDelay, v, model.maxBatchSize(), o.latencyDelayMs(), o.engineThreads());
          out.progress("uploaded " + noDelay + " v" + v + ", deployed with maxBatchDelayMs " + o.latencyDelayMs());
        }
        step = "waiting for the model to be ready";
        client.awaitReady(key, model.name(), MODEL_READY);
        if (noDelay != null) {
          client.awaitReady(key, noDelay, MODEL_READY);
        }
        if (quotaKey != null) {
          client.awaitReady(quotaKey, model.name(), MODEL_READY);
        }
        step = "the first predict call";
        smoke = smokeCheck(client, key, model, o.binary(), raw, out);
        if (quotaKey != null) {
          quotaSmoke = quotaCheck(client, quotaKey, model, o.binary(), out);
        }

        step = "the load phases";
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.httpPort());
        List<BenchModel.Request> bodies = model.requests(64, o.binary());
        LoadGenerator load = new LoadGenerator(address, "/v2/models/" + model.name() + "/infer", key, bodies);
        String batching = model.maxBatchSize() + " / " + model.maxBatchDelayMs() + " ms";
        out.progress("warm-up: " + concurrency + " connections for " + warmup.toMillis() / 1000.0 + " s");
        report(out, "warm-up", load.run(concurrency, o.clientThreads(), warmup, o.maxRequests(), grace));
        phases.add(measure(out, server, load, "full path", batching, concurrency, o, o.seconds(), grace));
        phases.add(measure(out, server, load, "full path, low load", batching, o.lowConcurrency(), o, o.lowSeconds(), grace));
        if (noDelay != null) {
          LoadGenerator direct = new LoadGenerator(address, "/v2/models/" + noDelay + "/infer", key, bodies);
          report(out, "warm-up " + noDelay, direct.run(o.lowConcurrency(), 1, Duration.ofSeconds(2), o.maxRequests(), grace));
          phases.add(measure(out, server, direct, "full path, low load", model.maxBatchSize() + " / "
              + o.latencyDelayMs() + " ms", o.lowConcurrency(), o, o.lowSeconds(), grace));
        }
        if (quotaKey != null) {
          step = "the quota off / on phases";
          LoadGenerator limited = new LoadGenerator(address, "/v2/models/" + model.name() + "/infer", quotaKey, bodies);
          report(out, "warm-up " + QUOTA_TENANT, limited.run(concurrency, o.clientThreads(), Duration.ofSeconds(2),
              o.maxRequests(), grace));
          // alternated (off/on, on/off, ...), so a drift of the machine (the other engineer's load) hits both sides alike
          for (int round = 1; round <= o.quotaRounds(); round++) {
            for (boolean quotaOn : round % 2 == 1 ? new boolean[] {false, true} : new boolean[] {true, false}) {
              phases.add(measure(out, server, quotaOn ? limited : load, (quotaOn ? QUOTA_ON : QUOTA_OFF) + " #" + round,
                  batching, concurrency, o, o.quotaSeconds(), grace));
            }
          }
        }
        return new ModelReport(model, raw, phases, smoke, quotaSmoke, null);
      } catch (RuntimeException | IOException e) {
        out.progress("FAILED at " + step + ": " + e.getMessage());
        out.progress("last lines of the server log " + log + ":\n" + server.tail(30));
        return new ModelReport(model, raw, phases, smoke, quotaSmoke, step + ": " + e.getMessage());
      } finally {
        out.progress("stopping the server (pid " + server.pid() + ")");
      }
    }
  }

  /** One timed phase, with the server's CPU use over it. */
  private static Phase measure(Reporter out, ServerProcess server, LoadGenerator load, String label, String batching,
      int concurrency, BenchOptions o, Duration seconds, Duration grace) throws IOException, InterruptedException {
    out.progress(label + " (" + batching + "): " + concurrency + " connections for " + seconds.toMillis() / 1000.0 + " s");
    long machineBefore = ServerProcess.machineBusyNanos();
    long selfBefore = ServerProcess.processCpuNanos("self");
    long cpuBefore = server.cpuNanos();
    Map<String, Long> threadsBefore = server.threadCpuNanos();
    LoadGenerator.Result r = load.run(concurrency, o.clientThreads(), seconds, o.maxRequests(), grace);
    long cpuAfter = server.cpuNanos();
    long selfAfter = ServerProcess.processCpuNanos("self");
    long machineAfter = ServerProcess.machineBusyNanos();
    Map<String, Long> threadsAfter = server.threadCpuNanos();
    double serverCores = cores(cpuBefore, cpuAfter, r.elapsedNanos());
    // what the rest of the machine (other processes) took meanwhile: the noise this phase ran in
    double otherCores = cores(machineBefore, machineAfter, r.elapsedNanos()) - serverCores
        - cores(selfBefore, selfAfter, r.elapsedNanos());
    report(out, label, r);
    String threads = threadBreakdown(threadsBefore, threadsAfter, r.elapsedNanos());
    out.progress(String.format("  server CPU %.2f cores (%s); other processes %.2f cores", serverCores, threads,
        otherCores));
    return new Phase(label, batching, r, serverCores, otherCores, threads);
  }

  private static double cores(long before, long after, long elapsedNanos) {
    return before < 0 || after < 0 ? Double.NaN : (after - before) / (double) elapsedNanos;
  }

  /** The server's busiest thread groups over a phase, in cores: where its CPU went. */
  static String threadBreakdown(Map<String, Long> before, Map<String, Long> after, long elapsedNanos) {
    List<Map.Entry<String, Long>> used = new ArrayList<>();
    after.forEach((name, nanos) -> {
      long delta = nanos - before.getOrDefault(name, 0L);
      if (delta > 0) {
        used.add(Map.entry(name, delta));
      }
    });
    used.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(8, used.size()); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(used.get(i).getKey()).append(' ').append(String.format("%.2f", used.get(i).getValue() / (double) elapsedNanos));
    }
    return sb.toString();
  }

  private static void report(Reporter out, String label, LoadGenerator.Result r) {
    out.progress(String.format("%s: %d ok, %d errors %s, %.0f req/s, p50 %.3f ms, p99 %.3f ms, client CPU %.2f cores",
        label, r.ok(), r.errors(), r.errorsByKind().isEmpty() ? "" : r.errorsByKind(), r.okPerSecond(),
        r.latencies().p50(), r.latencies().p99(), r.clientCores()));
    if (r.firstError() != null) {
      out.progress("  first error: " + r.firstError());
    }
  }

  /** One predict over HTTP must answer 200 with the raw forward's output for the same sample. */
  private static String smokeCheck(ModelPlaneClient client, String key, BenchModel model, boolean binary,
      RawBenchmark.Sweep raw, Reporter out) throws IOException, InterruptedException {
    HttpResponse<byte[]> r = client.infer(key, model.name(), model.request(0, binary));
    if (r.statusCode() != 200) {
      throw new IllegalStateException("POST /v2/models/" + model.name() + "/infer (sample 0, batch 1) -> "
          + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
    }
    float[] served = BenchModel.outputOf(r.body());
    double diff = BenchModel.maxDiff(served, raw.sampleOutput());
    String result = String.format("HTTP output of sample 0 vs raw forward: max |diff| %.2e, argmax %d vs %d",
        diff, BenchModel.argmax(served), BenchModel.argmax(raw.sampleOutput()));
    out.progress(result);
    if (!(diff < 1e-3)) {
      throw new IllegalStateException("the server's answer differs from the raw forward: " + result);
    }
    return result;
  }

  /** One predict of the quota tenant must answer 200 and carry its rate limit: the limits are checked. */
  private static String quotaCheck(ModelPlaneClient client, String key, BenchModel model, boolean binary,
      Reporter out)
      throws IOException, InterruptedException {
    HttpResponse<byte[]> r = client.infer(key, model.name(), model.request(0, binary));
    String limit = r.headers().firstValue("RateLimit-Limit").orElse(null);
    String result = QUOTA_TENANT + " predict -> " + r.statusCode() + ", RateLimit-Limit " + limit
        + ", RateLimit-Remaining " + r.headers().firstValue("RateLimit-Remaining").orElse(null);
    out.progress(result);
    if (r.statusCode() != 200 || limit == null) {
      throw new IllegalStateException("the quota tenant's predict is not admitted under its limits: " + result + ": "
          + new String(r.body(), StandardCharsets.UTF_8));
    }
    return result;
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
