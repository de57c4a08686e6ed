package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.registry.s3.S3TestServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Run a cluster" as written: {@code ops/scripts/cluster.sh up} starts three nodes from the built
 * jar over a real PostgreSQL (embedded, in this JVM) and a real S3-compatible server, the demo model answers
 * through each node with the keys the script says where to find, {@code status} shows three members up, and
 * {@code down} ends every process the script started. The README's cluster blocks ({@code sh}, which
 * {@link ReadmeIT} does not run: they need PostgreSQL and an S3 store) are checked here against what this test
 * sets. Runs after {@code package} (failsafe).
 */
class ClusterScriptIT {
  private static final Path REPO = Path.of(System.getProperty("modelplane.repo", "../..")).toAbsolutePath().normalize();
  private static final Path SCRIPT = REPO.resolve("ops/scripts/cluster.sh");
  private static final Path JAR = REPO.resolve("modules/app/target/modelplane.jar");
  private static final String BUCKET = "modelplane-cluster";
  private static final int NODES = 3;
  private static final Pattern EXPORTED = Pattern.compile("\\b((?:MODELPLANE|AWS)_[A-Z0-9_]+)=");

  @TempDir
  static Path dir;
  private static EmbeddedPostgres pg;
  private static S3TestServer s3;
  /** What a reader exports before running the script: the database and the S3 store. */
  private static final Map<String, String> exported = new HashMap<>();
  private static final List<Long> started = new ArrayList<>();

  @BeforeAll
  static void startDatabaseAndStore() throws IOException {
    assertThat(JAR).as("the script starts %s: build it first (mvn package)", JAR).isRegularFile();
    pg = EmbeddedPostgres.builder().start();
    s3 = S3TestServer.start();
    s3.createBucket(BUCKET);
    exported.put("MODELPLANE_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres");
    exported.put("MODELPLANE_DB_USER", "postgres");
    exported.put("MODELPLANE_DB_PASSWORD", "postgres");
    exported.putAll(s3.nodeEnv(BUCKET));
  }

