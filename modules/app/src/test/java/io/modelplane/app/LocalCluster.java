package io.modelplane.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A cluster on loopback of nodes started from the built jar, each a JVM of its own with its own data dir,
 * configured through its environment as an operator would: one shared PostgreSQL journal, one S3 bucket
 * for artifacts, fixed ports per node so that a node started again over its data dir has its old address.
 * Node output goes to {@code <dir>/<node>.log}.
 */
final class LocalCluster implements AutoCloseable {
  static final Path JAR = Path.of(System.getProperty("modelplane.repo", "../..")).resolve("modules/app/target/modelplane.jar");
  static final String ALL_ROLES = "control,gateway,worker";
  /** Start-up on a busy 2-core machine with other JVMs starting beside it. */
  static final Duration START = Duration.ofMinutes(3);
  /** The node's own graceful-leave bound is 60 s (MODELPLANE_SHUTDOWN_TIMEOUT); this is room around it. */
  static final Duration LEAVE = Duration.ofSeconds(90);

  /** One node: its ports, data dir and log stay the same across restarts. */
  final class Node {
    final String name;
    final String roles;
    final int httpPort = NodeProcess.freePort();
    final int clusterPort = NodeProcess.freePort();
    final int managementPort = NodeProcess.freePort();
    final int grpcPort = NodeProcess.freePort();
    final Path dataDir;
    final Path log;
    private NodeProcess process;
    /** One client (one connection pool) per start: a client per call would exhaust the server's connections. */
    private volatile ApiClient api;
    /** In a load balancer's rotation: taken out when the node is stopped, put back once it is ready. */
    volatile boolean inService;

    private Node(String name, String roles) {
      this.name = name;
      this.roles = roles;
      this.dataDir = dir.resolve(name + "-data");
      this.log = dir.resolve(name + ".log");
    }

    boolean has(String role) {
      return List.of(roles.split(",")).contains(role);
    }

    boolean workerOnly() {
      return roles.equals("worker");
    }

    String baseUrl() {
      return "http://127.0.0.1:" + httpPort;
    }

    ApiClient api() {
      return api;
    }

    /** How the cluster view names this node's workers: its cluster address, then the device. */
    String workerPrefix() {
      return "127.0.0.1:" + clusterPort + "/";
    }

    void start() {
      process = NodeProcess.startJar(JAR, jvmOptions, dataDir, log, env(this));
      api = new ApiClient(baseUrl());
      System.out.printf("started %s (pid %d, roles %s, http %d, cluster %d, management %d)%n",
          name, process.pid(), roles, httpPort, clusterPort, managementPort);
    }

    /** Polls Akka Management's {@code /ready} until 200, then puts a gateway into rotation. */
    void awaitReady() {
      process.awaitReady("http://127.0.0.1:" + managementPort + "/ready", START);
      inService = true;
    }

    /** SIGKILL: no leave, no hand-off; returns when it was sent (System.nanoTime). */
    long kill() {
      inService = false;
      long sent = process.kill();
      System.out.printf("killed %s (pid %d)%n", name, process.pid());
      return sent;
    }

    /** SIGTERM, then waits for the process to end (its graceful leave); the exit code. */
    int leave() {
      inService = false;
      long start = System.nanoTime();
      process.terminate();
      int code = process.awaitExit(LEAVE);
      System.out.printf("%s left (SIGTERM) in %d ms, exit code %d%n", name, (System.nanoTime() - start) / 1_000_000, code);
      return code;
    }

    boolean alive() {
      return process != null && process.isAlive();
    }

    String tail() {
      return process == null ? "(not started)" : process.tail();
    }
  }

  private final Path dir;
  private final Map<String, String> journal;
  private final Map<String, String> shared;
  private final List<String> jvmOptions;
  private final List<Node> nodes = new ArrayList<>();
  private List<Node> seeds = List.of();

  /**
   * A cluster whose nodes log and keep their data under {@code dir} (emptied first); {@code journal} the
   * database settings (control and gateway nodes only), {@code shared} the settings of every node.
   */
  LocalCluster(Path dir, Map<String, String> journal, Map<String, String> shared, List<String> jvmOptions) {
    this.dir = dir;
    this.journal = journal;
    this.shared = shared;
    this.jvmOptions = jvmOptions;
    deleteRecursively(dir);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Node add(String name, String roles) {
    Node node = new Node(name, roles);
    nodes.add(node);
    return node;
  }

  /** The nodes every node joins through (MODELPLANE_SEED_NODES). */
  void seeds(Node... seedNodes) {
    this.seeds = List.of(seedNodes);
  }

  List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /** Gateways in rotation. */
  List<Node> gateways() {
    return nodes.stream().filter(n -> n.inService && n.has("gateway")).toList();
  }

  /** Starts {@code first} alone (it creates the journal's tables), then the others at once; waits for each to be ready. */
  void start(Node first, Node... others) {
    first.start();
    first.awaitReady();
    startTogether(others);
  }

  /** Starts {@code others} at once and waits for each to be ready. */
  void startTogether(Node... others) {
    Stream.of(others).forEach(Node::start);
    List<CompletableFuture<Void>> ready = Stream.of(others)
        .map(n -> CompletableFuture.runAsync(n::awaitReady)).toList();
    ready.forEach(CompletableFuture::join);
  }

  private Map<String, String> env(Node node) {
    Map<String, String> env = new HashMap<>(shared);
    env.put("MODELPLANE_HTTP_PORT", String.valueOf(node.httpPort));
    env.put("MODELPLANE_CLUSTER_PORT", String.valueOf(node.clusterPort));
    env.put("MODELPLANE_GRPC_PORT", String.valueOf(node.grpcPort));
    env.put("MODELPLANE_MANAGEMENT_HOST", "127.0.0.1");
    env.put("MODELPLANE_MANAGEMENT_PORT", String.valueOf(node.managementPort));
    env.put("MODELPLANE_ROLES", node.roles);
    env.put("MODELPLANE_SEED_NODES", String.join(",", seeds.stream().map(s -> "127.0.0.1:" + s.clusterPort).toList()));
    env.put("MODELPLANE_DEMO", "false");
    if (!node.workerOnly()) { // a worker-only node refuses the control plane's credentials
      env.putAll(journal);
      env.put("MODELPLANE_OPERATOR_KEY", TestNodes.OPERATOR_KEY);
      env.put("MODELPLANE_KEK", TestNodes.TEST_KEK); // one KEK for every control and gateway node
      // the first node created the tables; creating them from several nodes at once can race
      env.put("MODELPLANE_DB_CREATE_SCHEMA", String.valueOf(node == nodes.get(0)));
    }
    return env;
  }

  /** The last lines of every node's log, for a failure's report. */
  void printTails() {
    for (Node n : nodes) {
      System.out.printf("===== %s (%s) log tail: %s =====%n%s%n", n.name, n.alive() ? "running" : "stopped", n.log, n.tail());
    }
  }

  /** Runs {@code body}; on failure prints every node's log tail first. */
  void reportingFailures(ThrowingRunnable body) throws Exception {
    try {
      body.run();
    } catch (Throwable t) {
      printTails();
      throw t;
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Override
  public void close() {
    for (Node n : nodes) {
      if (n.process != null) {
        n.process.close();
      }
    }
  }

  private static void deleteRecursively(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          p.toFile().setWritable(true);
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
