package io.modelplane.bench;

import io.modelplane.bench.InferenceBenchmark.ModelReport;
import io.modelplane.bench.InferenceBenchmark.Phase;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The Markdown report: the summary table (raw vs full path), the targets, the raw sweep, the command. */
final class ReportTable {

  static final double DIGITS_TARGET_PER_SECOND = 10_000;
  static final double RESNET_TARGET_RATIO = 0.90;
  static final double ADDED_P50_TARGET_MS = 1.0;
  /** Quotas on may cost at most this share of the full path's throughput. */
  static final double QUOTA_COST_TARGET = 0.05;

  private ReportTable() {}

  /** A report's heading and command line. */
  static StringBuilder begin(String title, String command) {
    StringBuilder md = new StringBuilder();
    md.append("## ").append(title).append("\n\n");
    md.append("Command: `").append(command).append("`\n\n");
    return md;
  }

  /** The machine a report ran on: "N cores, JDK v". */
  static String machine() {
    return Runtime.getRuntime().availableProcessors() + " cores, JDK " + System.getProperty("java.version");
  }

  static String render(List<ModelReport> reports, List<AdmissionBenchmark.Result> admission, BenchOptions o,
      String command, String loadBefore, String loadAfter) {
    StringBuilder md = begin("ModelPlane inference benchmark: raw DJL forward vs full HTTP path", command);
    md.append(String.format(Locale.ROOT, "%s, load average %s at start, %s at end. Raw: one caller thread"
            + " in the benchmark JVM calling LoadedModel.forward. Full path: a ModelPlane node (child JVM, loopback) with"
            + " auth, routing and batching, under closed-loop HTTP/1.1 keep-alive load (%d selector thread(s) in the"
            + " benchmark JVM, one request of one item in flight per connection) sharing the same cores.%n%n",
        machine(), loadBefore, loadAfter,
        o.clientThreads()));
    md.append("libtorch intra-op threads: ").append(o.torchThreads() == null ? "libtorch default (one per core)"
        : o.torchThreads() + " (raw phase: -D" + InferenceBenchmark.TORCH_THREADS + "; server: the same and OMP_NUM_THREADS)")
        .append(o.serverJavaOpts().isBlank() ? "" : "; server JVM options `" + o.serverJavaOpts() + "`")
        .append(o.serverEnv().isEmpty() ? "" : "; server environment " + o.serverEnv()).append(".\n\n");
    md.append("Full-path requests: ").append(o.binary()
        ? "binary tensor data extension (`--binary`: a small JSON part, then the input's raw little-endian FP32)"
        : "JSON data").append(".\n\n");
    md.append("| model | path | batching (max / delay) | concurrency | requests (errors) | req/s | items/s "
        + "| p50 ms | p99 ms | full/raw items/s | p50 over raw batch 1 | server CPU | client CPU | other CPU |\n");
    md.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (ModelReport r : reports) {
      RawBenchmark.Result best = r.raw().best();
      RawBenchmark.Result one = r.raw().batch(1);
      String name = r.model().name();
      md.append(row(name, "raw forward, best batch (" + best.batch() + ")", "-", "1 thread",
          String.format(Locale.ROOT, "%,d forwards", best.forwards()), best.forwardsPerSecond(), best.itemsPerSecond(),
          best.latencies().p50(), best.latencies().p99(), "1.00 (limit)", "-", "-", "-", cores(best.otherCores())));
      if (best.batch() != 1) {
        md.append(row(name, "raw forward, batch 1", "-", "1 thread",
            String.format(Locale.ROOT, "%,d forwards", one.forwards()), one.forwardsPerSecond(), one.itemsPerSecond(),
            one.latencies().p50(), one.latencies().p99(), ratio(one.itemsPerSecond(), best.itemsPerSecond()), "-", "-",
            "-", cores(one.otherCores())));
      }
      for (Phase p : r.phases()) {
        LoadGenerator.Result l = p.load();
        // throughput against the limit under load; latency against a lone forward at low load
        boolean lowLoad = lowLoad(p);
        md.append(row(name, p.label(), p.batching(), String.valueOf(l.concurrency()),
            String.format(Locale.ROOT, "%,d (%,d)", l.ok(), l.errors()), l.okPerSecond(), l.okPerSecond(),
            l.latencies().p50(), l.latencies().p99(), lowLoad ? "-" : ratio(l.okPerSecond(), best.itemsPerSecond()),
            lowLoad ? String.format(Locale.ROOT, "%+.3f ms", l.latencies().p50() - one.latencies().p50()) : "-",
            String.format(Locale.ROOT, "%.2f", p.serverCores()), String.format(Locale.ROOT, "%.2f", l.clientCores()),
            cores(p.otherCores())));
      }
      if (r.failure() != null) {
        md.append("| ").append(name).append(" | full path FAILED | | | | | | | | | | | | |\n");
      }
    }
    md.append('\n');
    md.append("Requests carry one item each (items/s = req/s on the full path); latencies are client-observed,"
        + " from the first byte written to the last byte read; errors are answers other than 200."
        + " full/raw = items/s over the raw best batch's items/s. CPU in cores of the 2 (server: /proc utime+stime;"
        + " client: the load generator threads; other: every other process on the machine during the phase, i.e. the"
        + " noise it ran in).\n\n");
    if (reports.stream().anyMatch(r -> phase(r, InferenceBenchmark.QUOTA_ON + " #1") != null)) {
      md.append(String.format(Locale.ROOT, "Quota off / on: the same model, artifact and batching deployed for two"
              + " tenants, measured in back-to-back pairs (off/on, on/off, ...) at the main concurrency: off is tenant `%s` (every"
              + " limit null), on is tenant `%s` with quota %s (every predict limit checked on each request, none"
              + " close to being reached).%n%n", InferenceBenchmark.TENANT, InferenceBenchmark.QUOTA_TENANT,
          new java.util.TreeMap<>(InferenceBenchmark.QUOTA)));
    }

    md.append("### Targets\n\n");
    for (ModelReport r : reports) {
      Phase main = phase(r, "full path");
      RawBenchmark.Result best = r.raw().best();
      RawBenchmark.Result one = r.raw().batch(1);
      String name = r.model().name();
      if (main == null) {
        md.append("- ").append(name).append(": full path not measured (").append(r.failure()).append(")\n");
        continue;
      }
      double perSecond = main.load().okPerSecond();
      if (name.equals("digits")) {
        md.append(String.format(Locale.ROOT, "- digits full path >= %,.0f predictions/s with batching on: %,.0f/s -> %s%n",
            DIGITS_TARGET_PER_SECOND, perSecond, verdict(perSecond >= DIGITS_TARGET_PER_SECOND)));
      } else {
        double ratio = perSecond / best.itemsPerSecond();
        md.append(String.format(Locale.ROOT, "- %s full path >= %.0f%% of raw throughput: %.1f%% (%.1f vs %.1f items/s) -> %s%n",
            name, RESNET_TARGET_RATIO * 100, ratio * 100, perSecond, best.itemsPerSecond(),
            verdict(ratio >= RESNET_TARGET_RATIO)));
      }
      for (Phase p : r.phases()) {
        if (p.label().equals("full path, low load")) {
          double added = p.load().latencies().p50() - one.latencies().p50();
          md.append(String.format(Locale.ROOT,
              "- %s added p50 latency < %.0f ms at low load (%d connection(s), batching %s): %.3f ms - %.3f ms raw batch 1"
                  + " = %+.3f ms -> %s%n",
              name, ADDED_P50_TARGET_MS, p.load().concurrency(), p.batching(), p.load().latencies().p50(),
              one.latencies().p50(), added, verdict(added < ADDED_P50_TARGET_MS)));
        }
      }
      List<Phase> on = phases(r, InferenceBenchmark.QUOTA_ON);
      List<Phase> off = phases(r, InferenceBenchmark.QUOTA_OFF);
      if (!on.isEmpty() && !off.isEmpty()) {
        double onSum = on.stream().mapToDouble(p -> p.load().okPerSecond()).sum();
        double offSum = off.stream().mapToDouble(p -> p.load().okPerSecond()).sum();
        long onErrors = on.stream().mapToLong(p -> p.load().errors()).sum();
        double ratio = onSum / offSum;
        // per round the two phases ran back to back: the median of those ratios shrugs off a stall in one phase
        double[] pairs = java.util.stream.IntStream.range(0, Math.min(on.size(), off.size()))
            .mapToDouble(i -> on.get(i).load().okPerSecond() / off.get(i).load().okPerSecond()).sorted().toArray();
        double median = pairs.length % 2 == 1 ? pairs[pairs.length / 2]
            : (pairs[pairs.length / 2 - 1] + pairs[pairs.length / 2]) / 2;
        md.append(String.format(Locale.ROOT, "- %s full path with quotas on within %.0f%% of quotas off (on/off req/s"
                + " >= %.2f, median of %d back-to-back pairs): %.3f (%+.1f%%; pairs %.2f to %.2f; summed %,.0f / %,.0f"
                + " = %.3f); quota-on errors: %d -> %s%n", name,
            QUOTA_COST_TARGET * 100, 1 - QUOTA_COST_TARGET, pairs.length, median, (median - 1) * 100, pairs[0],
            pairs[pairs.length - 1], onSum, offSum, ratio, onErrors,
            verdict(median >= 1 - QUOTA_COST_TARGET && onErrors == 0)));
      }
      if (main.load().errors() > 0) {
        md.append("- ").append(name).append(": ").append(main.load().errors()).append(" errors ")
            .append(main.load().errorsByKind()).append("; first: ").append(main.load().firstError()).append('\n');
      }
    }
    md.append('\n');

    if (!admission.isEmpty()) {
      renderAdmission(md, admission);
    }

    md.append("### Raw sweep (single caller thread, in process)\n\n");
    md.append("| model | batch | forwards | forwards/s | items/s | p50 ms | p99 ms | other CPU |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (ModelReport r : reports) {
      for (RawBenchmark.Result x : r.raw().results()) {
        md.append(String.format(Locale.ROOT, "| %s | %d | %,d | %,.1f | %,.0f | %.3f | %.3f | %s |%n", r.model().name(),
            x.batch(), x.forwards(), x.forwardsPerSecond(), x.itemsPerSecond(), x.latencies().p50(), x.latencies().p99(),
            cores(x.otherCores())));
      }
    }
    md.append('\n');
    for (ModelReport r : reports) {
      if (r.smoke() != null) {
        md.append("- ").append(r.model().name()).append(": ").append(r.smoke()).append('\n');
      }
      if (r.quotaSmoke() != null) {
        md.append("- ").append(r.model().name()).append(": ").append(r.quotaSmoke()).append('\n');
      }
      if (r.failure() != null) {
        md.append("- ").append(r.model().name()).append(": FULL PATH FAILED at ").append(r.failure()).append('\n');
      }
      for (Phase p : r.phases()) {
        md.append("- ").append(r.model().name()).append(", ").append(p.label()).append(" (").append(p.batching())
            .append(", ").append(p.load().concurrency()).append(" conn.): server CPU by thread, cores: ")
            .append(p.serverThreads()).append('\n');
        Map<String, Long> kinds = p.load().errorsByKind();
        if (!kinds.isEmpty()) {
          md.append("- ").append(r.model().name()).append(", ").append(p.label()).append(" (").append(p.batching())
              .append("): errors ").append(kinds).append("; first: ").append(p.load().firstError()).append('\n');
        }
      }
    }
    return md.toString();
  }

