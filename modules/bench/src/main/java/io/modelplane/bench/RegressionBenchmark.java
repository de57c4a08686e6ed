package io.modelplane.bench;

import io.modelplane.bench.InferenceBenchmark.ModelReport;
import io.modelplane.bench.InferenceBenchmark.Phase;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Before vs after on the same machine in one run: the full path of {@link InferenceBenchmark} (digits
 * throughput; ResNet-18 against its raw forward, measured once in this JVM) with two server jars, in
 * the order before, after, before, after, ... so that a drift of the machine hits both alike; the
 * verdict is the median of the per-round after/before ratios.
 */
public final class RegressionBenchmark {

  static final String USAGE = """
      usage: RegressionBenchmark [--before JAR] [--after JAR] [--rounds N] [options of InferenceBenchmark]
        --before JAR    the reference server jar (default /work/baseline/modelplane-before.jar)
        --after JAR     the server jar under test (default modules/app/target/modelplane.jar)
        --rounds N      before/after pairs per model (default 2: before, after, before, after)
      InferenceBenchmark's options apply to every run (e.g. --model digits, --seconds 10, --binary,
      --engine-threads 0); the quota phases, the admission microbenchmark and the extra 0 ms delay
      deployment are off unless asked for, the low-load phase lasts 3 s.
      """;
  /** After may lose at most this share of before's throughput. */
  static final double REGRESSION_TOLERANCE = 0.05;

  private RegressionBenchmark() {}

  /** One full-path run; {@code raw} is the raw forward measured just before its round. */
  record Run(int round, String side, Path jar, RawBenchmark.Sweep raw, ModelReport report) {
    Phase main() {
      return report.phases().stream().filter(p -> p.label().equals("full path")).findFirst().orElse(null);
    }
  }

