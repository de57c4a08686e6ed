package io.modelplane.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.modelplane.api.grpc.oip.GRPCInferenceServiceGrpc;
import io.modelplane.api.grpc.oip.OpenInference.InferTensorContents;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferRequest;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferResponse;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Locale;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.SocketFactory;

/**
 * A model over the gRPC predict API against REST on one node: the same closed-loop load (each thread
 * one request in flight, batch 1), REST over HTTP/1.1 keep-alive connections, gRPC over one HTTP/2
 * connection, in alternating rounds so that a drift of the machine hits every protocol alike. Digits:
 * REST JSON vs gRPC raw and typed tensors. ResNet-18: raw DJL forwards in this process first (the limit),
 * then REST binary tensors vs gRPC raw tensors, deployed with {@code engineThreads} (default 0: every
 * core), against raw DJL at the deployment's batch size in every round, one pass at a time and as many side by
 * side as the worker runs. Prints a Markdown table.
 */
public final class GrpcBenchmark {
  private GrpcBenchmark() {}

  private static final String USAGE = "usage: GrpcBenchmark [--model digits|resnet18] [--seconds 10] [--concurrency 8"
      + " (resnet18: 16)] [--rounds 2] [--engine-threads N (resnet18: 0)] [--raw-seconds 8]"
      + " [--resnet18-artifact PATH] [--server-java-opts OPTS] [--jar PATH] [--jit-quiet-seconds 120]";

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new LinkedHashMap<>(Map.of("--seconds", "10", "--concurrency", "", "--rounds", "2",
        "--jar", "modules/app/target/modelplane.jar", "--model", "digits", "--engine-threads", "",
        "--raw-seconds", "8", "--resnet18-artifact", "modules/bench/target/models/resnet18.pt",
        "--server-java-opts", ""));
    // how long the warm-up may wait for the server's JIT compilers to go quiet
    o.put("--jit-quiet-seconds", "120");
    for (int i = 0; i < args.length; i += 2) {
      if (!o.containsKey(args[i]) || i + 1 >= args.length) {
        System.err.println(USAGE);
        System.exit(2);
      }
      o.put(args[i], args[i + 1]);
    }
    boolean resnet = switch (o.get("--model")) {
      case "digits" -> false;
      case "resnet18" -> true;
      default -> {
        System.err.println(USAGE);
        System.exit(2);
        yield false;
      }
    };
    Duration seconds = Duration.ofSeconds(Long.parseLong(o.get("--seconds")));
    int concurrency = o.get("--concurrency").isEmpty() ? (resnet ? 16 : 8) : Integer.parseInt(o.get("--concurrency"));
    int rounds = Integer.parseInt(o.get("--rounds"));
    Integer engineThreads = !o.get("--engine-threads").isEmpty() ? Integer.valueOf(o.get("--engine-threads"))
        : resnet ? Integer.valueOf(0) : null;
    Reporter out = new Reporter();
    Path workDir = Path.of("modules/bench/target",
        "bench-grpc-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toAbsolutePath();
    Files.createDirectories(workDir);
    String loadBefore = InferenceBenchmark.loadAverage();
    out.progress("work directory " + workDir + "; load average " + loadBefore);
    BenchModel model = resnet ? BenchModel.resnet18(Path.of(o.get("--resnet18-artifact")), new int[] {8, 5})
        : BenchModel.digits(workDir, new int[] {32, 2});
    RawBenchmark.Sweep raw = null;
    if (resnet) {
      // before the server starts: the limit, on a machine this benchmark does not load yet
      Duration rawSeconds = Duration.ofSeconds(Long.parseLong(o.get("--raw-seconds")));
      out.progress("raw DJL forwards, batch sizes " + java.util.Arrays.toString(model.rawBatches()) + ", "
          + rawSeconds.toSeconds() + " s each");
      raw = RawBenchmark.run(model, workDir.resolve("raw-work"), rawSeconds, 1_000_000, out);
    }
    byte[] secret = new byte[16];
    new SecureRandom().nextBytes(secret);
    String operatorKey = "mp_operator_" + HexFormat.of().formatHex(secret);
    try (ServerProcess server = ServerProcess.start(Path.of(o.get("--jar")), workDir.resolve("data"),
        workDir.resolve("server.log"), operatorKey, o.get("--server-java-opts"),
        Map.of("MODELPLANE_MANAGEMENT_PORT", "0"))) {
      URI base = URI.create("http://127.0.0.1:" + server.httpPort());
      String key = TlsBenchmark.provision(BenchMain.httpClient(), base, operatorKey, model, engineThreads, out);
      TlsBenchmark.Load rest = new TlsBenchmark.Load(SocketFactory.getDefault(), server.httpPort(), key, model.name(),
          model.requests(64, resnet));
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext()
          .maxInboundMessageSize(64 << 20).build();
      try {
        GrpcLoad grpcRaw = new GrpcLoad(channel, key, requests(model, true));
        // ResNet-18: raw DJL at its best batch size is a phase of every round too, so that each round's
        // ratio compares phases a few seconds apart on a machine others may be loading
        // and, for a model whose engine threads the worker splits among passes side by side, that many callers
        // each on its share: the better of the two is the machine's limit
        // at the deployment's batch size: the server's forward passes carry up to that many
        int rawBatch = model.maxBatchSize();
        String rawName = raw == null ? null : "raw DJL batch " + rawBatch;
        RawLoad rawAlone = raw == null ? null : new RawLoad(model, rawBatch, workDir, 1);
        int sideBySide = rawAlone == null ? 1 : rawAlone.loaded.parallelForwards();
        String[] names = !resnet ? new String[] {"REST JSON", "gRPC raw", "gRPC typed"}
            : sideBySide > 1 ? new String[] {"REST binary", "gRPC raw", rawName, rawName + " ×" + sideBySide + " side by side"}
            : new String[] {"REST binary", "gRPC raw", rawName};
        Object[] loads = !resnet ? new Object[] {rest, grpcRaw, new GrpcLoad(channel, key, requests(model, false))}
            : sideBySide > 1 ? new Object[] {rest, grpcRaw, rawAlone, new RawLoad(model, rawBatch, workDir,
                sideBySide)}
            : new Object[] {rest, grpcRaw, rawAlone};
        int protocols = resnet ? 2 : 3;
        if (raw != null) {
          out.progress(grpcRaw.check(raw.sampleOutput()));
        }
        Duration warmup = Duration.ofSeconds(resnet ? 6 : 5);
        out.progress("warm-up, " + warmup.toSeconds() + " s each");
        for (Object load : loads) {
          run(load, concurrency, warmup);
        }
        // at ResNet-18's few requests a second the server's paths reach the JIT's thresholds only minutes in: until
        // its compilers are quiet, a phase would measure compilation beside the forwards
        long warmUntil = System.nanoTime() + Duration.ofSeconds(Long.parseLong(o.get("--jit-quiet-seconds"))).toNanos();
        while (System.nanoTime() < warmUntil) {
          long jitBefore = server.jitCpuNanos();
          long started = System.nanoTime();
          for (int k = 0; k < protocols; k++) {
            run(loads[k], concurrency, warmup);
          }
          double jit = jitShare(jitBefore, server.jitCpuNanos(), System.nanoTime() - started);
          out.progress(String.format(Locale.ROOT, "warm-up: the server's JIT compilers used %.1f %% of a core", 100 * jit));
          if (jit < JIT_QUIET) {
            break;
          }
        }
        List<TlsBenchmark.Phase> phases = new ArrayList<>();
        List<Double> cpuPerCall = new ArrayList<>();
        List<String> worker = new ArrayList<>();
        List<Double> jitShares = new ArrayList<>();
        ModelPlaneClient operator = new ModelPlaneClient(BenchMain.httpClient(), base, operatorKey);
        for (int round = 1; round <= rounds; round++) {
          for (int k = 0; k < loads.length; k++) {
            int at = round % 2 == 1 ? k : loads.length - 1 - k;
            long cpuBefore = server.cpuNanos();
            long jitBefore = server.jitCpuNanos();
            NodeCounters before = NodeCounters.read(operator);
            long started = System.nanoTime();
            TlsBenchmark.Phase p = run(loads[at], concurrency, seconds).labelled(names[at] + " #" + round);
            long wall = System.nanoTime() - started;
            // the server's CPU per answered call: what the protocol costs, less swayed by other processes
            double cpu = (server.cpuNanos() - cpuBefore) / 1e3 / Math.max(1, p.ok());
            String forwards = loads[at] instanceof RawLoad ? "-" : forwards(before, NodeCounters.read(operator),
                wall / 1e9);
            double jit = jitShare(jitBefore, server.jitCpuNanos(), wall);
            TlsBenchmark.report(out, p);
            out.progress(String.format(Locale.ROOT, "  server CPU %.0f µs a call, its JIT %.1f %% of a core; worker: %s",
                cpu, 100 * jit, forwards));
            phases.add(p);
            cpuPerCall.add(cpu);
            worker.add(forwards);
            jitShares.add(jit);
          }
        }
        System.out.println(table(phases, cpuPerCall, worker, jitShares, names, protocols, raw, model.maxBatchSize(), engineThreads,
            concurrency, seconds, loadBefore, InferenceBenchmark.loadAverage(), String.join(" ", args)));
        for (Object load : loads) {
          if (load instanceof RawLoad r) {
            r.close();
          }
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static TlsBenchmark.Phase run(Object load, int concurrency, Duration duration) throws InterruptedException {
    return load instanceof GrpcLoad g ? g.run(concurrency, duration)
        : load instanceof RawLoad r ? r.run(duration)
        : ((TlsBenchmark.Load) load).run(concurrency, duration);
  }

  /**
   * Raw DJL forwards of one batch size in this process by {@code callers} threads, each pass on its share of the
   * engine threads (as the worker runs passes side by side); a phase's calls are its items.
   */
  static final class RawLoad implements AutoCloseable {
    private final io.modelplane.inference.runtime.LoadedModel loaded;
    private final List<io.modelplane.inference.runtime.Tensor> inputs;
    private final int batch;
    private final int callers;

    RawLoad(BenchModel model, int batch, Path workDir, int callers) {
      this.loaded = new io.modelplane.inference.runtime.ModelLoader(workDir.resolve("raw-rounds-" + callers),
          io.modelplane.inference.runtime.ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES).load(model.spec(), ai.djl.Device.cpu());
      this.inputs = List.of(model.batch(batch));
      this.batch = batch;
      this.callers = callers;
    }

    TlsBenchmark.Phase run(Duration duration) throws InterruptedException {
      long start = System.nanoTime();
      long end = start + duration.toNanos();
      List<long[]> perCaller = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        Thread caller = new Thread(() -> {
          long[] nanos = new long[256];
          int n = 0;
          for (long now = System.nanoTime(); now < end; ) {
            loaded.forward(inputs, callers);
            long done = System.nanoTime();
            nanos = Latencies.ensure(nanos, n);
            nanos[n++] = done - now;
            now = done;
          }
          perCaller.add(java.util.Arrays.copyOf(nanos, n));
        });
        caller.start();
        threads.add(caller);
      }
      for (Thread t : threads) {
        t.join();
      }
      long[] all = perCaller.stream().flatMapToLong(java.util.Arrays::stream).toArray();
      return new TlsBenchmark.Phase("", (long) all.length * batch, 0, (System.nanoTime() - start) / 1e9,
          Latencies.of(all, all.length));
    }

    @Override
    public void close() {
      loaded.close();
    }
  }

  /** The requests of the REST load as gRPC requests: the same samples, raw or typed FP32, batch 1. */
  private static List<ModelInferRequest> requests(BenchModel model, boolean raw) {
    List<ModelInferRequest> requests = new ArrayList<>();
    for (int i = 0; i < Math.min(64, model.samples().size()); i++) {
      float[] sample = model.samples().get(i);
      ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
          .setName(model.input().name()).setDatatype("FP32").addShape(1);
      for (int d = 1; d < model.input().shape().size(); d++) {
        input.addShape(model.input().shape().get(d));
      }
      ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model.name());
      if (raw) {
        ByteBuffer bytes = ByteBuffer.allocate(sample.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : sample) {
          bytes.putFloat(v);
        }
        request.addInputs(input).addRawInputContents(ByteString.copyFrom(bytes.array()));
      } else {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float v : sample) {
          contents.addFp32Contents(v);
        }
        request.addInputs(input.setContents(contents));
      }
      requests.add(request.build());
    }
    return requests;
  }

  /** A closed-loop gRPC client: each thread one call in flight, all over one channel (one HTTP/2 connection). */
  static final class GrpcLoad {
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;
    private final List<ModelInferRequest> requests;

    GrpcLoad(ManagedChannel channel, String key, List<ModelInferRequest> requests) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
      this.stub = GRPCInferenceServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      this.requests = requests;
    }

    /** The first request's answer against {@code expected} (the raw phase's output of the same sample). */
    String check(float[] expected) {
      ModelInferResponse response = stub.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(requests.get(0));
      ByteBuffer bytes = response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      if (bytes.remaining() != expected.length * 4) {
        throw new IllegalStateException("gRPC answered " + bytes.remaining() / 4 + " values, the raw phase "
            + expected.length);
      }
      double worst = 0;
      for (float e : expected) {
        worst = Math.max(worst, Math.abs(bytes.getFloat() - e) / Math.max(1, Math.abs(e)));
      }
      if (worst > 1e-3) {
        throw new IllegalStateException("gRPC's answer differs from the raw phase's by " + worst);
      }
      return String.format("gRPC's answer to sample 0 matches the raw phase's (largest relative difference %.1e)",
          worst);
    }

    TlsBenchmark.Phase run(int concurrency, Duration duration) throws InterruptedException {
      long end = System.nanoTime() + duration.toNanos();
      AtomicLong errors = new AtomicLong();
      List<long[]> samples = new ArrayList<>();
      int[] counts = new int[concurrency];
      List<Thread> threads = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < concurrency; t++) {
        int index = t;
        samples.add(null);
        Thread thread = new Thread(() -> {
          long[] mine = new long[1024];
          int n = 0;
          for (int i = index; System.nanoTime() < end; i++) {
            long sent = System.nanoTime();
            try {
              stub.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(requests.get(i % requests.size()));
              mine = Latencies.ensure(mine, n);
              mine[n++] = System.nanoTime() - sent;
            } catch (RuntimeException e) {
              errors.incrementAndGet();
            }
          }
          counts[index] = n;
          synchronized (samples) {
            samples.set(index, mine);
          }
        }, "grpc-load-" + t);
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      return TlsBenchmark.Load.merge(samples, counts, errors.get(), (System.nanoTime() - start) / 1e9);
    }
  }

