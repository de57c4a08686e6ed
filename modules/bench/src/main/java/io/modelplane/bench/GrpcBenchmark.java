package io.modelplane.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.modelplane.api.grpc.oip.GRPCInferenceServiceGrpc;
import io.modelplane.api.grpc.oip.OpenInference.InferTensorContents;
import io.modelplane.api.grpc.oip.OpenInference.ModelInferRequest;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.SocketFactory;

/**
 * The digits model over the gRPC predict API against REST on one node: the same closed-loop load (each
 * thread one request in flight, batch 1, the held-out digits), REST JSON over HTTP/1.1 keep-alive
 * connections, gRPC over one HTTP/2 connection (raw and typed tensors), in
 * alternating rounds so that a drift of the machine hits every protocol alike. Prints a Markdown table.
 */
public final class GrpcBenchmark {
  private GrpcBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new LinkedHashMap<>(Map.of("--seconds", "10", "--concurrency", "8", "--rounds", "2",
        "--jar", "modules/app/target/modelplane.jar"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!o.containsKey(args[i])) {
        System.err.println("usage: GrpcBenchmark [--seconds 10] [--concurrency 8] [--rounds 2] [--jar PATH]");
        System.exit(2);
      }
      o.put(args[i], args[i + 1]);
    }
    Duration seconds = Duration.ofSeconds(Long.parseLong(o.get("--seconds")));
    int concurrency = Integer.parseInt(o.get("--concurrency"));
    int rounds = Integer.parseInt(o.get("--rounds"));
    Reporter out = new Reporter();
    Path workDir = Path.of("modules/bench/target",
        "bench-grpc-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toAbsolutePath();
    Files.createDirectories(workDir);
    String loadBefore = InferenceBenchmark.loadAverage();
    out.progress("work directory " + workDir + "; load average " + loadBefore);
    BenchModel model = BenchModel.digits(workDir, new int[] {32, 2});
    byte[] secret = new byte[16];
    new SecureRandom().nextBytes(secret);
    String operatorKey = "mp_operator_" + HexFormat.of().formatHex(secret);
    try (ServerProcess server = ServerProcess.start(Path.of(o.get("--jar")), workDir.resolve("data"),
        workDir.resolve("server.log"), operatorKey, "", Map.of("MODELPLANE_MANAGEMENT_PORT", "0"))) {
      URI base = URI.create("http://127.0.0.1:" + server.httpPort());
      String key = TlsBenchmark.provision(BenchMain.httpClient(), base, operatorKey, model, out);
      TlsBenchmark.Load json = new TlsBenchmark.Load(SocketFactory.getDefault(), server.httpPort(), key, model.name(),
          model.requests(64, false));
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
      try {
        GrpcLoad raw = new GrpcLoad(channel, key, requests(model, true));
        GrpcLoad typed = new GrpcLoad(channel, key, requests(model, false));
        out.progress("warm-up, 5 s each");
        for (Object load : List.of(json, raw, typed)) {
          run(load, concurrency, Duration.ofSeconds(5));
        }
        List<TlsBenchmark.Phase> phases = new ArrayList<>();
        String[] names = {"REST JSON", "gRPC raw", "gRPC typed"};
        Object[] loads = {json, raw, typed};
        for (int round = 1; round <= rounds; round++) {
          for (int k = 0; k < loads.length; k++) {
            int at = round % 2 == 1 ? k : loads.length - 1 - k;
            TlsBenchmark.Phase p = run(loads[at], concurrency, seconds).labelled(names[at] + " #" + round);
            TlsBenchmark.report(out, p);
            phases.add(p);
          }
        }
        System.out.println(table(phases, names, concurrency, seconds, loadBefore, InferenceBenchmark.loadAverage(),
            String.join(" ", args)));
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static TlsBenchmark.Phase run(Object load, int concurrency, Duration duration) throws InterruptedException {
    return load instanceof GrpcLoad g ? g.run(concurrency, duration)
        : ((TlsBenchmark.Load) load).run(concurrency, duration);
  }

  /** The requests of the REST load as gRPC requests: the same held-out digits, raw or typed FP32. */
  private static List<ModelInferRequest> requests(BenchModel model, boolean raw) {
    List<ModelInferRequest> requests = new ArrayList<>();
    for (int i = 0; i < Math.min(64, model.samples().size()); i++) {
      float[] sample = model.samples().get(i);
      ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
          .setName(model.input().name()).setDatatype("FP32").addShape(1).addShape(sample.length);
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
              stub.withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
                  .modelInfer(requests.get(i % requests.size()));
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

  private static String table(List<TlsBenchmark.Phase> phases, String[] names, int concurrency, Duration seconds,
      String loadBefore, String loadAfter, String args) {
    StringBuilder md = new StringBuilder();
    md.append("Command: `modules/bench/run.sh grpc").append(args.isBlank() ? "" : " " + args).append("`; ")
        .append(concurrency).append(" clients in a closed loop, batch 1, ").append(seconds.toSeconds())
        .append(" s a phase; load average before ").append(loadBefore).append(", after ").append(loadAfter)
        .append(".\n\n| phase | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|\n");
    double[] perSecond = new double[names.length];
    for (TlsBenchmark.Phase p : phases) {
      md.append(String.format("| %s | %.0f | %.3f | %.3f | %d |%n", p.label(), p.perSecond(), p.latencies().p50(),
          p.latencies().p99(), p.errors()));
      for (int k = 0; k < names.length; k++) {
        if (p.label().startsWith(names[k] + " #")) {
          perSecond[k] += p.perSecond();
        }
      }
    }
    md.append(String.format("%nThroughput against REST JSON (sum of the rounds): gRPC raw %.2f, gRPC typed %.2f.%n",
        perSecond[1] / perSecond[0], perSecond[2] / perSecond[0]));
    return md.toString();
  }
}