  @AfterAll
  static void stopEverything() throws IOException {
    // a failed run must not leave nodes behind: only the PIDs the script recorded for this test's cluster
    started.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    if (s3 != null) {
      s3.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void theReadmeRunsTheScriptWithTheVariablesThisTestSets() throws IOException {
    String readme = Files.readString(REPO.resolve("README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("## Run a cluster");
    assertThat(start).as("the README's section \"Run a cluster\"").isNotNegative();
    String section = readme.substring(start, readme.indexOf("\n## ", start + 1));
    assertThat(section).contains("ops/scripts/cluster.sh up", "ops/scripts/cluster.sh status",
        "ops/scripts/cluster.sh down", "cluster-data/demo-key", "cluster-data/operator-key");
    Set<String> set = new TreeSet<>();
    Matcher m = EXPORTED.matcher(section);
    while (m.find()) {
      set.add(m.group(1));
    }
    assertThat(set).as("variables the README sets").contains("MODELPLANE_DB_URL", "MODELPLANE_S3_BUCKET");
    assertThat(exported.keySet()).as("variables this test sets").containsAll(set);
  }

  @Test
  void upWithoutTheDatabaseOrStoreSaysWhatIsMissingAndStartsNothing() throws Exception {
    Path clusterDir = dir.resolve("refused");
    Map<String, String> env = new HashMap<>(exported);
    env.remove("MODELPLANE_DB_URL");
    env.remove("MODELPLANE_S3_BUCKET");
    Run up = script(clusterDir, env, Duration.ofSeconds(30), "up");
    assertThat(up.exit()).as("exit of up%s", up).isEqualTo(1);
    assertThat(up.output()).contains("MODELPLANE_DB_URL", "MODELPLANE_S3_BUCKET")
        .doesNotContain("MODELPLANE_DB_USER", "AWS_ACCESS_KEY_ID");
    assertThat(clusterDir.resolve("node-1.pid")).doesNotExist();
  }

  @Test
  void upWithOverlappingPortRangesNamesThemAndStartsNothing() throws Exception {
    Path clusterDir = dir.resolve("overlapping");
    Map<String, String> env = new HashMap<>(exported);
    env.put("CLUSTER_REMOTING_PORT", "25520");
    env.put("CLUSTER_GRPC_PORT", "25522"); // node 1's gRPC port would be node 3's remoting port
    Run up = script(clusterDir, env, Duration.ofSeconds(30), "up");
    assertThat(up.exit()).as("exit of up%s", up).isEqualTo(1);
    assertThat(up.output()).contains("CLUSTER_REMOTING_PORT=25520 and CLUSTER_GRPC_PORT=25522 overlap");
    assertThat(clusterDir.resolve("node-1.pid")).doesNotExist();
  }

  @Test
  void threeNodesServeTheDemoModelAndLeaveOnDown() throws Exception {
    Path clusterDir = dir.resolve("cluster");
    Map<String, String> env = new HashMap<>(exported);
    // one block for all four ranges: ranges probed one by one may overlap, as none is bound yet
    int ports = freePorts(4 * NODES);
    env.put("CLUSTER_HTTP_PORT", String.valueOf(ports));
    env.put("CLUSTER_REMOTING_PORT", String.valueOf(ports + NODES));
    env.put("CLUSTER_MANAGEMENT_PORT", String.valueOf(ports + 2 * NODES));
    env.put("CLUSTER_GRPC_PORT", String.valueOf(ports + 3 * NODES));
    // a smaller, faster-starting JVM per node: three share this machine's cores with the build
    env.put("CLUSTER_JAVA_OPTS", "-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");

    Run up = script(clusterDir, env, Duration.ofMinutes(4), "up");
    List<Long> pids = recordedPids(clusterDir);
    started.addAll(pids);
    assertThat(up.exit()).as("exit of up%s", up).isZero();
    assertThat(pids).as("PIDs the script recorded").hasSize(NODES)
        .allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true));

    // the keys are where the script says they are
    assertThat(up.output()).contains("export OP=$(cat " + clusterDir + "/operator-key)",
        "export KEY=$(cat " + clusterDir + "/demo-key)");
    String operatorKey = Files.readString(clusterDir.resolve("operator-key"), StandardCharsets.US_ASCII).strip();
    String demoKey = Files.readString(clusterDir.resolve("demo-key"), StandardCharsets.US_ASCII).strip();
    assertThat(demoKey).matches(ReadmeIT.DEMO_KEY);
    byte[] digit = Files.readAllBytes(REPO.resolve("ops/scripts/digit-request.json"));

    int httpBase = Integer.parseInt(env.get("CLUSTER_HTTP_PORT"));
    for (int n = 0; n < NODES; n++) {
      String url = "http://127.0.0.1:" + (httpBase + n);
      assertThat(up.output()).as("up names node %d's address", n + 1).contains(url);
      ApiClient api = new ApiClient(url);
      // the one replica loads on one node's worker; the other gateways route to it
      ApiClient.Reply answer = api.raw("POST", "/v2/models/digits/infer", demoKey, "application/json", digit);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (answer.status() == 503 && "model_loading".equals(answer.code()) && System.nanoTime() < deadline) {
        Thread.sleep(500);
        answer = api.raw("POST", "/v2/models/digits/infer", demoKey, "application/json", digit);
      }
      assertThat(answer.status()).as("predict through node %d: %s%s", n + 1, answer, nodeLogs(clusterDir)).isEqualTo(200);
      JsonNode logits = answer.json().path("outputs").path(0).path("data");
      assertThat(argmax(logits)).as("the digit node %d sees", n + 1).isEqualTo(7);
      // one operator key for every node: the one the script keeps
      ApiClient.Reply cluster = api.get("/api/v1/admin/cluster", operatorKey);
      assertThat(cluster.status()).as("the cluster view through node %d: %s", n + 1, cluster).isEqualTo(200);
    }

    Run status = script(clusterDir, env, Duration.ofSeconds(30), "status");
    assertThat(status.exit()).as("exit of status%s", status).isZero();
    assertThat(status.output().lines().filter(l -> l.matches("node \\d  pid \\d+  ready .*"))).hasSize(NODES);
    assertThat(status.output().lines().filter(l -> l.matches("  127\\.0\\.0\\.1:\\d+ Up"))).hasSize(NODES);

    Run down = script(clusterDir, env, Duration.ofMinutes(3), "down");
    assertThat(down.exit()).as("exit of down%s", down).isZero();
    assertThat(down.output()).doesNotContain("SIGKILL");
    assertThat(pids).as("node processes after down").allSatisfy(pid -> assertThat(ended(pid)).as("pid %d ended", pid).isTrue());
    assertThat(recordedPids(clusterDir)).as("PID files left").isEmpty();
  }

  private record Run(int exit, String output) {
    @Override
    public String toString() {
      return "\n" + output;
    }
  }

  /** Runs the script as a reader would, from the repository, with only {@code env} of ModelPlane's variables set. */
  private static Run script(Path clusterDir, Map<String, String> env, Duration timeout, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "cluster-" + args[0], ".out");
    ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Map<String, String> e = builder.environment();
    e.keySet().removeIf(k -> k.startsWith("MODELPLANE_") || k.startsWith("AWS_") || k.startsWith("CLUSTER_"));
    e.put("PATH", Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator + e.getOrDefault("PATH", ""));
    e.put("HOME", dir.toString()); // no credentials file of the machine's user
    e.put("CLUSTER_DIR", clusterDir.toString());
    e.putAll(env);
    Process process = builder.start();
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("cluster.sh " + String.join(" ", args) + " did not finish within " + timeout + ":\n"
          + Files.readString(out, StandardCharsets.UTF_8) + nodeLogs(clusterDir));
    }
    String output = Files.readString(out, StandardCharsets.UTF_8);
    return new Run(process.exitValue(), process.exitValue() == 0 ? output : output + nodeLogs(clusterDir));
  }

