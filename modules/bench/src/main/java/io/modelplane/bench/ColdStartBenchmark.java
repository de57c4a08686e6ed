package io.modelplane.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How long a request waits when it wakes a version scaled to zero: one node, each model deployed with
 * {@code minReplicas: 0} and a 1 s idle period; each start waits until placement has unloaded the version
 * (model status {@code scaled_to_zero}), then times one predict call from send to answer (placement loads a
 * replica, the gateway waits for it, the model answers). A warm call right after is the baseline.
 */
public final class ColdStartBenchmark {

  static final String OPERATOR_KEY = "mp_operator_coldstart_bench_0123456789ab";
  static final String TENANT = "cold-bench";
  private static final Duration START = Duration.ofMinutes(3);
  private static final Duration UNLOAD_BOUND = Duration.ofSeconds(60);

  static final String USAGE = """
      usage: ColdStartBenchmark [options]
        --model digits|resnet18|both   models to measure (default both)
        --starts N                     measured cold starts per model (default 20)
        --idle-seconds N               idleUnloadSeconds of the deployments (default 1)
        --resnet18-artifact PATH       ResNet-18 TorchScript (default modules/bench/target/models/resnet18.pt)
        --jar PATH                     server jar (default modules/app/target/modelplane.jar)
        --work-dir PATH                node data, log, report.md (default modules/bench/target/coldstart-run-<time>)
        --server-java-opts "OPTS"      extra JVM options of the node (default none)
      """;

