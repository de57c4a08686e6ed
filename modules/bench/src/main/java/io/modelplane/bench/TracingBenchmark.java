package io.modelplane.bench;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.SocketFactory;

/**
 * What OpenTelemetry tracing costs on the digits model's full predict path: four nodes started side by side,
 * two with tracing off (the second one measures how far two identical nodes differ), one on sampled at 100 % and
 * one at 1 % ({@code parentbased_traceidratio}), the traced ones
 * exporting over OTLP/HTTP to a receiver inside this process that counts the spans it gets (so the export is
 * real). Loaded in turns with the same closed-loop keep-alive client, each round's short phases back to back
 * in a rotating order, so that a drift of the shared machine hits all alike; each round gives a ratio to the mean
 * of its two untraced phases and the table judges the median of the rounds.
 */
public final class TracingBenchmark {
  private TracingBenchmark() {}

  /** A tracing setting of one node: its label and its {@code OTEL_*} variables (empty: tracing off). */
  record Setting(String label, Map<String, String> env) {}

  private static final String USAGE =
      "usage: TracingBenchmark [--seconds 3] [--concurrency 8] [--rounds 10] [--warmup 10] [--jar PATH]";

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new LinkedHashMap<>(Map.of("--seconds", "3", "--concurrency", "8", "--rounds", "10",
        "--warmup", "10", "--jar", "modules/app/target/modelplane.jar"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!o.containsKey(args[i])) {
        System.err.println(USAGE);
        System.exit(2);
      }
      o.put(args[i], args[i + 1]);
    }
    if (args.length % 2 != 0) {
      System.err.println(USAGE);
      System.exit(2);
    }
    Duration seconds = Duration.ofSeconds(Long.parseLong(o.get("--seconds")));
    int concurrency = Integer.parseInt(o.get("--concurrency"));
    int rounds = Integer.parseInt(o.get("--rounds"));
    Duration warmup = Duration.ofSeconds(Long.parseLong(o.get("--warmup")));
    Reporter out = new Reporter();
    Path workDir = Path.of("modules/bench/target",
        "bench-tracing-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toAbsolutePath();
    Files.createDirectories(workDir);
    String loadBefore = InferenceBenchmark.loadAverage();
    out.progress("work directory " + workDir + "; load average " + loadBefore);

    BenchModel model = BenchModel.digits(workDir, new int[] {32, 2});
    List<BenchModel.Request> bodies = model.requests(64, false);
    byte[] secret = new byte[16];
    new SecureRandom().nextBytes(secret);
    String operatorKey = "mp_operator_" + HexFormat.of().formatHex(secret);
    Path jar = Path.of(o.get("--jar"));
    try (OtlpReceiver sampledAll = OtlpReceiver.start(); OtlpReceiver sampledOne = OtlpReceiver.start()) {
      List<Setting> settings = List.of(
          new Setting("off", Map.of()),
          // an A/A control: what two untraced nodes differ by is the noise floor of the ratios
          new Setting("off (second node)", Map.of()),
          new Setting("on, 100 %", traced(sampledAll, "1.0")),
          new Setting("on, 1 %", traced(sampledOne, "0.01")));
      List<ServerProcess> servers = new ArrayList<>();
      try {
        for (Setting s : settings) {
          String dir = s.label().replaceAll("[^a-z0-9]+", "-");
          Map<String, String> env = new LinkedHashMap<>(s.env());
          env.put("MODELPLANE_MANAGEMENT_PORT", "0");
          servers.add(ServerProcess.start(jar, workDir.resolve(dir + "/data"), workDir.resolve(dir + ".log"),
              operatorKey, "", env));
        }
        HttpClient http = BenchMain.httpClient();
        List<TlsBenchmark.Load> loads = new ArrayList<>();
        for (ServerProcess server : servers) {
          String key = TlsBenchmark.provision(http, URI.create("http://127.0.0.1:" + server.httpPort()), operatorKey,
              model, out);
          loads.add(new TlsBenchmark.Load(SocketFactory.getDefault(), server.httpPort(), key, model.name(), bodies));
        }
        // in turns too: the JIT of each node warms while the others do
        out.progress("warm-up, " + warmup.toSeconds() + " s each in two turns");
        for (int turn = 0; turn < 2; turn++) {
          for (TlsBenchmark.Load load : loads) {
            load.run(concurrency, warmup.dividedBy(2));
          }
        }
        long[] spansBefore = {sampledAll.spans(), sampledOne.spans()};
        long[] requestsBefore = {sampledAll.spans("predict"), sampledOne.spans("predict")};
        long[] served = new long[settings.size()];
        int all = settings.size() - 2;
        int one = settings.size() - 1;
        TlsBenchmark.Phase[][] phases = new TlsBenchmark.Phase[rounds][settings.size()];
        double[][] cpuPerRequest = new double[rounds][settings.size()];
        for (int round = 0; round < rounds; round++) {
          for (int k = 0; k < settings.size(); k++) {
            int s = (round + k) % settings.size(); // the order rotates: no setting always runs first
            long cpuBefore = servers.get(s).cpuNanos();
            TlsBenchmark.Phase p = loads.get(s).run(concurrency, seconds)
                .labelled(settings.get(s).label() + " #" + (round + 1));
            // the server's CPU time per answer: what tracing adds to each call, less sensitive than req/s to
            // the machine's other work
            cpuPerRequest[round][s] = cpuBefore < 0 ? Double.NaN
                : (servers.get(s).cpuNanos() - cpuBefore) / 1e3 / Math.max(1, p.latencies().count());
            TlsBenchmark.report(out, p);
            out.progress(String.format("  server CPU %.0f µs per request", cpuPerRequest[round][s]));
            phases[round][s] = p;
            served[s] += p.latencies().count();
          }
        }
        awaitExported(sampledAll, sampledOne, requestsBefore[0] + served[all], out);
        long[] spans = {sampledAll.spans() - spansBefore[0], sampledOne.spans() - spansBefore[1]};
        long[] requestSpans = {sampledAll.spans("predict") - requestsBefore[0],
            sampledOne.spans("predict") - requestsBefore[1]};
        out.progress(String.format("OTLP receiver: 100 %%: %d spans (%d request spans for %d requests); 1 %%: %d spans"
            + " (%d request spans for %d requests)", spans[0], requestSpans[0], served[all], spans[1], requestSpans[1],
            served[one]));
        System.out.println(table(settings, phases, cpuPerRequest, served, spans, requestSpans, concurrency, seconds, loadBefore,
            InferenceBenchmark.loadAverage(), String.join(" ", args)));
      } finally {
        for (ServerProcess server : servers) {
          server.close();
        }
      }
    }
  }