  /** Below this share of one core the server's JIT counts as quiet. */
  private static final double JIT_QUIET = 0.02;

  /** The share of one core the JIT compilers used between two readings {@code nanos} apart; 0 where /proc cannot tell. */
  private static double jitShare(long before, long after, long nanos) {
    // a compiler thread that ended takes its CPU time along: such a difference counts as none
    return before < 0 || after < 0 ? 0 : Math.max(0, after - before) / (double) Math.max(1, nanos);
  }

  private static double perSecondOf(List<TlsBenchmark.Phase> phases, String label) {
    return phases.stream().filter(p -> p.label().equals(label)).findFirst().orElseThrow().perSecond();
  }

  /** The worker's side of a phase: items a forward pass, time a forward pass, and the share of the phase it computed. */
  private static String forwards(NodeCounters before, NodeCounters after, double wallSeconds) {
    double batches = after.since(before, "modelplane_model_batches_total");
    if (batches <= 0) {
      return "no forward";
    }
    double busy = after.since(before, "modelplane_worker_busy_seconds_total");
    return String.format(Locale.ROOT, "%.1f items / %.1f ms a forward, busy %.0f%%",
        after.since(before, "modelplane_model_batch_items_total") / batches, busy / batches * 1e3,
        100 * busy / wallSeconds);
  }

