package io.modelplane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Many small models on one worker: {@code tenants} tenants each deploy {@code versions} versions of the digits MLP
 * (every version its own artifact: the last layer's bias nudged, so nothing is shared), all resident on one node's
 * worker. Reports resident count, heap / RSS / JVM native memory and threads per model, load time per version, and
 * predict latency on a random resident version at 1 and 64 connections against the same with a single resident
 * version (measured first, on the same node).
 */
public final class DensityBenchmark {

  static final String OPERATOR_KEY = "mp_operator_density_bench_0123456789abc";
  static final String MODEL = "digits";
  private static final Duration START = Duration.ofMinutes(3);

  static final String USAGE = """
      usage: DensityBenchmark [options]
        --tenants N                 tenants (default 10)
        --versions N                versions of the digits model per tenant, 1..100 (default 100)
        --seconds N                 measured seconds per latency phase (default 8)
        --warmup-seconds N          unmeasured seconds before each latency phase (default 4)
        --jit-warmup-seconds N      unmeasured seconds at 64 connections before the first phase (default 20)
        --jar PATH                  server jar (default modules/app/target/modelplane.jar)
        --work-dir PATH             node data, log, report.md (default modules/bench/target/density-run-<time>)
        --server-java-opts "OPTS"   extra JVM options of the node (default none)
      """;

  record Options(int tenants, int versions, int seconds, int warmupSeconds, int jitWarmupSeconds, Path jar,
      Path workDir, String serverJavaOpts) {

    static Options parse(String[] args) {
      int tenants = 10;
      int versions = 100;
      int seconds = 8;
      int warmup = 4;
      int jitWarmup = 20;
      Path jar = Path.of("modules/app/target/modelplane.jar");
      Path workDir = null;
      String javaOpts = "";
      for (Map.Entry<String, String> option : BenchMain.optionPairs(args, USAGE)) {
        String value = option.getValue();
        switch (option.getKey()) {
          case "--tenants" -> tenants = whole("--tenants", value, 1, 100);
          // a deployment splits traffic in whole percents: at most 100 versions each get a share
          case "--versions" -> versions = whole("--versions", value, 1, 100);
          case "--seconds" -> seconds = whole("--seconds", value, 1, 600);
          case "--warmup-seconds" -> warmup = whole("--warmup-seconds", value, 0, 600);
          case "--jit-warmup-seconds" -> jitWarmup = whole("--jit-warmup-seconds", value, 0, 600);
          case "--jar" -> jar = Path.of(value);
          case "--work-dir" -> workDir = Path.of(value);
          case "--server-java-opts" -> javaOpts = value;
          default -> throw new IllegalArgumentException("unknown option " + option.getKey() + "\n" + USAGE);
        }
      }
      if (workDir == null) {
        workDir = Path.of("modules/bench/target",
            "density-run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      }
      return new Options(tenants, versions, seconds, warmup, jitWarmup, jar, workDir, javaOpts);
    }

    private static int whole(String name, String value, int min, int max) {
      try {
        int n = Integer.parseInt(value);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max + ", not " + value);
    }
  }

  /** The node's memory and threads at one point. */
  record Footprint(int residents, ServerProcess.Memory memory, long nmtCommittedBytes, Map<String, Long> nmtCategories,
      int threads) {}

  /**
   * Where a 1-connection phase's mean latency went, from the node's own counters over the measured seconds: the
   * node's predict latency (authenticated request to encoded answer), of it the forward passes (the worker's busy
   * time per request), and the rest of the client's mean (HTTP edge, authentication, loopback, load generator).
   */
  record Stages(double clientMs, double nodeMs, double forwardMs) {}

  record Phase(String name, LoadGenerator.Result result, Stages stages) {}

  record Report(Footprint empty, Footprint single, Footprint dense, Latencies loadSeconds, Duration placeAll,
      List<Phase> phases) {}

  private DensityBenchmark() {}

  public static void main(String[] args) {
    BenchMain.main(DensityBenchmark.class, args, Options::parse, DensityBenchmark::run);
  }

  static int run(Options o, String[] args) throws IOException, InterruptedException {
    Reporter out = new Reporter();
    Files.createDirectories(o.workDir());
    out.progress("work directory " + o.workDir().toAbsolutePath());
    HttpClient http = BenchMain.httpClient();
    BenchModel digits = BenchModel.digits(Files.createDirectories(o.workDir().resolve("model")), new int[] {32, 0});
    Path original = digits.artifact();
    String javaOpts = ("-XX:NativeMemoryTracking=summary " + o.serverJavaOpts()).trim();
    Report report;
    try (ServerProcess node = ServerProcess.start(o.jar(), o.workDir().resolve("node"), o.workDir().resolve("node.log"),
        OPERATOR_KEY, javaOpts, Map.of("MODELPLANE_MANAGEMENT_PORT", "0"))) {
      node.awaitReady(http, START);
      out.progress("node pid " + node.pid() + " on 127.0.0.1:" + node.httpPort());
      ModelPlaneClient operator = new ModelPlaneClient(http, node.base(), OPERATOR_KEY);
      try {
        report = measure(o, node, operator, digits, original, out);
      } catch (RuntimeException e) {
        out.progress("node log (last lines):\n" + node.tail(30));
        throw e;
      }
    }
    BenchMain.publish(o.workDir(), render(report, o, BenchMain.command(DensityBenchmark.class, args)), out);
    return 0;
  }

  private static Report measure(Options o, ServerProcess node, ModelPlaneClient operator, BenchModel digits,
      Path original, Reporter out) throws IOException, InterruptedException {
    Path artifacts = Files.createDirectories(o.workDir().resolve("artifacts"));
    String[] tenants = new String[o.tenants()];
    String[] keys = new String[o.tenants()];
    for (int t = 0; t < tenants.length; t++) {
      tenants[t] = String.format(Locale.ROOT, "dense-%03d", t);
      operator.createTenant(tenants[t]);
      keys[t] = operator.createApiKey(tenants[t]);
    }
    Footprint empty = footprint(node, operator);
    out.progress("empty node: " + describe(empty));

    // one resident version first: the baseline
    upload(operator, keys[0], tenants[0], digits, artifacts, original, 0, 1);
    deploy(operator, keys[0], tenants[0], 1);
    operator.awaitReady(keys[0], MODEL, START);
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", node.httpPort());
    List<LoadGenerator.Target> single = new ArrayList<>();
    for (BenchModel.Request r : digits.requests(64, false)) {
      single.add(new LoadGenerator.Target(inferPath(1), keys[0], r));
    }
    if (o.jitWarmupSeconds() > 0) {
      // the node's JIT warm before the baseline: the later phases run on a warm node too
      new LoadGenerator(address, single).run(64, 2, Duration.ofSeconds(o.jitWarmupSeconds()), Long.MAX_VALUE,
          Duration.ofSeconds(30));
    }
    List<Phase> phases = new ArrayList<>();
    phases.addAll(latencies(o, address, single, "single resident version", out, operator));
    Footprint one = footprint(node, operator);
    out.progress("one version resident: " + describe(one));

    for (int t = 0; t < tenants.length; t++) {
      upload(operator, keys[t], tenants[t], digits, artifacts, original, t, o.versions());
      out.progress("uploaded " + o.versions() + " versions of " + tenants[t]);
    }
    long placing = System.nanoTime();
    for (int t = 0; t < tenants.length; t++) {
      deploy(operator, keys[t], tenants[t], o.versions());
    }
    int total = tenants.length * o.versions();
    awaitResident(operator, total, out);
    Duration placeAll = Duration.ofNanos(System.nanoTime() - placing);
    out.progress(total + " versions resident after " + placeAll.toMillis() + " ms");

    // every version answers once, one call at a time
    SplittableRandom random = new SplittableRandom(15);
    List<LoadGenerator.Target> everyOnce = new ArrayList<>();
    List<LoadGenerator.Target> randomMix = new ArrayList<>();
    List<BenchModel.Request> bodies = digits.requests(64, false);
    for (int t = 0; t < tenants.length; t++) {
      for (int v = 1; v <= o.versions(); v++) {
        everyOnce.add(new LoadGenerator.Target(inferPath(v), keys[t], bodies.get(random.nextInt(bodies.size()))));
      }
    }
    for (int i = 0; i < 8192; i++) {
      int t = random.nextInt(tenants.length);
      int v = 1 + random.nextInt(o.versions());
      randomMix.add(new LoadGenerator.Target(inferPath(v), keys[t], bodies.get(random.nextInt(bodies.size()))));
    }
    LoadGenerator.Result touched = new LoadGenerator(address, everyOnce).run(1, 1, Duration.ofMinutes(2),
        everyOnce.size(), Duration.ofSeconds(30));
    if (touched.errors() > 0 || touched.ok() != everyOnce.size()) {
      throw new IllegalStateException("not every resident version answered: " + touched.ok() + " of "
          + everyOnce.size() + " ok, errors " + touched.errorsByKind() + ", first: " + touched.firstError());
    }
    out.progress(String.format(Locale.ROOT, "every version answered once: p50 %.2f ms, p99 %.2f ms",
        touched.latencies().percentileMs(50), touched.latencies().percentileMs(99)));
    phases.addAll(latencies(o, address, randomMix, total + " resident, random version", out, operator));
    // the single version again, now among all the others
    phases.addAll(latencies(o, address, single, total + " resident, always the same version", out, operator));
    Footprint dense = footprint(node, operator);
    out.progress(total + " versions resident: " + describe(dense));
    Latencies loads = loadSeconds(operator);

    // back to a single resident version, on the same (now warmer) node: every other deployment scales to zero
    for (int t = 0; t < tenants.length; t++) {
      ObjectNode body = BenchModel.JSON.createObjectNode();
      body.putObject("traffic").put("1", 100);
      body.put("maxBatchSize", 32);
      body.put("maxBatchDelayMs", 0);
      if (t > 0) {
        body.put("minReplicas", 0);
        body.put("maxReplicas", 1);
        body.put("idleUnloadSeconds", 1);
      }
      ModelPlaneClient.Reply r = operator.call("PUT", "/api/v1/tenants/" + tenants[t] + "/models/" + MODEL
          + "/deployment", body.toString());
      if (r.status() != 202) {
        throw new IllegalStateException("redeploy of " + tenants[t] + " -> " + r.status() + ": " + r.body());
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (residents(operator) > 1 && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
    int left = residents(operator);
    if (left == 1) {
      phases.addAll(latencies(o, address, single, "single resident version, again", out, operator));
    } else {
      out.progress(left + " versions still resident after 90 s: no second single-version phase");
    }
    return new Report(empty, one, dense, loads, placeAll, phases);
  }

  private static String inferPath(int version) {
    return "/v2/models/" + MODEL + "/versions/" + version + "/infer";
  }

  private static List<Phase> latencies(Options o, InetSocketAddress address, List<LoadGenerator.Target> targets,
      String name, Reporter out, ModelPlaneClient operator) throws IOException, InterruptedException {
    LoadGenerator load = new LoadGenerator(address, targets);
    List<Phase> phases = new ArrayList<>();
    for (int connections : new int[] {1, 64}) {
      if (o.warmupSeconds() > 0) {
        load.run(connections, 2, Duration.ofSeconds(o.warmupSeconds()), Long.MAX_VALUE, Duration.ofSeconds(30));
      }
      NodeCounters before = NodeCounters.read(operator);
      LoadGenerator.Result r = load.run(connections, 2, Duration.ofSeconds(o.seconds()), Long.MAX_VALUE,
          Duration.ofSeconds(30));
      NodeCounters after = NodeCounters.read(operator);
      if (r.errors() > 0) {
        throw new IllegalStateException(name + " at " + connections + " connections: " + r.errors() + " errors "
            + r.errorsByKind() + ", first: " + r.firstError());
      }
      out.progress(String.format(Locale.ROOT, "%s, %d connections: %.0f req/s, p50 %.2f ms, p99 %.2f ms", name,
          connections, r.okPerSecond(), r.latencies().percentileMs(50), r.latencies().percentileMs(99)));
      double requests = after.since(before, "modelplane_predict_latency_seconds_count");
      Stages stages = connections != 1 || requests <= 0 ? null : new Stages(r.latencies().meanMs(),
          after.since(before, "modelplane_predict_latency_seconds_sum") / requests * 1e3,
          after.since(before, "modelplane_worker_busy_seconds_total") / requests * 1e3);
      if (stages != null) {
        out.progress(String.format(Locale.ROOT, "%s, 1 connection, mean: client %.3f ms, node %.3f ms, forward"
            + " %.3f ms", name, stages.clientMs(), stages.nodeMs(), stages.forwardMs()));
      }
      phases.add(new Phase(name, r, stages));
    }
    return phases;
  }

  /** Uploads versions 1..count of {@code tenant}'s digits model (those not there yet), each its own artifact. */
  private static void upload(ModelPlaneClient operator, String key, String tenant, BenchModel digits, Path dir,
      Path original, int tenantIndex, int count) throws IOException, InterruptedException {
    ModelPlaneClient.Reply listed = operator.call("GET", "/api/v1/tenants/" + tenant + "/models/" + MODEL, null);
    int have = listed.status() == 200 ? listed.json().path("versions").size() : 0;
    for (int v = have + 1; v <= count; v++) {
      Path artifact = dir.resolve(tenant + "-" + v + ".pt");
      Files.write(artifact, perturbed(original, tenantIndex * 1000 + v));
      int version = operator.upload(key, tenant, MODEL, digits.manifestJson(), artifact);
      if (version != v) {
        throw new IllegalStateException(tenant + " got version " + version + ", expected " + v);
      }
    }
  }

  /** Traffic over versions 1..count in whole percents (the first ones take the remainder). */
  private static void deploy(ModelPlaneClient operator, String key, String tenant, int count)
      throws IOException, InterruptedException {
    ObjectNode body = BenchModel.JSON.createObjectNode();
    ObjectNode traffic = body.putObject("traffic");
    for (int v = 1; v <= count; v++) {
      traffic.put(String.valueOf(v), 100 / count + (v <= 100 % count ? 1 : 0));
    }
    body.put("maxBatchSize", 32);
    body.put("maxBatchDelayMs", 0);
    ModelPlaneClient.Reply r = operator.call("PUT", "/api/v1/tenants/" + tenant + "/models/" + MODEL + "/deployment",
        body.toString());
    if (r.status() != 202) {
      throw new IllegalStateException("deploy of " + tenant + " -> " + r.status() + ": " + r.body());
    }
  }

  private static void awaitResident(ModelPlaneClient operator, int expected, Reporter out)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    int last = -1;
    long lastReport = 0;
    while (System.nanoTime() < deadline) {
      int now = residents(operator);
      if (now >= expected) {
        return;
      }
      if (now != last && System.nanoTime() - lastReport > 5_000_000_000L) {
        out.progress(now + " of " + expected + " versions resident");
        lastReport = System.nanoTime();
      }
      last = now;
      Thread.sleep(500);
    }
    throw new IllegalStateException("only " + last + " of " + expected + " versions resident after 5 minutes");
  }

  private static int residents(ModelPlaneClient operator) throws IOException, InterruptedException {
    ModelPlaneClient.Reply r = operator.call("GET", "/api/v1/admin/cluster", null);
    if (r.status() != 200) {
      throw new IllegalStateException("GET /api/v1/admin/cluster -> " + r.status() + ": " + r.body());
    }
    int n = 0;
    for (JsonNode worker : r.json().path("workers")) {
      n += worker.path("models").size();
    }
    return n;
  }

  private static Footprint footprint(ServerProcess node, ModelPlaneClient operator)
      throws IOException, InterruptedException {
    ServerProcess.Memory memory = node.memoryAfterGc();
    String nmt = node.jcmd("VM.native_memory summary");
    Matcher m = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB").matcher(nmt);
    long committed = m.find() ? Long.parseLong(m.group(2)) * 1024 : -1;
    Map<String, Long> categories = new java.util.TreeMap<>();
    Matcher c = Pattern.compile("(?m)^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)").matcher(nmt);
    while (c.find()) {
      categories.put(c.group(1).strip(), Long.parseLong(c.group(2)) * 1024);
    }
    return new Footprint(residents(operator), memory, committed, categories, node.threads());
  }

  /** How long each resident version took to load, as the node measured it (its load-time gauge). */
  private static Latencies loadSeconds(ModelPlaneClient operator) throws IOException, InterruptedException {
    ModelPlaneClient.Reply r = operator.call("GET", "/metrics", null);
    Matcher m = Pattern.compile("(?m)^modelplane_model_load_seconds\\{[^}]*} ([0-9.eE+-]+)$").matcher(r.body());
    long[] nanos = new long[16];
    int n = 0;
    while (m.find()) {
      nanos = Latencies.ensure(nanos, n);
      nanos[n++] = (long) (Double.parseDouble(m.group(1)) * 1e9);
    }
    return Latencies.of(nanos, n);
  }

  private static String describe(Footprint f) {
    return String.format(Locale.ROOT, "%d resident, heap %.1f MiB, RSS %.1f MiB, JVM native (NMT) %.1f MiB, %d threads",
        f.residents(), mib(f.memory().heapUsedBytes()), mib(f.memory().rssBytes()), mib(f.nmtCommittedBytes()),
        f.threads());
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }

  /**
   * The digits TorchScript with the last layer's first bias raised by {@code seed} millionths: its own bytes (and
   * sha256), the same code, answers that differ only in the sixth decimal.
   */
  static byte[] perturbed(Path torchScript, int seed) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(80 * 1024);
    // ZipFile, not ZipInputStream: torch.save writes stored entries with data descriptors, which only the
    // central directory describes
    try (ZipFile in = new ZipFile(torchScript.toFile()); ZipOutputStream zip = new ZipOutputStream(bytes)) {
      boolean nudged = false;
      for (ZipEntry entry : java.util.Collections.list(in.entries())) {
        byte[] data;
        try (java.io.InputStream stream = in.getInputStream(entry)) {
          data = stream.readAllBytes();
        }
        if (entry.getName().endsWith("/data/5")) {
          ByteBuffer floats = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
          floats.putFloat(0, floats.getFloat(0) + seed * 1e-6f);
          nudged = true;
        }
        ZipEntry copy = new ZipEntry(entry.getName());
        // libtorch reads tensors in place: they stay stored, as torch.save wrote them
        if (entry.getMethod() == ZipEntry.STORED) {
          CRC32 crc = new CRC32();
          crc.update(data);
          copy.setMethod(ZipEntry.STORED);
          copy.setSize(data.length);
          copy.setCompressedSize(data.length);
          copy.setCrc(crc.getValue());
        }
        zip.putNextEntry(copy);
        zip.write(data);
        zip.closeEntry();
      }
      if (!nudged) {
        throw new IllegalStateException("the digits model has no data/5 entry (the last layer's bias)");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static String render(Report r, Options o, String command) {
    int total = o.tenants() * o.versions();
    StringBuilder md = new StringBuilder();
    md.append("# Density: many small models on one worker\n\n");
    md.append("Command: `").append(command).append("`\n\n");
    md.append(String.format(Locale.ROOT, "One node on this machine (%d cores, shared with the load generator); %d tenants"
        + " x %d versions of the digits MLP, each version its own artifact (the last bias nudged), deployed with a"
        + " traffic split over all of its versions (maxBatchSize 32, maxBatchDelayMs 0), all on the node's one worker"
        + " under its default byte budget. Memory after a full GC (jcmd GC.run); JVM native is NMT's committed total;"
        + " RSS also holds libtorch. Latency: closed-loop HTTP/1.1 predict calls (JSON, batch 1) after %d s of warm-up,"
        + " %d s measured; \"random version\" picks tenant and version at random per request.%n%n",
        Runtime.getRuntime().availableProcessors(), o.tenants(), o.versions(), o.warmupSeconds(), o.seconds()));
    md.append("| resident versions | heap after GC (MiB) | RSS (MiB) | JVM native, NMT (MiB) | threads |\n");
    md.append("|---|---|---|---|---|\n");
    for (Footprint f : List.of(r.empty(), r.single(), r.dense())) {
      md.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %d |%n", f.residents(),
          mib(f.memory().heapUsedBytes()), mib(f.memory().rssBytes()), mib(f.nmtCommittedBytes()), f.threads()));
    }
    int extra = Math.max(1, r.dense().residents() - r.single().residents());
    md.append(String.format(Locale.ROOT, "%nPer additional resident version: heap %.1f KiB, RSS %.1f KiB, JVM native"
        + " %.1f KiB, %.2f threads.%n%n",
        (r.dense().memory().heapUsedBytes() - r.single().memory().heapUsedBytes()) / 1024.0 / extra,
        (r.dense().memory().rssBytes() - r.single().memory().rssBytes()) / 1024.0 / extra,
        (r.dense().nmtCommittedBytes() - r.single().nmtCommittedBytes()) / 1024.0 / extra,
        (r.dense().threads() - r.single().threads()) / (double) extra));
    md.append("JVM native memory (NMT, committed) per additional resident version, by category:");
    r.dense().nmtCategories().forEach((category, bytes) -> {
      long delta = bytes - r.single().nmtCategories().getOrDefault(category, 0L);
      if (Math.abs(delta) / extra >= 1024) {
        md.append(String.format(Locale.ROOT, " %s %.1f KiB;", category, delta / 1024.0 / extra));
      }
    });
    md.append("\n\n");
    md.append(String.format(Locale.ROOT, "Load time per version (the node's own figure, %d versions): p50 %.1f ms, p99"
        + " %.1f ms; all %d placed and resident %.1f s after their deployments.%n%n", r.loadSeconds().count(),
        r.loadSeconds().percentileMs(50), r.loadSeconds().percentileMs(99), total, r.placeAll().toMillis() / 1e3));
    md.append("| predict on | connections | req/s | p50 (ms) | p99 (ms) |\n|---|---|---|---|---|\n");
    for (Phase p : r.phases()) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.2f | %.2f |%n", p.name(), p.result().concurrency(),
          p.result().okPerSecond(), p.result().latencies().percentileMs(50), p.result().latencies().percentileMs(99)));
    }
    md.append("\nWhere the mean latency at 1 connection goes (the node's own counters over the measured seconds):"
        + " \"pipeline\" is the node's predict latency (from the authenticated request to its encoded answer) less"
        + " \"forward\", the worker's forward-pass time per request, so it holds admission, routing, JSON decode"
        + " and encode, the hand-offs to and from the version's batch thread and metering; \"edge and client\" is"
        + " the client's mean less the node's predict latency: HTTP parsing, authentication, writing the response,"
        + " loopback and the load generator.\n\n");
    md.append("| predict on | client mean (ms) | edge and client (ms) | pipeline (ms) | forward (ms) |\n");
    md.append("|---|---|---|---|---|\n");
    for (Phase p : r.phases()) {
      Stages st = p.stages();
      if (st != null) {
        md.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f |%n", p.name(), st.clientMs(),
            st.clientMs() - st.nodeMs(), st.nodeMs() - st.forwardMs(), st.forwardMs()));
      }
    }
    Phase dense = r.phases().get(2);
    for (Phase base : List.of(r.phases().get(0), r.phases().get(r.phases().size() - 2))) {
      if (base.name().startsWith("single")) {
        md.append(String.format(Locale.ROOT, "%nRandom version among %d vs \"%s\", 1 connection: p50 ratio %.2f"
            + " (target ≤ 1.10), 64 connections: %.2f.", total, base.name(),
            dense.result().latencies().percentileMs(50) / base.result().latencies().percentileMs(50),
            r.phases().get(3).result().latencies().percentileMs(50)
                / r.phases().get(r.phases().indexOf(base) + 1).result().latencies().percentileMs(50)));
      }
    }
    md.append("\n");
    return md.toString();
  }
}
