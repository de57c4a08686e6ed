package io.modelplane.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A ModelPlane node started as a child process from the server jar, on free loopback ports with a
 * fresh data directory, its output going to a log file. {@link #close} stops it by its PID (TERM,
 * then KILL after a grace period); a shutdown hook does the same if this JVM exits first.
 */
final class ServerProcess implements AutoCloseable {

  private static final Duration STOP_GRACE = Duration.ofSeconds(15);
  // Linux reports process CPU time in clock ticks of 1/100 s on every architecture the JDK runs on
  private static final long NANOS_PER_TICK = 10_000_000L;

  private final Process process;
  private final long pid;
  private final int httpPort;
  private int grpcPort;
  private final int clusterPort;
  private final long startedNanos;
  private final Path log;
  private final Thread stopHook;
  private boolean stopped;

  private ServerProcess(Process process, int httpPort, int clusterPort, long startedNanos, Path log) {
    this.process = process;
    this.pid = process.pid();
    this.httpPort = httpPort;
    this.clusterPort = clusterPort;
    this.startedNanos = startedNanos;
    this.log = log;
    this.stopHook = new Thread(this::stop, "stop-modelplane-" + pid);
    Runtime.getRuntime().addShutdownHook(stopHook);
  }

  static ServerProcess start(Path jar, Path dataDir, Path log, String operatorKey, String javaOpts,
      Map<String, String> extraEnv) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("no server jar at " + jar.toAbsolutePath()
          + "; build it with: mvn -B -q -o package -DskipTests");
    }
    Files.createDirectories(dataDir);
    int[] ports = freePorts(3);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (!javaOpts.isBlank()) {
      command.addAll(Arrays.asList(javaOpts.trim().split("\\s+")));
    }
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Map<String, String> env = builder.environment();
    env.put("MODELPLANE_HTTP_HOST", "127.0.0.1");
    env.put("MODELPLANE_HTTP_PORT", String.valueOf(ports[0]));
    env.put("MODELPLANE_CLUSTER_HOST", "127.0.0.1");
    env.put("MODELPLANE_CLUSTER_PORT", String.valueOf(ports[1]));
    env.put("MODELPLANE_GRPC_PORT", String.valueOf(ports[2]));
    env.put("MODELPLANE_DATA_DIR", dataDir.toAbsolutePath().toString());
    env.put("MODELPLANE_OPERATOR_KEY", operatorKey);
    env.put("MODELPLANE_DEMO", "false");
    env.put("MODELPLANE_WORKER_MEMORY_BYTES", String.valueOf(2L * 1024 * 1024 * 1024));
    // every connection of a benchmark comes from one address: 64 load connections plus the provisioning
    // client's would pass the default per-client limit of 64, and the extra one be closed at once
    env.put("MODELPLANE_HTTP_MAX_CONNECTIONS_PER_CLIENT", "4096");
    // a node of its own: never join whatever seed list the caller's environment names
    env.remove("MODELPLANE_SEED_NODES");
    env.remove("MODELPLANE_DB_URL");
    env.putAll(extraEnv);
    long startedNanos = System.nanoTime();
    ServerProcess server = new ServerProcess(builder.start(), ports[0], ports[1], startedNanos, log);
    String grpc = env.get("MODELPLANE_GRPC_PORT");
    server.grpcPort = grpc.matches("\\d+") ? Integer.parseInt(grpc) : -1;
    return server;
  }

  /** Akka remoting port: what a second node names in MODELPLANE_SEED_NODES. */
  int clusterPort() {
    return clusterPort;
  }

  /** Polls until ready and returns the time from starting the process to its first 200 of /v2/health/ready. */
  Duration startToReady(HttpClient http, Duration timeout) throws IOException, InterruptedException {
    awaitReadyPolling(http, timeout, 20);
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /** The server JVM's memory right after a full GC: live heap and resident set. */
  record Memory(long heapUsedBytes, long heapCommittedBytes, long rssBytes, String heapInfo) {}

  /**
   * Runs {@code jcmd <pid> GC.run} (a full collection) then {@code GC.heap_info}: the heap left is
   * what the node keeps live. RSS from /proc also counts metaspace, code cache, threads and native.
   */
  Memory memoryAfterGc() throws IOException, InterruptedException {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("total (\\d+)K, used (\\d+)K").matcher(info);
    long used = -1;
    long committed = -1;
    if (m.find()) {
      committed = Long.parseLong(m.group(1)) * 1024;
      used = Long.parseLong(m.group(2)) * 1024;
    }
    long rss = -1;
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return new Memory(used, committed, rss, info.strip());
  }

  /** Threads of the server process now (/proc). */
  int threads() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
      if (line.startsWith("Threads:")) {
        return Integer.parseInt(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** The output of {@code jcmd <pid> <command>}. */
  String jcmd(String command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " " + command + " failed: " + out);
    }
    return out;
  }

  long pid() {
    return pid;
  }

  int httpPort() {
    return httpPort;
  }

  /** The gRPC predict API's port (MODELPLANE_GRPC_PORT, unless the extra settings turned it off). */
  int grpcPort() {
    return grpcPort;
  }

  URI base() {
    return URI.create("http://127.0.0.1:" + httpPort);
  }

  /** Polls GET /v2/health/ready until 200, failing early (with the log's tail) if the process dies. */
  void awaitReady(HttpClient http, Duration timeout) throws IOException, InterruptedException {
    awaitReadyPolling(http, timeout, 250);
  }

  private void awaitReadyPolling(HttpClient http, Duration timeout, long pollMillis)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpRequest ready = HttpRequest.newBuilder(base().resolve("/v2/health/ready")).timeout(Duration.ofSeconds(5)).build();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the server (pid " + pid + ") exited with " + process.exitValue()
            + " before it was ready; last lines of " + log + ":\n" + tail(40));
      }
      try {
        HttpResponse<String> r = http.send(ready, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(pollMillis);
    }
    throw new IllegalStateException("the server (pid " + pid + ") was not ready within " + timeout.toSeconds() + " s ("
        + last + "); last lines of " + log + ":\n" + tail(40));
  }

  /** CPU time the server process has used so far (user + system), or -1 where /proc cannot tell. */
  long cpuNanos() {
    return processCpuNanos(String.valueOf(pid));
  }

  /** CPU time of process {@code pid} ("self" for this JVM) so far, or -1 where /proc cannot tell. */
  static long processCpuNanos(String pid) {
    try {
      return statCpuNanos(Files.readString(Path.of("/proc", pid, "stat")));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** CPU time the server's JIT compiler threads have used so far, or -1. */
  long jitCpuNanos() {
    return jitCpuNanos(String.valueOf(pid));
  }

  /** CPU time the JIT compiler threads (HotSpot's "C1/C2 CompilerThre…") of process {@code pid} have used, or -1. */
  static long jitCpuNanos(String pid) {
    try (var tasks = Files.list(Path.of("/proc", pid, "task"))) {
      long sum = 0;
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
            sum += statCpuNanos(stat);
          }
        } catch (IOException gone) {
          // a compiler thread that ended meanwhile (HotSpot adds and removes them with the queue)
        }
      }
      return sum;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Page faults process {@code pid} ("self" for this JVM) has taken so far (minor and major), or -1. */
  static long pageFaults(String pid) {
    try {
      String stat = Files.readString(Path.of("/proc", pid, "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // minflt (10) is index 7, majflt (12) index 9
      return Long.parseLong(fields[7]) + Long.parseLong(fields[9]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The calling thread's {@link #schedNanos(String, String)}, or null. */
  static long[] threadSchedNanos() {
    try {
      String[] sched = Files.readString(Path.of("/proc/thread-self/schedstat")).trim().split(" ");
      return new long[] {Long.parseLong(sched[0]), Long.parseLong(sched[1])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** {@link #schedNanos(String, String)} of the server's batch threads (the forward passes). */
  long[] batchThreadSchedNanos() {
    return schedNanos(String.valueOf(pid), "modelplane-batc");
  }

  /**
   * Of the threads of process {@code pid} whose kernel name starts with {@code prefix}: nanoseconds on a core and
   * nanoseconds runnable but waiting for one (the scheduler's {@code schedstat}), summed; null where /proc cannot
   * tell. The wait is what other threads of the machine took from them.
   */
  static long[] schedNanos(String pid, String prefix) {
    try (var tasks = Files.list(Path.of("/proc", pid, "task"))) {
      long run = 0;
      long wait = 0;
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          if (!stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith(prefix)) {
            continue;
          }
          String[] sched = Files.readString(task.resolve("schedstat")).trim().split(" ");
          run += Long.parseLong(sched[0]);
          wait += Long.parseLong(sched[1]);
        } catch (IOException gone) {
          // the thread ended meanwhile
        }
      }
      return new long[] {run, wait};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long statCpuNanos(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // after "pid (comm) ": field 3 (state) is index 0, utime (14) index 11, stime (15) index 12
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
  }

  /** CPU time every process of the machine has used so far (all but idle and iowait), or -1. */
  static long machineBusyNanos() {
    try {
      // "cpu  user nice system idle iowait irq softirq steal ..." in clock ticks
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) {
        if (i != 4 && i != 5) {
          busy += Long.parseLong(f[i]);
        }
      }
      return busy * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU time per thread group of the server so far: threads named alike (digits stripped, e.g. every
   * "GC Thread#n", every Akka dispatcher thread) summed. Names are the kernel's, at most 15 characters.
   */
  java.util.Map<String, Long> threadCpuNanos() {
    java.util.Map<String, Long> groups = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          long nanos = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
          groups.merge(name.replaceAll("[0-9]+", "#").replaceAll("-#$", ""), nanos, Long::sum);
        } catch (IOException | RuntimeException e) {
          // the thread ended in the meantime
        }
      }
    } catch (IOException | UncheckedIOException e) {
      return java.util.Map.of();
    }
    return groups;
  }

  /** The last {@code lines} lines of the server's log. */
  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(stopHook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook is running or ran
    }
  }

  /** TERM to the PID, KILL after the grace period; waits until the process is gone. */
  private synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      return;
    }
    handle.get().destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        handle.get().destroyForcibly();
        process.waitFor(STOP_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      handle.get().destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static int[] freePorts(int count) throws IOException {
    int[] ports = new int[count];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        // all held open together, so the ports differ; the OS rarely reuses them in the moment before the node binds
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }
}
