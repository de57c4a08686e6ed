package io.modelplane.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line of {@link InferenceBenchmark}. Every phase is bounded by time and, for the load
 * generator, also by a request count; a value left unset takes the model's default.
 */
record BenchOptions(
    List<String> models,
    Duration seconds,
    Integer concurrency,
    int lowConcurrency,
    Duration lowSeconds,
    Duration rawSeconds,
    Duration warmup,
    long maxRequests,
    int clientThreads,
    String digitsBatch,
    String resnetBatch,
    int latencyDelayMs,
    Path jar,
    Path resnet18,
    Path workDir,
    String serverJavaOpts,
    Map<String, String> serverEnv,
    Integer torchThreads,
    long admissionOps,
    Duration quotaSeconds,
    int quotaRounds,
    List<String> quotaModels,
    Integer engineThreads,
    boolean binary) {

  static final String USAGE = """
      usage: InferenceBenchmark [options]
        --model digits|resnet18|both   models to measure (default both)
        --seconds N                    timed full-path phase at --concurrency (default 15; at most 20 advised)
        --concurrency C                closed-loop requesters of that phase (default: digits 64, resnet18 16)
        --low-concurrency C            requesters of the latency phases (default 1)
        --low-seconds N                each latency phase (default 8)
        --raw-seconds N                timed raw phase per batch size (default: digits 3, resnet18 8)
        --warmup-seconds N             full-path warm-up before the timed phase (default: digits 8, resnet18 6)
        --max-requests N               hard cap of requests per load phase (default 1000000)
        --client-threads N             selector threads of the load generator (default 1)
        --digits-batch MAX/DELAY       digits deployment maxBatchSize/maxBatchDelayMs (default 64/1)
        --resnet18-batch MAX/DELAY     resnet18 deployment maxBatchSize/maxBatchDelayMs (default 8/5)
        --latency-delay-ms D           maxBatchDelayMs of the extra deployment the latency phase also
                                       measures (default 0; -1: skip it)
        --jar PATH                     server jar (default modules/app/target/modelplane.jar)
        --resnet18-artifact PATH       ResNet-18 TorchScript (default modules/bench/target/models/resnet18.pt)
        --work-dir PATH                server data dirs, logs and report.md (default modules/bench/target/bench-run-<time>)
        --server-java-opts "OPTS"      extra JVM options of the server (default none)
        --server-env "K=V,K2=V2"       extra environment of the server (e.g. OMP_WAIT_POLICY=passive)
        --torch-threads N              libtorch intra-op threads, raw phase and server alike: the raw
                                       JVM and the server get -Dai.djl.pytorch.num_threads=N, the server
                                       also OMP_NUM_THREADS=N (see README; default: libtorch's, one per core)
        --admission-ops N              admit + release pairs per caller thread of the in-process admission
                                       microbenchmark, each run also bounded to 2 s (default 5000000; 0: skip it)
        --quota-seconds N              each full-path phase with quota off or on, at --concurrency
                                       (default 3; 0: skip them and the quota tenant)
        --quota-rounds N               pairs of those phases, in the order off/on, on/off, off/on, ...
                                       so a drift of the machine hits both sides alike (default 6)
        --quota-models digits|resnet18|both   models that get those phases (default digits)
        --engine-threads N             engineThreads of the measured deployments (0: one per core;
                                       default: none given, the server's MODELPLANE_ENGINE_THREADS)
        --binary                       send the full-path requests with the binary tensor data extension
                                       (raw little-endian FP32 after a small JSON part) instead of JSON data
      """;

  static BenchOptions parse(String[] args) {
    List<String> models = List.of("digits", "resnet18");
    Duration seconds = Duration.ofSeconds(15);
    Integer concurrency = null;
    int lowConcurrency = 1;
    Duration lowSeconds = Duration.ofSeconds(8);
    Duration rawSeconds = null;
    Duration warmup = null;
    long maxRequests = 1_000_000;
    int clientThreads = 1;
    String digitsBatch = "64/1";
    String resnetBatch = "8/5";
    int latencyDelayMs = 0;
    Path jar = Path.of("modules/app/target/modelplane.jar");
    Path resnet18 = Path.of("modules/bench/target/models/resnet18.pt");
    Path workDir = null;
    String serverJavaOpts = "";
    Integer torchThreads = null;
    long admissionOps = 5_000_000;
    Duration quotaSeconds = Duration.ofSeconds(3);
    int quotaRounds = 6;
    Integer engineThreads = null;
    List<String> quotaModels = List.of("digits");
    Map<String, String> serverEnv = new LinkedHashMap<>();
    boolean binary = false;
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (name.equals("--help") || name.equals("-h")) {
        throw new IllegalArgumentException(USAGE);
      }
      if (name.equals("--binary")) {
        binary = true;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(name + " needs a value\n" + USAGE);
      }
      String value = args[++i];
      switch (name) {
        case "--model" -> models = models(name, value);
        case "--admission-ops" -> admissionOps = nonNegative(name, value);
        case "--quota-seconds" -> quotaSeconds = value.equals("0") ? Duration.ZERO : seconds(name, value);
        case "--quota-models" -> quotaModels = models(name, value);
        case "--quota-rounds" -> quotaRounds = positive(name, value);
        case "--engine-threads" -> engineThreads = (int) nonNegative(name, value);
        case "--seconds" -> seconds = seconds(name, value);
        case "--concurrency" -> concurrency = positive(name, value);
        case "--low-concurrency" -> lowConcurrency = positive(name, value);
        case "--low-seconds" -> lowSeconds = seconds(name, value);
        case "--raw-seconds" -> rawSeconds = seconds(name, value);
        case "--warmup-seconds" -> warmup = seconds(name, value);
        case "--max-requests" -> maxRequests = positive(name, value);
        case "--client-threads" -> clientThreads = positive(name, value);
        case "--digits-batch" -> digitsBatch = batch(name, value);
        case "--resnet18-batch" -> resnetBatch = batch(name, value);
        case "--latency-delay-ms" -> latencyDelayMs = Integer.parseInt(value);
        case "--jar" -> jar = Path.of(value);
        case "--resnet18-artifact" -> resnet18 = Path.of(value);
        case "--work-dir" -> workDir = Path.of(value);
        case "--server-java-opts" -> serverJavaOpts = value;
        case "--torch-threads" -> torchThreads = positive(name, value);
        case "--server-env" -> {
          for (String pair : value.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
              throw new IllegalArgumentException("--server-env is K=V[,K2=V2], not " + value);
            }
            serverEnv.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
          }
        }
        default -> throw new IllegalArgumentException("unknown option " + name + "\n" + USAGE);
      }
    }
    return new BenchOptions(List.copyOf(new ArrayList<>(models)), seconds, concurrency, lowConcurrency, lowSeconds,
        rawSeconds, warmup, maxRequests, clientThreads, digitsBatch, resnetBatch, latencyDelayMs, jar, resnet18, workDir,
        serverJavaOpts, Map.copyOf(serverEnv), torchThreads, admissionOps, quotaSeconds, quotaRounds, quotaModels, engineThreads, binary);
  }

  /** The same options with another server jar. */
  BenchOptions withJar(Path otherJar) {
    return new BenchOptions(models, seconds, concurrency, lowConcurrency, lowSeconds, rawSeconds, warmup, maxRequests,
        clientThreads, digitsBatch, resnetBatch, latencyDelayMs, otherJar, resnet18, workDir, serverJavaOpts, serverEnv,
        torchThreads, admissionOps, quotaSeconds, quotaRounds, quotaModels, engineThreads, binary);
  }

  /** Whether {@code model} gets the alternating quota off / on phases. */
  boolean quotaPhases(String model) {
    return !quotaSeconds.isZero() && quotaModels.contains(model);
  }

  private static List<String> models(String name, String value) {
    return switch (value) {
      case "both" -> List.of("digits", "resnet18");
      case "digits", "resnet18" -> List.of(value);
      default -> throw new IllegalArgumentException(name + " is digits, resnet18 or both, not " + value);
    };
  }

  private static long nonNegative(String name, String value) {
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " needs a number, not " + value);
    }
    if (n < 0) {
      throw new IllegalArgumentException(name + " must not be negative, was " + n);
    }
    return n;
  }

  /** {maxBatchSize, maxBatchDelayMs} of "MAX/DELAY". */
  static int[] batchSettings(String value) {
    String[] parts = value.split("/");
    return new int[] {Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
  }

  private static String batch(String name, String value) {
    try {
      int[] b = batchSettings(value);
      if (b[0] >= 1 && b[1] >= 0) {
        return value;
      }
    } catch (RuntimeException e) {
      // reported below
    }
    throw new IllegalArgumentException(name + " is MAX/DELAY (e.g. 64/1), not " + value);
  }

  /** A whole number of at least 1, or an error naming the option. */
  static int positive(String name, String value) {
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " needs a number, not " + value);
    }
    if (n < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, was " + n);
    }
    return n;
  }

  private static Duration seconds(String name, String value) {
    double s;
    try {
      s = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " needs seconds, not " + value);
    }
    if (!(s > 0 && s <= 600)) {
      throw new IllegalArgumentException(name + " must be in (0, 600] seconds, was " + value);
    }
    return Duration.ofMillis(Math.round(s * 1000));
  }
}