  /** The standard variables of a node exporting its traces to {@code receiver}, sampled at {@code ratio}. */
  static Map<String, String> traced(OtlpReceiver receiver, String ratio) {
    return Map.of(
        "OTEL_TRACES_EXPORTER", "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.port(),
        "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG", ratio);
  }

  private static String table(List<Setting> settings, TlsBenchmark.Phase[][] phases, double[][] cpu, long[] served, long[] spans,
      long[] requestSpans, int concurrency, Duration seconds, String loadBefore, String loadAfter, String args) {
    StringBuilder md = new StringBuilder();
    md.append("Command: `modules/bench/run.sh tracing").append(args.isBlank() ? "" : " " + args).append("`; digits, ")
        .append(concurrency).append(" keep-alive connections, ").append(seconds.toSeconds()).append(" s a phase, ")
        .append(phases.length).append(" rounds; load average before ").append(loadBefore).append(", after ")
        .append(loadAfter).append(".\n\n| tracing | req/s (median) | p50 ms (median) | p99 ms (median) | throughput /"
            + " untraced (median of rounds) | min–max of rounds | server CPU µs / request (median) | CPU / untraced"
            + " (median of rounds) | spans received | traced requests |\n"
            + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    int rounds = phases.length;
    double[][] ratios = new double[settings.size()][rounds];
    double[][] cpuRatios = new double[settings.size()][rounds];
    for (int s = 0; s < settings.size(); s++) {
      double[] rate = new double[rounds];
      double[] p50 = new double[rounds];
      double[] p99 = new double[rounds];
      double[] cpuOf = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        cpuOf[r] = cpu[r][s];
        cpuRatios[s][r] = cpu[r][s] / ((cpu[r][0] + cpu[r][1]) / 2);
        rate[r] = phases[r][s].perSecond();
        p50[r] = phases[r][s].latencies().p50();
        p99[r] = phases[r][s].latencies().p99();
        // the baseline of a round: both untraced nodes, so that neither one's luck is the yardstick
        ratios[s][r] = rate[r] / ((phases[r][0].perSecond() + phases[r][1].perSecond()) / 2);
      }
      double[] sorted = ratios[s].clone();
      Arrays.sort(sorted);
      int receiver = s - (settings.size() - 2); // the last two nodes are the traced ones
      String received = receiver < 0 ? "–" : String.format("%,d", spans[receiver]);
      String traced = receiver < 0 ? "–" : String.format("%,d of %,d (%.2f %%)", requestSpans[receiver], served[s],
          100.0 * requestSpans[receiver] / Math.max(1, served[s]));
      md.append(String.format("| %s | %.0f | %.3f | %.3f | %.3f | %.3f–%.3f | %.0f | %.3f | %s | %s |%n",
          settings.get(s).label(), Latencies.median(rate), Latencies.median(p50), Latencies.median(p99), Latencies.median(ratios[s]), sorted[0],
          sorted[rounds - 1], Latencies.median(cpuOf), Latencies.median(cpuRatios[s]), received, traced));
    }
    double[] aa = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      aa[r] = phases[r][1].perSecond() / phases[r][0].perSecond();
    }
    double[] aaCpu = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      aaCpu[r] = cpu[r][1] / cpu[r][0];
    }
    md.append(String.format("%nThe two untraced nodes differ by %.1f %% in throughput and %.1f %% in CPU per request"
        + " (medians of the rounds' ratios): the noise floor of this run.", 100 * Math.abs(1 - Latencies.median(aa)),
        100 * Math.abs(1 - Latencies.median(aaCpu))));
    for (int s = 2; s < settings.size(); s++) {
      double m = Latencies.median(ratios[s]);
      double c = Latencies.median(cpuRatios[s]);
      md.append(String.format("%nTracing %s: throughput %.1f %% %s the untraced nodes', CPU per request %.1f %% %s"
          + " (medians of the rounds).", settings.get(s).label(), 100 * Math.abs(1 - m), m <= 1 ? "under" : "over",
          100 * Math.abs(1 - c), c >= 1 ? "over" : "under"));
    }
    md.append('\n');
    return md.toString();
  }

  /**
   * An OTLP/HTTP trace receiver on loopback: answers every export with success and counts the spans in it, in
   * all and by name, reading the protobuf wire format of {@code ExportTraceServiceRequest} directly.
   */
  /**
   * Waits for the exporters' last batches (they send every 5 s): until the fully sampled node's receiver holds a
   * request span for every request it answered and neither receiver's count has changed for longer than one export
   * interval; at most 30 s.
   */
  private static void awaitExported(OtlpReceiver all, OtlpReceiver one, long allRequests, Reporter out)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long quietSince = System.nanoTime();
    long seen = all.spans() + one.spans();
    while (System.nanoTime() < deadline) {
      long now = all.spans() + one.spans();
      if (now != seen) {
        seen = now;
        quietSince = System.nanoTime();
      } else if (all.spans("predict") >= allRequests
          && System.nanoTime() - quietSince > TimeUnit.MILLISECONDS.toNanos(6_000)) {
        return;
      }
      Thread.sleep(200);
    }
    out.progress("exporters still sending after 30 s: the span counts below may be short");
  }

  static final class OtlpReceiver implements AutoCloseable {
    private final HttpServer server;
    private final LongAdder spans = new LongAdder();
    private final Map<String, LongAdder> byName = new ConcurrentHashMap<>();
    private final AtomicLong failures = new AtomicLong();

    private OtlpReceiver(HttpServer server) {
      this.server = server;
    }

    static OtlpReceiver start() throws IOException {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      OtlpReceiver receiver = new OtlpReceiver(server);
      server.createContext("/v1/traces", exchange -> {
        try (InputStream in = exchange.getRequestBody()) {
          byte[] body = in.readAllBytes();
          boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
          receiver.count(gzip ? new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))
              .readAllBytes() : body);
          exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
          exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse: all accepted
        } catch (IOException | RuntimeException e) {
          receiver.failures.incrementAndGet();
          exchange.sendResponseHeaders(400, -1);
        } finally {
          exchange.close();
        }
      });
      server.start();
      return receiver;
    }

    int port() {
      return server.getAddress().getPort();
    }

    long spans() {
      return spans.sum();
    }

    long spans(String name) {
      LongAdder n = byName.get(name);
      return n == null ? 0 : n.sum();
    }

    /** ExportTraceServiceRequest: 1 resource_spans → 2 scope_spans → 2 spans → 5 name. */
    private void count(byte[] request) throws IOException {
      CodedInputStream in = CodedInputStream.newInstance(request);
      for (int tag; (tag = in.readTag()) != 0; ) {
        if (WireFormat.getTagFieldNumber(tag) == 1) {
          CodedInputStream resourceSpans = in.readBytes().newCodedInput();
          for (int t; (t = resourceSpans.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(t) == 2) {
              CodedInputStream scopeSpans = resourceSpans.readBytes().newCodedInput();
              for (int u; (u = scopeSpans.readTag()) != 0; ) {
                if (WireFormat.getTagFieldNumber(u) == 2) {
                  span(scopeSpans.readBytes().newCodedInput());
                } else {
                  scopeSpans.skipField(u);
                }
              }
            } else {
              resourceSpans.skipField(t);
            }
          }
        } else {
          in.skipField(tag);
        }
      }
    }

    private void span(CodedInputStream span) throws IOException {
      spans.increment();
      for (int tag; (tag = span.readTag()) != 0; ) {
        if (WireFormat.getTagFieldNumber(tag) == 5) {
          byName.computeIfAbsent(span.readStringRequireUtf8(), n -> new LongAdder()).increment();
        } else {
          span.skipField(tag);
        }
      }
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