  private static List<Long> recordedPids(Path clusterDir) throws IOException {
    List<Long> pids = new ArrayList<>();
    for (int n = 1; n <= NODES; n++) {
      Path file = clusterDir.resolve("node-" + n + ".pid");
      if (Files.exists(file)) {
        pids.add(Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip().split("\\s+")[0]));
      }
    }
    return pids;
  }

  private static String nodeLogs(Path clusterDir) {
    StringBuilder logs = new StringBuilder();
    for (int n = 1; n <= NODES; n++) {
      Path log = clusterDir.resolve("node-" + n + ".log");
      try {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        logs.append("\n--- node-").append(n).append(".log (end) ---\n")
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return logs.toString();
  }

  /**
   * Whether the process has ended: gone, or a zombie. The script's nodes outlive it, so their parent is
   * whatever adopted them (init, a container's first process), which reaps them when it gets to it.
   */
  private static boolean ended(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"), StandardCharsets.US_ASCII);
      char state = stat.substring(stat.lastIndexOf(')') + 2).charAt(0);
      return state == 'Z' || state == 'X';
    } catch (IOException gone) {
      return true;
    }
  }

  private static int argmax(JsonNode values) {
    assertThat(values.size()).as("logits").isEqualTo(10);
    int best = 0;
    for (int i = 1; i < values.size(); i++) {
      best = values.get(i).asDouble() > values.get(best).asDouble() ? i : best;
    }
    return best;
  }

  /** The first of {@code count} consecutive loopback ports that are free now. */
  private static int freePorts(int count) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int first;
      try (ServerSocket probe = new ServerSocket(0)) {
        first = probe.getLocalPort();
      }
      if (first + count > 65535) {
        continue;
      }
      boolean free = true;
      for (int p = first; p < first + count && free; p++) {
        try (ServerSocket s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
          free = s.getLocalPort() == p;
        } catch (IOException taken) {
          free = false;
        }
      }
      if (free) {
        return first;
      }
    }
    throw new IOException("no " + count + " consecutive free ports found");
  }
}