  /** The command line: the jars, the rounds and InferenceBenchmark's options. */
  record Args(BenchOptions options, Path before, Path after, int rounds) {
    static Args parse(String[] args) {
      Path before = Path.of("/work/baseline/modelplane-before.jar");
      Path after = Path.of("modules/app/target/modelplane.jar");
      int rounds = 2;
      // defaults first: InferenceBenchmark's parser keeps the last value of an option
      List<String> rest = new ArrayList<>(List.of("--quota-seconds", "0", "--admission-ops", "0", "--latency-delay-ms",
          "-1", "--low-seconds", "3"));
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--help", "-h" -> throw new IllegalArgumentException(USAGE + "\n" + BenchOptions.USAGE);
          case "--before" -> before = Path.of(value(args, ++i));
          case "--after" -> after = Path.of(value(args, ++i));
          case "--rounds" -> {
            rounds = Integer.parseInt(value(args, ++i));
            if (rounds < 1) {
              throw new IllegalArgumentException("--rounds must be at least 1");
            }
          }
          default -> rest.add(args[i]);
        }
      }
      return new Args(BenchOptions.parse(rest.toArray(String[]::new)), before, after, rounds);
    }
  }

  public static void main(String[] args) {
    BenchMain.main(RegressionBenchmark.class, args, Args::parse,
        (a, line) -> run(a.options(), a.before(), a.after(), a.rounds(), line));
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a value\n" + USAGE);
    }
    return args[i];
  }

  static int run(BenchOptions o, Path before, Path after, int rounds, String[] args)
      throws IOException, InterruptedException {
    for (Path jar : List.of(before, after)) {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalArgumentException("no server jar at " + jar.toAbsolutePath());
      }
    }
    Reporter out = new Reporter();
    InferenceBenchmark.applyTorchThreads(o);
    String serverJavaOpts = InferenceBenchmark.serverJavaOpts(o);
    Map<String, String> serverEnv = InferenceBenchmark.serverEnv(o);
    Path workDir = o.workDir() != null ? o.workDir()
        : Path.of("modules/bench/target", "regression-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    Files.createDirectories(workDir);
    String loadBefore = InferenceBenchmark.loadAverage();
    out.progress("work directory " + workDir.toAbsolutePath() + "; before " + before + ", after " + after + "; load average "
        + loadBefore);
    HttpClient http = BenchMain.httpClient();
    Map<String, RawBenchmark.Sweep> raws = new LinkedHashMap<>();
    List<Run> runs = new ArrayList<>();
    boolean failed = false;
    for (String name : o.models()) {
      BenchModel model = InferenceBenchmark.model(name, o, workDir);
      for (int round = 1; round <= rounds; round++) {
        // the limit again each round: full/raw then compares runs minutes apart, not a whole run apart
        RawBenchmark.Sweep raw = InferenceBenchmark.raw(model, o, workDir, out);
        raws.putIfAbsent(name, raw);
        for (String side : List.of("before", "after")) {
          Path jar = side.equals("before") ? before : after;
          Path dir = Files.createDirectories(workDir.resolve(name + "-" + round + "-" + side));
          out.progress("== " + name + " round " + round + ", " + side + " (" + jar + ")");
          ModelReport report = InferenceBenchmark.fullPath(model, raw, o.withJar(jar), serverJavaOpts, serverEnv, dir,
              http, out);
          failed |= report.failure() != null;
          runs.add(new Run(round, side, jar, raw, report));
        }
      }
    }
    String command = BenchMain.command(RegressionBenchmark.class, args);
    String markdown = render(runs, raws, o, before, after, command, loadBefore, InferenceBenchmark.loadAverage());
    BenchMain.publish(workDir, markdown, out);
    return failed ? 1 : 0;
  }

  static String render(List<Run> runs, Map<String, RawBenchmark.Sweep> raws, BenchOptions o, Path before, Path after,
      String command, String loadBefore, String loadAfter) {
    StringBuilder md = ReportTable.begin("ModelPlane regression: before vs after, full path", command);
    md.append(String.format(Locale.ROOT, "%s, load average %s at start, %s at end. before = `%s`, after ="
            + " `%s`; each run a fresh node (child JVM) provisioned alike; runs in the order before, after, before, after;"
            + " full path = closed-loop HTTP/1.1 keep-alive load, one item per request (%s).%n%n",
        ReportTable.machine(), loadBefore, loadAfter, before, after,
        o.binary() ? "binary tensor data" : "JSON data"));
    md.append("| model | round | jar | concurrency | requests (errors) | req/s | p50 ms | p99 ms | raw items/s | full/raw"
        + " | server CPU | server CPU µs/req |\n");
    md.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Run r : runs) {
      Phase p = r.main();
      String name = r.report().model().name();
      if (p == null) {
        md.append(String.format(Locale.ROOT, "| %s | %d | %s | | FAILED: %s | | | | | | | |%n", name, r.round(), r.side(),
            r.report().failure()));
        continue;
      }
      LoadGenerator.Result l = p.load();
      RawBenchmark.Result best = r.raw().best();
      md.append(String.format(Locale.ROOT, "| %s | %d | %s | %d | %,d (%,d) | %,.1f | %.3f | %.3f | %,.1f (batch %d) | %.3f | %.2f | %,.1f |%n",
          name, r.round(), r.side(), l.concurrency(), l.ok(), l.errors(), l.okPerSecond(), l.latencies().p50(),
          l.latencies().p99(), best.itemsPerSecond(), best.batch(), l.okPerSecond() / best.itemsPerSecond(),
          p.serverCores(), cpuMicrosPerRequest(p)));
    }
    md.append('\n');
    md.append("raw = the best raw forward (this JVM, one thread) measured just before the round; full/raw = req/s over it."
        + " Server CPU µs/req = the server's CPU time over the phase per answered request: what a request costs the"
        + " server, much less sensitive than req/s to other load on the machine.\n");
    md.append("\n### Verdict (after / before)\n\n");
    for (String name : raws.keySet()) {
      List<Double> ratios = new ArrayList<>();
      List<Double> cpuRatios = new ArrayList<>();
      double beforeSum = 0;
      double afterSum = 0;
      for (Run b : runs) {
        if (!b.report().model().name().equals(name) || !b.side().equals("before") || b.main() == null) {
          continue;
        }
        Run a = runs.stream().filter(x -> x.report().model().name().equals(name) && x.round() == b.round()
            && x.side().equals("after") && x.main() != null).findFirst().orElse(null);
        if (a == null) {
          continue;
        }
        ratios.add(a.main().load().okPerSecond() / b.main().load().okPerSecond());
        cpuRatios.add(cpuMicrosPerRequest(a.main()) / cpuMicrosPerRequest(b.main()));
        beforeSum += b.main().load().okPerSecond();
        afterSum += a.main().load().okPerSecond();
      }
      if (ratios.isEmpty()) {
        md.append("- ").append(name).append(": no complete before/after pair\n");
        continue;
      }
      double[] sorted = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double median = Latencies.median(sorted);
      double[] cpuSorted = cpuRatios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      String what = name.equals("digits") ? "full-path req/s" : "full-path items/s (= full/raw: one raw per round)";
      md.append(String.format(Locale.ROOT, "- %s %s, after/before: median of %d pairs %.3f (%+.1f%%; pairs %.3f to %.3f;"
              + " summed %.3f) -> %s%n", name, what, sorted.length, median, (median - 1) * 100, sorted[0],
          sorted[sorted.length - 1], afterSum / beforeSum,
          median >= 1 - REGRESSION_TOLERANCE ? "no regression beyond " + Math.round(REGRESSION_TOLERANCE * 100) + "%"
              : "REGRESSION"));
      md.append(String.format(Locale.ROOT, "- %s server CPU per request, after/before: median of %d pairs %.3f (pairs %.3f"
              + " to %.3f)%n", name, cpuSorted.length, Latencies.median(cpuSorted), cpuSorted[0], cpuSorted[cpuSorted.length - 1]));
    }
    return md.toString();
  }

  private static double cpuMicrosPerRequest(Phase p) {
    return p.serverCores() * 1e6 / Math.max(1e-9, p.load().okPerSecond());
  }
}