  record Options(List<String> models, int starts, int idleSeconds, Path resnet18, Path jar, Path workDir,
      String serverJavaOpts) {

    static Options parse(String[] args) {
      List<String> models = List.of("digits", "resnet18");
      int starts = 20;
      int idle = 1;
      Path resnet18 = Path.of("modules/bench/target/models/resnet18.pt");
      Path jar = Path.of("modules/app/target/modelplane.jar");
      Path workDir = null;
      String javaOpts = "";
      for (Map.Entry<String, String> option : BenchMain.optionPairs(args, USAGE)) {
        String value = option.getValue();
        switch (option.getKey()) {
          case "--model" -> models = switch (value) {
            case "digits", "resnet18" -> List.of(value);
            case "both" -> List.of("digits", "resnet18");
            default -> throw new IllegalArgumentException("--model is digits, resnet18 or both, not " + value);
          };
          case "--starts" -> starts = BenchOptions.positive("--starts", value);
          case "--idle-seconds" -> idle = BenchOptions.positive("--idle-seconds", value);
          case "--resnet18-artifact" -> resnet18 = Path.of(value);
          case "--jar" -> jar = Path.of(value);
          case "--work-dir" -> workDir = Path.of(value);
          case "--server-java-opts" -> javaOpts = value;
          default -> throw new IllegalArgumentException("unknown option " + option.getKey() + "\n" + USAGE);
        }
      }
      if (workDir == null) {
        workDir = Path.of("modules/bench/target",
            "coldstart-run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      }
      return new Options(models, starts, idle, resnet18, jar, workDir, javaOpts);
    }
  }

  /** One model's cold and warm calls. */
  record Result(String model, Latencies cold, Latencies warm) {}

  private ColdStartBenchmark() {}

  public static void main(String[] args) {
    BenchMain.main(ColdStartBenchmark.class, args, Options::parse, ColdStartBenchmark::run);
  }

  static int run(Options o, String[] args) throws IOException, InterruptedException {
    Reporter out = new Reporter();
    Files.createDirectories(o.workDir());
    out.progress("work directory " + o.workDir().toAbsolutePath());
    HttpClient http = BenchMain.httpClient();
    List<Result> results = new ArrayList<>();
    // placement samples load every 200 ms here (5 s by default): the idle unload comes soon after its period
    String javaOpts = ("-Dmodelplane.inference.autoscale.interval=200ms " + o.serverJavaOpts()).trim();
    try (ServerProcess node = ServerProcess.start(o.jar(), o.workDir().resolve("node"), o.workDir().resolve("node.log"),
        OPERATOR_KEY, javaOpts, Map.of("MODELPLANE_COLD_START_TIMEOUT", "60s"))) {
      node.awaitReady(http, START);
      out.progress("node pid " + node.pid() + " on 127.0.0.1:" + node.httpPort());
      ModelPlaneClient client = new ModelPlaneClient(http, node.base(), OPERATOR_KEY);
      client.createTenant(TENANT);
      String key = client.createApiKey(TENANT);
      for (String name : o.models()) {
        BenchModel model = name.equals("digits")
            ? BenchModel.digits(Files.createDirectories(o.workDir().resolve("model")), new int[] {32, 0})
            : BenchModel.resnet18(o.resnet18(), new int[] {8, 0});
        try {
          results.add(measure(o, client, key, model, out));
        } catch (RuntimeException e) {
          out.progress("node log (last lines):\n" + node.tail(30));
          throw e;
        }
      }
    }
    BenchMain.publish(o.workDir(), render(results, o, BenchMain.command(ColdStartBenchmark.class, args)), out);
    return 0;
  }

  private static Result measure(Options o, ModelPlaneClient client, String key, BenchModel model, Reporter out)
      throws IOException, InterruptedException {
    int version = client.upload(key, TENANT, model.name(), model.manifestJson(), model.artifact());
    String body = "{\"traffic\":{\"" + version + "\":100},\"minReplicas\":0,\"maxReplicas\":1,\"idleUnloadSeconds\":"
        + o.idleSeconds() + "}";
    ModelPlaneClient.Reply deployed = client.call("PUT", "/api/v1/tenants/" + TENANT + "/models/" + model.name()
        + "/deployment", body);
    if (deployed.status() != 202) {
      throw new IllegalStateException("deploy of " + model.name() + " -> " + deployed.status() + ": " + deployed.body());
    }
    client.awaitReady(key, model.name(), START);
    BenchModel.Request request = model.request(0, true);
    expectOk(client.infer(key, model.name(), request), model.name());
    long[] cold = new long[o.starts()];
    long[] warm = new long[o.starts()];
    for (int i = 0; i < o.starts(); i++) {
      awaitScaledToZero(client, model.name());
      long start = System.nanoTime();
      expectOk(client.infer(key, model.name(), request), model.name());
      cold[i] = System.nanoTime() - start;
      start = System.nanoTime();
      expectOk(client.infer(key, model.name(), request), model.name());
      warm[i] = System.nanoTime() - start;
      out.progress(String.format(Locale.ROOT, "%s start %d: cold %.1f ms, warm %.1f ms", model.name(), i + 1,
          cold[i] / 1e6, warm[i] / 1e6));
    }
    return new Result(model.name(), Latencies.of(cold, cold.length), Latencies.of(warm, warm.length));
  }

  private static void awaitScaledToZero(ModelPlaneClient client, String model) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + UNLOAD_BOUND.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      ModelPlaneClient.Reply r = client.call("GET", "/api/v1/tenants/" + TENANT + "/models/" + model, null);
      last = r.status() + " " + r.json().path("status").asText();
      if (r.status() == 200 && r.json().path("status").asText().equals("scaled_to_zero")) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(model + " was not scaled to zero within " + UNLOAD_BOUND.toSeconds() + " s: " + last);
  }

  private static void expectOk(HttpResponse<byte[]> response, String model) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException("predict on " + model + " -> " + response.statusCode() + ": "
          + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  static String render(List<Result> results, Options o, String command) {
    StringBuilder md = new StringBuilder();
    md.append("# Cold start from zero replicas\n\n");
    md.append("Command: `").append(command).append("`\n\n");
    md.append(String.format(Locale.ROOT, "One node on this machine (%d cores); each model deployed with minReplicas 0 and"
        + " idleUnloadSeconds %d; %d cold starts per model, each a predict call (batch 1, binary tensor data) sent once"
        + " the version was scaled to zero, timed from send to answer; warm: the call right after.%n%n",
        Runtime.getRuntime().availableProcessors(), o.idleSeconds(), o.starts()));
    md.append("| model | cold p50 (ms) | cold p99 (ms) | cold max (ms) | warm p50 (ms) |\n|---|---|---|---|---|\n");
    for (Result r : results) {
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.2f |%n", r.model(), r.cold().percentileMs(50),
          r.cold().percentileMs(99), r.cold().maxMs(), r.warm().percentileMs(50)));
    }
    return md.toString();
  }
}
