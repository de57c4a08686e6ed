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
 * connection, in alternating rounds so that a drift of the machine hits every protocol alike; each phase counted
 * over a {@link SteadyWindow}. Digits: REST JSON vs gRPC raw and typed tensors. ResNet-18: raw DJL forwards in this
 * process first (the limit), then REST binary tensors vs gRPC raw tensors, deployed with {@code engineThreads}
 * (default 0: every core), against raw DJL at the deployment's batch size in every round, one pass at a time and as
 * many side by side as the worker runs, server and raw phases alternating. Prints a Markdown table.
 */
public final class GrpcBenchmark {
  private GrpcBenchmark() {}

  private static final String USAGE = "usage: GrpcBenchmark [--model digits|resnet18] [--seconds 10] [--concurrency 8"
      + " (resnet18: 24)] [--rounds 2] [--engine-threads N (resnet18: 0)] [--raw-seconds 8]"
      + " [--resnet18-artifact PATH] [--server-java-opts OPTS] [--jar PATH] [--jit-quiet-seconds 120]"
      + " [--max-batch-delay-ms 5 (resnet18 only)]";

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new LinkedHashMap<>(Map.of("--seconds", "10", "--concurrency", "", "--rounds", "2",
        "--jar", "modules/app/target/modelplane.jar", "--model", "digits", "--engine-threads", "",
        "--raw-seconds", "8", "--resnet18-artifact", "modules/bench/target/models/resnet18.pt",
        "--server-java-opts", ""));
    // how long the warm-up may wait for the server's JIT compilers to go quiet
    o.put("--jit-quiet-seconds", "120");
    o.put("--max-batch-delay-ms", "");
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
    int concurrency = o.get("--concurrency").isEmpty() ? (resnet ? 24 : 8) : Integer.parseInt(o.get("--concurrency"));
    int rounds = Integer.parseInt(o.get("--rounds"));
    Integer engineThreads = !o.get("--engine-threads").isEmpty() ? Integer.valueOf(o.get("--engine-threads"))
        : resnet ? Integer.valueOf(0) : null;
    Reporter out = new Reporter();
    Path workDir = Path.of("modules/bench/target",
        "bench-grpc-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toAbsolutePath();
    Files.createDirectories(workDir);
    String loadBefore = InferenceBenchmark.loadAverage();
    out.progress("work directory " + workDir + "; load average " + loadBefore);
    int batchDelay = o.get("--max-batch-delay-ms").isEmpty() ? 5 : Integer.parseInt(o.get("--max-batch-delay-ms"));
    BenchModel model = resnet ? BenchModel.resnet18(Path.of(o.get("--resnet18-artifact")), new int[] {8, batchDelay})
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
        // server and raw phases alternate, so that a round's gRPC phase runs right beside raw DJL side by side,
        // whichever way the round goes: the machine's speed drifts over tens of seconds
        int[] order = loads.length == 4 ? new int[] {0, 2, 1, 3}
            : java.util.stream.IntStream.range(0, loads.length).toArray();
        List<TlsBenchmark.Phase> phases = new ArrayList<>();
        List<Double> cpuPerCall = new ArrayList<>();
        List<String> worker = new ArrayList<>();
        List<Double> jitShares = new ArrayList<>();
        List<Double> forwardWaits = new ArrayList<>();
        List<Double> clientCpu = new ArrayList<>();
        ModelPlaneClient operator = new ModelPlaneClient(BenchMain.httpClient(), base, operatorKey);
        for (int round = 1; round <= rounds; round++) {
          for (int k = 0; k < loads.length; k++) {
            int at = order[round % 2 == 1 ? k : loads.length - 1 - k];
            long cpuBefore = server.cpuNanos();
            long jitBefore = server.jitCpuNanos();
            long[] schedBefore = server.batchThreadSchedNanos();
            long clientBefore = ServerProcess.processCpuNanos("self");
            Map<String, Long> threadsBefore = server.threadCpuNanos();
            // page faults of whichever process computes the phase's forward passes
            String computing = loads[at] instanceof RawLoad ? "self" : String.valueOf(server.pid());
            long faultsBefore = ServerProcess.pageFaults(computing);
            NodeCounters before = NodeCounters.read(operator);
            long started = System.nanoTime();
            TlsBenchmark.Phase p = run(loads[at], concurrency, seconds).labelled(names[at] + " #" + round);
            long wall = System.nanoTime() - started;
            // the server's CPU per answered call: what the protocol costs, less swayed by other processes
            double cpu = (server.cpuNanos() - cpuBefore) / 1e3 / Math.max(1, p.latencies().count());
            double client = (ServerProcess.processCpuNanos("self") - clientBefore) / 1e3
                / Math.max(1, p.latencies().count());
            // the forward threads' wait for a core against their time on one: what other threads took from them
            long[] sched = loads[at] instanceof RawLoad r ? r.lastSched
                : difference(schedBefore, server.batchThreadSchedNanos());
            double forwardWait = sched == null || sched[0] <= 0 ? Double.NaN : sched[1] / (double) sched[0];
            String forwards = loads[at] instanceof RawLoad ? "-" : forwards(before, NodeCounters.read(operator),
                wall / 1e9);
            double jit = jitShare(jitBefore, server.jitCpuNanos(), wall);
            TlsBenchmark.report(out, p);
            long items = p.latencies().count() * (loads[at] instanceof RawLoad r ? (long) r.batch : 1);
            out.progress(String.format(Locale.ROOT, "  forward threads waited for a core %.1f %% of their time on one;"
                + " page faults of their process: %.0f an item", 100 * forwardWait,
                (ServerProcess.pageFaults(computing) - faultsBefore) / (double) Math.max(1, items)));
            out.progress("  server threads: "
                + InferenceBenchmark.threadBreakdown(threadsBefore, server.threadCpuNanos(), wall));
            if (!(loads[at] instanceof RawLoad)) {
              out.progress(String.format(Locale.ROOT, "  server CPU %.0f µs a call, its JIT %.1f %% of a core;"
                  + " worker: %s; client CPU %.0f µs a call", cpu, 100 * jit, forwards, client));
            }
            phases.add(p);
            cpuPerCall.add(cpu);
            worker.add(forwards);
            jitShares.add(jit);
            forwardWaits.add(forwardWait);
            clientCpu.add(client);
          }
        }
        System.out.println(table(phases, cpuPerCall, clientCpu, worker, jitShares, forwardWaits, names, protocols, raw,
            engineThreads,
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
    // the last run's callers: nanoseconds on a core and waiting for one
    private long[] lastSched;

    RawLoad(BenchModel model, int batch, Path workDir, int callers) {
      this.loaded = new io.modelplane.inference.runtime.ModelLoader(workDir.resolve("raw-rounds-" + callers),
          io.modelplane.inference.runtime.ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES).load(model.spec(), ai.djl.Device.cpu());
      this.inputs = List.of(model.batch(batch));
      this.batch = batch;
      this.callers = callers;
    }

    TlsBenchmark.Phase run(Duration duration) throws InterruptedException {
      SteadyWindow window = new SteadyWindow(duration);
      List<long[]> perCaller = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<Thread> threads = new ArrayList<>();
      long[] sched = new long[2];
      for (int c = 0; c < callers; c++) {
        Thread caller = new Thread(() -> {
          long[] schedBefore = ServerProcess.threadSchedNanos();
          long[] nanos = new long[256];
          int n = 0;
          for (long now = System.nanoTime(); window.running(); ) {
            loaded.forward(inputs, callers);
            long done = System.nanoTime();
            window.answered(now, done, batch);
            nanos = Latencies.ensure(nanos, n);
            nanos[n++] = done - now;
            now = done;
          }
          perCaller.add(java.util.Arrays.copyOf(nanos, n));
          long[] schedAfter = ServerProcess.threadSchedNanos();
          synchronized (sched) {
            if (schedBefore != null && schedAfter != null) {
              sched[0] += schedAfter[0] - schedBefore[0];
              sched[1] += schedAfter[1] - schedBefore[1];
            }
          }
        }, RAW_CALLER + c);
        caller.start();
        threads.add(caller);
      }
      for (Thread t : threads) {
        t.join();
      }
      lastSched = sched;
      long[] all = perCaller.stream().flatMapToLong(java.util.Arrays::stream).toArray();
      return new TlsBenchmark.Phase("", window.count(), 0, window.seconds(), Latencies.of(all, all.length));
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

  /**
   * A closed-loop gRPC client: each thread one call in flight, all over one channel (one HTTP/2 connection). The
   * requests are serialized once and the answers kept as bytes, as the REST load sends prepared bytes: the load
   * generator shares the machine with the server, and every CPU cycle it spends is one the server's forward
   * passes do not get.
   */
  static final class GrpcLoad {
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;
    private final io.grpc.Channel calls;
    private final List<ModelInferRequest> requests;
    private final List<byte[]> serialized;

    GrpcLoad(ManagedChannel channel, String key, List<ModelInferRequest> requests) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
      this.stub = GRPCInferenceServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      this.calls = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
      this.requests = requests;
      this.serialized = requests.stream().map(ModelInferRequest::toByteArray).toList();
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
      SteadyWindow window = new SteadyWindow(duration);
      AtomicLong errors = new AtomicLong();
      List<long[]> samples = new ArrayList<>();
      int[] counts = new int[concurrency];
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < concurrency; t++) {
        int index = t;
        samples.add(null);
        Thread thread = new Thread(() -> {
          long[] mine = new long[1024];
          int n = 0;
          for (int i = index; window.running(); i++) {
            long sent = System.nanoTime();
            try {
              io.grpc.stub.ClientCalls.blockingUnaryCall(calls, MODEL_INFER_BYTES,
                  io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                  serialized.get(i % serialized.size()));
              long answered = System.nanoTime();
              window.answered(answered);
              mine = Latencies.ensure(mine, n);
              mine[n++] = answered - sent;
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
      return TlsBenchmark.Load.merge(samples, counts, errors.get(), window);
    }
  }

  private static final String RAW_CALLER = "raw-forward-";

  /** ModelInfer with requests and answers as their serialized bytes. */
  private static final io.grpc.MethodDescriptor<byte[], byte[]> MODEL_INFER_BYTES =
      GRPCInferenceServiceGrpc.getModelInferMethod().toBuilder(new BytesMarshaller(), new BytesMarshaller()).build();

  /** Bytes as they are: written to the call's buffers in one go, read in one. */
  private static final class BytesMarshaller implements io.grpc.MethodDescriptor.Marshaller<byte[]> {
    @Override
    public java.io.InputStream stream(byte[] value) {
      return new BytesStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** Known length and drainable: gRPC frames it without copying it into a buffer of its own first. */
  private static final class BytesStream extends java.io.ByteArrayInputStream implements io.grpc.KnownLength,
      io.grpc.Drainable {
    BytesStream(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(java.io.OutputStream target) throws java.io.IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }

  private static long[] difference(long[] before, long[] after) {
    return before == null || after == null ? null : new long[] {after[0] - before[0], after[1] - before[1]};
  }

  /** Below this share of one core the server's JIT counts as quiet. */
  private static final double JIT_QUIET = 0.02;

  /** The share of one core the JIT compilers used between two readings {@code nanos} apart; 0 where /proc cannot tell. */
  private static double jitShare(long before, long after, long nanos) {
    // a compiler thread that ended takes its CPU time along: such a difference counts as none
    return before < 0 || after < 0 ? 0 : Math.max(0, after - before) / (double) Math.max(1, nanos);
  }

  private static double summed(List<TlsBenchmark.Phase> phases, String name, int rounds) {
    double sum = 0;
    for (int round = 1; round <= rounds; round++) {
      sum += perSecondOf(phases, name + " #" + round);
    }
    return sum;
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
  private static String table(List<TlsBenchmark.Phase> phases, List<Double> cpuPerCall, List<Double> clientCpu,
      List<String> worker, List<Double> jitShares, List<Double> forwardWaits, String[] names, int protocols,
      RawBenchmark.Sweep raw,
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
    md.append("| phase | req/s | p50 ms | p99 ms | server CPU µs/call | client CPU µs/call | server JIT, % of a core"
        + " | worker's forward passes | forward threads' wait for a core | errors |\n"
        + "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|\n");
    double[] perSecond = new double[names.length];
    List<List<Double>> cpu = new ArrayList<>();
    for (int k = 0; k < names.length; k++) {
      cpu.add(new ArrayList<>());
    }
    for (int i = 0; i < phases.size(); i++) {
      TlsBenchmark.Phase p = phases.get(i);
      boolean rawPhase = worker.get(i).equals("-");
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.3f | %.3f | %s | %s | %.1f | %s | %.1f %% | %d |%n",
          p.label(), p.perSecond(), p.latencies().p50(), p.latencies().p99(),
          rawPhase ? "-" : String.format(Locale.ROOT, "%.0f", cpuPerCall.get(i)),
          rawPhase ? "-" : String.format(Locale.ROOT, "%.0f", clientCpu.get(i)), 100 * jitShares.get(i), worker.get(i),
          100 * forwardWaits.get(i), p.errors()));
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
      // each round's protocol phases against the same round's raw phase of the better raw setting over all rounds
      // (a setting is chosen once: the better of two noisy phases in each round would raise the limit by the noise);
      // the median of the rounds is the figure (a burst on the machine moves one round, not the median)
      int rounds = phases.size() / names.length;
      int bestRaw = protocols;
      for (int r = protocols + 1; r < names.length; r++) {
        bestRaw = summed(phases, names[r], rounds) > summed(phases, names[bestRaw], rounds) ? r : bestRaw;
      }
      md.append(String.format("Against %s, the better raw setting over the rounds, in the same round; median of the"
          + " rounds:", names[bestRaw]));
      for (int k = 0; k < protocols; k++) {
        double[] ratios = new double[rounds];
        for (int round = 1; round <= rounds; round++) {
          ratios[round - 1] = perSecondOf(phases, names[k] + " #" + round)
              / perSecondOf(phases, names[bestRaw] + " #" + round);
        }
        md.append(String.format(Locale.ROOT, "%s %s **%.2f** (mean %.2f; by round %s)", k > 0 ? "," : "", names[k],
            Latencies.median(ratios), java.util.Arrays.stream(ratios).average().orElse(Double.NaN),
            java.util.Arrays.stream(ratios).mapToObj(x -> String.format(Locale.ROOT, "%.2f", x))
                .collect(java.util.stream.Collectors.joining(" / "))));
      }
      md.append(String.format(" (raw DJL before the server started: %.1f items/s at batch %d).%n",
          raw.best().itemsPerSecond(), raw.best().batch()));
    }
    return md.toString();
  }
}