  /** {@code names}: the first {@code protocols} are the server's phases, the rest raw DJL ones (with {@code raw}). */
  private static String table(List<TlsBenchmark.Phase> phases, List<Double> cpuPerCall, List<String> worker,
      List<Double> jitShares, String[] names, int protocols, RawBenchmark.Sweep raw, int rawBatch,
      Integer engineThreads, int concurrency, Duration seconds, String loadBefore, String loadAfter, String args) {
    StringBuilder md = new StringBuilder();
    md.append("Command: `modules/bench/run.sh grpc").append(args.isBlank() ? "" : " " + args).append("`; ")
        .append(concurrency).append(" clients in a closed loop, batch 1, ").append(seconds.toSeconds())
        .append(" s a phase");
    if (engineThreads != null) {
      md.append(", deployed with engineThreads ").append(engineThreads);
    }
    md.append("; load average before ").append(loadBefore).append(", after ").append(loadAfter).append(".\n\n");
    if (raw != null) {
      md.append("| raw DJL | items/s | p50 ms | p99 ms |\n|---|---:|---:|---:|\n");
      for (RawBenchmark.Result r : raw.results()) {
        md.append(String.format("| batch %d | %.1f | %.3f | %.3f |%n", r.batch(), r.itemsPerSecond(),
            r.latencies().p50(), r.latencies().p99()));
      }
      md.append('\n');
    }
    md.append("| phase | req/s | p50 ms | p99 ms | server CPU µs/call | server JIT, % of a core | worker's forward passes"
        + " | errors |\n|---|---:|---:|---:|---:|---:|---|---:|\n");
    double[] perSecond = new double[names.length];
    List<List<Double>> cpu = new ArrayList<>();
    for (int k = 0; k < names.length; k++) {
      cpu.add(new ArrayList<>());
    }
    for (int i = 0; i < phases.size(); i++) {
      TlsBenchmark.Phase p = phases.get(i);
      boolean rawPhase = worker.get(i).equals("-");
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.3f | %.3f | %s | %.1f | %s | %d |%n", p.label(),
          p.perSecond(), p.latencies().p50(), p.latencies().p99(),
          rawPhase ? "-" : String.format("%.0f", cpuPerCall.get(i)), 100 * jitShares.get(i), worker.get(i), p.errors()));
      for (int k = 0; k < names.length; k++) {
        if (p.label().startsWith(names[k] + " #")) {
          perSecond[k] += p.perSecond();
          cpu.get(k).add(cpuPerCall.get(i));
        }
      }
    }
    md.append("\nServer CPU a call, median of the rounds:");
    for (int k = 0; k < protocols; k++) {
      List<Double> c = cpu.get(k);
      c.sort(null);
      double median = c.size() % 2 == 1 ? c.get(c.size() / 2) : (c.get(c.size() / 2 - 1) + c.get(c.size() / 2)) / 2;
      md.append(String.format("%s %s %.0f µs", k > 0 ? "," : "", names[k], median));
    }
    md.append(".");
    md.append(String.format("%nThroughput against %s (sum of the rounds):", names[0]));
    for (int k = 1; k < protocols; k++) {
      md.append(String.format("%s %s %.2f", k > 1 ? "," : "", names[k], perSecond[k] / perSecond[0]));
    }
    md.append(".\n");
    if (raw != null) {
      // each round's protocol phases against the same round's raw phase, then the mean over the rounds
      int rounds = phases.size() / names.length;
      md.append(String.format("Against the best raw DJL phase at batch %d in the same round, mean of the rounds:",
          rawBatch));
      for (int k = 0; k < protocols; k++) {
        double sum = 0;
        for (int round = 1; round <= rounds; round++) {
          double best = 0;
          for (int r = protocols; r < names.length; r++) {
            best = Math.max(best, perSecondOf(phases, names[r] + " #" + round));
          }
          sum += perSecondOf(phases, names[k] + " #" + round) / best;
        }
        md.append(String.format("%s %s %.2f", k > 0 ? "," : "", names[k], sum / rounds));
      }
      md.append(String.format(" (raw DJL before the server started: %.1f items/s at batch %d).%n",
          raw.best().itemsPerSecond(), raw.best().batch()));
    }
    return md.toString();
  }
}
