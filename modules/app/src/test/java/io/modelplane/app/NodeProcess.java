package io.modelplane.app;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A real node in a JVM of its own (this test's class path, {@link Main}), configured through its
 * environment as an operator would, so that a test can end it with SIGKILL: no shutdown hook, no
 * flush, no close runs. Ended by its PID only.
 */
final class NodeProcess implements AutoCloseable {
  /** Ports {@link #freePort} gave out: the nodes bind them only later, so the kernel may offer one twice. */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private final Process process;
  private final int httpPort;
  private final int managementPort;
  private final Path log;
  private final Thread killHook;

  private NodeProcess(Process process, int httpPort, int managementPort, Path log) {
    this.process = process;
    this.httpPort = httpPort;
    this.managementPort = managementPort;
    this.log = log;
    this.killHook = new Thread(process::destroyForcibly, "kill-node-" + process.pid());
    Runtime.getRuntime().addShutdownHook(killHook);
  }

  /** Starts a node on free loopback ports over {@code dataDir}, output appended to {@code log}; {@code env} on top. */
  static NodeProcess start(Path dataDir, Path log, Map<String, String> env) {
    // surefire runs tests from a manifest-only jar; the real class path is in this property
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Map<String, String> settings = new HashMap<>(Map.of(
        "MODELPLANE_OPERATOR_KEY", TestNodes.OPERATOR_KEY, "MODELPLANE_DEMO", "false"));
    if (!"worker".equals(env.get("MODELPLANE_ROLES"))) {
      settings.put("MODELPLANE_KEK", TestNodes.TEST_KEK); // a worker-only node refuses a KEK
    }
    settings.putAll(env);
    return launch(List.of(java(), "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
        "-cp", classPath, Main.class.getName()), dataDir, log, settings);
  }

  /**
   * Starts the built jar as a user does ({@code java -jar}, the node's own defaults: demo tenant, operator key
   * generated and printed at first start) on free loopback ports over {@code dataDir}; {@code env} on top.
   */
  static NodeProcess startJar(Path jar, Path dataDir, Path log, Map<String, String> env) {
    return startJar(jar, List.of(), dataDir, log, env);
  }

  /**
   * {@link #startJar} with JVM options (heap size…) before {@code -jar}; ports given in {@code env}
   * ({@code MODELPLANE_HTTP_PORT}, {@code MODELPLANE_CLUSTER_PORT}) are kept: a node started again over its
   * data dir keeps its address, as a seed node must.
   */
  static NodeProcess startJar(Path jar, List<String> jvmOptions, Path dataDir, Path log, Map<String, String> env) {
    List<String> command = new java.util.ArrayList<>(List.of(java()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString()));
    return launch(command, dataDir, log, env);
  }

  private static NodeProcess launch(List<String> command, Path dataDir, Path log, Map<String, String> env) {
    int httpPort = env.containsKey("MODELPLANE_HTTP_PORT") ? Integer.parseInt(env.get("MODELPLANE_HTTP_PORT")) : freePort();
    int clusterPort = env.containsKey("MODELPLANE_CLUSTER_PORT")
        ? Integer.parseInt(env.get("MODELPLANE_CLUSTER_PORT")) : freePort();
    int managementPort = freePort();
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Map<String, String> e = builder.environment();
    e.keySet().removeIf(k -> k.startsWith("MODELPLANE_"));
    e.put("MODELPLANE_HTTP_HOST", "127.0.0.1");
    e.put("MODELPLANE_HTTP_PORT", String.valueOf(httpPort));
    e.put("MODELPLANE_CLUSTER_HOST", "127.0.0.1");
    e.put("MODELPLANE_CLUSTER_PORT", String.valueOf(clusterPort));
    e.put("MODELPLANE_MANAGEMENT_PORT", String.valueOf(managementPort));
    e.put("MODELPLANE_GRPC_PORT", String.valueOf(freePort())); // 8081 by default: another node's HTTP port here
    e.put("MODELPLANE_DATA_DIR", dataDir.toAbsolutePath().toString());
    e.putAll(env);
    try {
      return new NodeProcess(builder.start(), httpPort, Integer.parseInt(e.get("MODELPLANE_MANAGEMENT_PORT")), log);
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot start a node process", ex);
    }
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** Akka Management: /alive, /ready, /cluster/members. */
  String managementUrl() {
    return "http://127.0.0.1:" + managementPort;
  }

  /** Polls /v2/health/ready until 200; fails with the log's tail if the process dies or the time runs out. */
  void awaitReady(Duration timeout) {
    awaitReady(baseUrl() + "/v2/health/ready", timeout);
  }

  /** Polls {@code url} (a readiness endpoint of this node) until 200, as {@link #awaitReady(Duration)}. */
  void awaitReady(String url, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest ready = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("node process " + process.pid() + " exited with " + process.exitValue()
            + " before it was ready:\n" + tail());
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException ignored) {
        // not listening yet
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", ex);
      }
      sleep(50);
    }
    throw new AssertionError("node process " + process.pid() + " not ready within " + timeout + ":\n" + tail());
  }

  /** SIGKILL (what {@code kill -9} sends), then waits until the process is gone; returns when it was sent. */
  long kill() {
    long sent = System.nanoTime();
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
    Runtime.getRuntime().removeShutdownHook(killHook);
    return sent;
  }

  /** SIGTERM (what {@code kill -TERM} and Kubernetes send): the node leaves gracefully. */
  void terminate() {
    process.destroy();
  }

  /** The exit code once the process has ended within {@code timeout}; fails with the log's tail if it has not. */
  int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        throw new AssertionError("node process " + process.pid() + " still running after " + timeout + ":\n" + tail());
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", ex);
    }
    Runtime.getRuntime().removeShutdownHook(killHook);
    return process.exitValue();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** The node's whole output so far. */
  String output() {
    try {
      return Files.readString(log);
    } catch (IOException ex) {
      return "(no log: " + ex + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  /** The last 40 lines of the node's output. */
  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException ex) {
      return "(no log: " + ex + ")";
    }
  }

  /** A loopback port free now and not handed out before in this JVM. */
  static int freePort() {
    while (true) {
      try (ServerSocket socket = new ServerSocket(0)) {
        int port = socket.getLocalPort();
        if (HANDED_OUT.add(port)) {
          return port;
        }
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }
}