  private static void renderAdmission(StringBuilder md, List<AdmissionBenchmark.Result> admission) {
    md.append("### Admission cost per request (in process, local decision)\n\n");
    md.append(String.format(Locale.ROOT, "One tenant's QuotaEntity as the guardian of a local actor system (no cluster),"
            + " one AdmissionLeases asking it with AskPattern, tick() every 250 ms; each caller thread admits and at once"
            + " releases, after a warm-up. \"all limits on\": requestsPerSecond %,.0f, burst %,d, maxConcurrentRequests"
            + " %,d, monthlyComputeSeconds %,d (0 used); the burst is deeper than a real plan's so that the loop, faster"
            + " than the rate, is never refused. \"unlimited\": every limit null. ns/pair is wall time per admit +"
            + " release on each thread; waited = admits whose verdict was not ready at once (an exchange with the"
            + " entity was in flight).%n%n", AdmissionBenchmark.RATE, AdmissionBenchmark.BURST,
        AdmissionBenchmark.MAX_CONCURRENT, AdmissionBenchmark.MONTHLY_COMPUTE_SECONDS));
    md.append("| quota | threads | admit + release pairs | ns/pair | pairs/s | waited for an exchange | refused |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (AdmissionBenchmark.Result a : admission) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %,d | %.1f | %,.0f | %,d (%.5f%%) | %,d |%n", a.quota(),
          a.threads(), a.ops(), a.nanosPerOp(), a.opsPerSecond(), a.exchanges(), a.exchangeFraction() * 100,
          a.refused()));
    }
    md.append('\n');
    for (AdmissionBenchmark.Result limited : admission) {
      admission.stream()
          .filter(a -> a.threads() == limited.threads() && !a.quota().equals(limited.quota())
              && a.quota().equals("unlimited"))
          .findFirst()
          .ifPresent(base -> md.append(String.format(Locale.ROOT,
              "- %d thread(s): all limits on costs %.1f ns/pair, unlimited %.1f ns/pair: %+.1f ns per request%n",
              limited.threads(), limited.nanosPerOp(), base.nanosPerOp(), limited.nanosPerOp() - base.nanosPerOp())));
    }
    if (admission.stream().anyMatch(a -> a.refused() > 0)) {
      md.append("- REFUSALS in the admission runs: their ns/pair includes the refused path, not only admits\n");
    }
    md.append('\n');
  }

  private static boolean lowLoad(Phase p) {
    return p.label().contains("low load");
  }

  private static List<Phase> phases(ModelReport r, String labelPrefix) {
    return r.phases().stream().filter(p -> p.label().startsWith(labelPrefix)).toList();
  }

  private static Phase phase(ModelReport r, String label) {
    return r.phases().stream().filter(p -> p.label().equals(label)).findFirst().orElse(null);
  }

  private static String row(String model, String path, String batching, String concurrency, String requests,
      double reqPerSecond, double itemsPerSecond, double p50, double p99, String ratio, String added, String serverCpu,
      String clientCpu, String otherCpu) {
    return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %.3f | %.3f | %s | %s | %s | %s | %s |%n", model,
        path, batching, concurrency, requests, rate(reqPerSecond), rate(itemsPerSecond), p50, p99, ratio, added, serverCpu,
        clientCpu, otherCpu);
  }

  private static String rate(double perSecond) {
    return perSecond >= 100 ? String.format(Locale.ROOT, "%,.0f", perSecond) : String.format(Locale.ROOT, "%.1f", perSecond);
  }

  private static String ratio(double value, double limit) {
    return String.format(Locale.ROOT, "%.3f", value / limit);
  }

  private static String cores(double value) {
    return String.format(Locale.ROOT, "%.2f", value);
  }

  private static String verdict(boolean met) {
    return met ? "met" : "NOT met";
  }
}
