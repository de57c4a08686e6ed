package io.modelplane.identity.keycloak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real Keycloak server for integration tests: started from the cached, pre-built distribution
 * ({@link KeycloakDistribution}) on free loopback ports, with its own data, ended by PID.
 *
 * <pre>{@code
 * try (KeycloakTestServer keycloak = KeycloakTestServer.builder().build().start()) {
 *   String token = keycloak.adminAccessToken();
 *   ... keycloak.baseUrl() ...
 *   keycloak.stop();   // an outage: nothing listens on baseUrl()
 *   keycloak.start();  // back, same ports, same realms
 * }
 * }</pre>
 *
 * <p>Each instance has a home of its own (a copy of {@code bin/kc.sh}, symbolic links to the cached
 * {@code lib}, {@code conf}, {@code providers}, {@code themes}, and its own {@code data/} with the H2
 * database), so concurrent servers never share realms. {@link #close()} deletes that home.
 */
public final class KeycloakTestServer implements AutoCloseable {

  private static final System.Logger log = System.getLogger(KeycloakTestServer.class.getName());
  private static final ObjectMapper json = new ObjectMapper();
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration POLL_INTERVAL = Duration.ofMillis(500);

  private final String adminUser;
  private final String adminPassword;
  private final Path logDir;
  private final Duration readyTimeout;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Thread shutdownHook = new Thread(this::endProcessesQuietly, "keycloak-test-server-shutdown");

  // set on the first start and kept for restarts: same ports, same data
  private KeycloakDistribution distribution;
  private Path home;
  private int httpPort;
  private int managementPort;
  private Path logFile;

  private Process script; // kc.sh, which runs the server JVM as its child
  private ProcessHandle server;
  private boolean hookInstalled;
  private Duration lastStartDuration = Duration.ZERO;

  private KeycloakTestServer(Builder builder) {
    this.adminUser = builder.adminUser;
    this.adminPassword = builder.adminPassword != null ? builder.adminPassword : randomPassword();
    this.logDir = builder.logDir;
    this.readyTimeout = builder.readyTimeout;
  }

  /** Settings for a server; {@link Builder#build()} starts nothing. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the server and waits until {@code /health/ready} answers 200. The first call picks two free
   * loopback ports and creates the data; later calls (after {@link #stop()}) reuse both.
   *
   * @return this server
   * @throws IllegalStateException if it is already running, or not ready within the timeout (the
   *     message carries the end of its log; the process is ended)
   */
  public synchronized KeycloakTestServer start() {
    if (isRunning()) {
      throw new IllegalStateException("Keycloak already running as PID " + pid());
    }
    Instant began = Instant.now();
    try {
      if (home == null) {
        distribution = KeycloakDistribution.prepare();
        home = createHome(distribution.home());
        int[] ports = freePorts(2);
        httpPort = ports[0];
        managementPort = ports[1];
        Files.createDirectories(logDir);
        logFile = logDir.resolve("keycloak-" + httpPort + ".log");
      }
      if (!hookInstalled) {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        hookInstalled = true;
      }
      Files.writeString(logFile, "=== start " + Instant.now() + " ===\n",
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      ProcessBuilder pb = new ProcessBuilder(startCommand())
          .directory(home.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      cleanEnvironment(pb.environment());
      pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", adminUser);
      pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
      script = pb.start();
      script.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start Keycloak", e);
    }
    awaitReady();
    lastStartDuration = Duration.between(began, Instant.now());
    log.log(System.Logger.Level.INFO, "Keycloak ready at {0} (PID {1}) in {2} ms",
        baseUrl(), String.valueOf(pid()), String.valueOf(lastStartDuration.toMillis()));
    return this;
  }

  /**
   * Ends the server and the processes it started (by PID: SIGTERM, SIGKILL after 30 s) and waits until
   * they are gone. Ports and data are kept for {@link #start()}. Does nothing if not running.
   */
  public synchronized void stop() {
    if (script == null) {
      return;
    }
    endTree(script.toHandle(), STOP_TIMEOUT);
    script = null;
    server = null;
  }

  /** Stops the server and deletes its data. */
  @Override
  public synchronized void close() {
    stop();
    if (hookInstalled) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or about to: nothing to undo
      }
      hookInstalled = false;
    }
    if (home != null) {
      try {
        KeycloakDistribution.deleteTree(home);
      } catch (IOException e) {
        log.log(System.Logger.Level.WARNING, "could not delete " + home, e);
      }
    }
  }

  /** {@code http://127.0.0.1:<port>}, without a trailing slash. Known after the first start. */
  public String baseUrl() {
    requireStartedOnce();
    return "http://127.0.0.1:" + httpPort;
  }

  /** {@code <baseUrl>/realms/<realm>}, the issuer of that realm's tokens. */
  public String realmUrl(String realm) {
    return baseUrl() + "/realms/" + realm;
  }

  /** {@code http://127.0.0.1:<management port>}, where {@code /health/ready} is. */
  public String managementUrl() {
    requireStartedOnce();
    return "http://127.0.0.1:" + managementPort;
  }

  public int httpPort() {
    requireStartedOnce();
    return httpPort;
  }

  public int managementPort() {
    requireStartedOnce();
    return managementPort;
  }

  /** The bootstrap admin of the master realm. */
  public String adminUser() {
    return adminUser;
  }

  public String adminPassword() {
    return adminPassword;
  }

  /**
   * The PID of the Keycloak server JVM.
   *
   * @throws IllegalStateException if not running
   */
  public synchronized long pid() {
    if (!isRunning()) {
      throw new IllegalStateException("Keycloak is not running");
    }
    return server.pid();
  }

  public synchronized boolean isRunning() {
    return script != null && script.isAlive();
  }

  /** The server's stdout and stderr, appended by every start (under target/ by default). */
  public Path logFile() {
    requireStartedOnce();
    return logFile;
  }

  /** How long the last {@link #start()} took, including preparing the distribution if it did. */
  public Duration lastStartDuration() {
    return lastStartDuration;
  }

  /** The distribution this server runs; its {@link KeycloakDistribution#preparedIn()} tells if the first start built it. */
  public KeycloakDistribution distribution() {
    requireStartedOnce();
    return distribution;
  }

  /** A fresh access token of the bootstrap admin (master realm, client {@code admin-cli}, password grant). */
  public String adminAccessToken() {
    String form = "grant_type=password&client_id=admin-cli"
        + "&username=" + URLEncoder.encode(adminUser, StandardCharsets.UTF_8)
        + "&password=" + URLEncoder.encode(adminPassword, StandardCharsets.UTF_8);
    HttpRequest request = HttpRequest.newBuilder(URI.create(realmUrl("master") + "/protocol/openid-connect/token"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form))
        .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("admin token request answered " + response.statusCode() + ": " + response.body());
      }
      JsonNode body = json.readTree(response.body());
      return body.path("access_token").asText();
    } catch (IOException e) {
      throw new UncheckedIOException("admin token request failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private List<String> startCommand() {
    return List.of("/bin/sh", home.resolve("bin/kc.sh").toString(),
        "start", "--optimized",
        // a single node: without it Infinispan looks for a cluster on the network
        "--cache=local",
        "--http-enabled=true",
        "--http-host=127.0.0.1",
        "--http-port=" + httpPort,
        "--http-management-port=" + managementPort,
        "--http-management-host=127.0.0.1",
        "--hostname-strict=false");
  }

  private void awaitReady() {
    Instant deadline = Instant.now().plus(readyTimeout);
    HttpRequest ready = HttpRequest.newBuilder(URI.create(managementUrl() + "/health/ready"))
        .timeout(Duration.ofSeconds(2))
        .build();
    while (true) {
      if (!script.isAlive()) {
        String tail = tail(logFile, 40);
        int exit = script.exitValue();
        stop();
        throw new IllegalStateException("Keycloak exited with code " + exit + " before it was ready; "
            + logFile + " ends with:\n" + tail);
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          server = serverProcess();
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        stop();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Keycloak", e);
      }
      if (Instant.now().isAfter(deadline)) {
        String tail = tail(logFile, 40);
        stop();
        throw new IllegalStateException("Keycloak not ready within " + readyTimeout + " at " + managementUrl()
            + "/health/ready; " + logFile + " ends with:\n" + tail);
      }
      try {
        Thread.sleep(POLL_INTERVAL.toMillis());
      } catch (InterruptedException e) {
        stop();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Keycloak", e);
      }
    }
  }

  /** kc.sh runs java as a child and waits for it (after re-augmentation it would exec java itself). */
  private ProcessHandle serverProcess() {
    return script.toHandle().children()
        .filter(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false))
        .findFirst()
        .orElse(script.toHandle());
  }

  private void requireStartedOnce() {
    if (home == null) {
      throw new IllegalStateException("Keycloak has not been started yet");
    }
  }

  private void endProcessesQuietly() {
    Process running = script;
    if (running != null) {
      endTree(running.toHandle(), Duration.ofSeconds(10));
    }
  }

  private static Path createHome(Path distributionHome) throws IOException {
    Path home = Files.createTempDirectory("modelplane-keycloak-");
    Files.createDirectories(home.resolve("bin"));
    Files.createDirectories(home.resolve("data"));
    // kc.sh takes its home from its own resolved path: a copy, not a link
    Path script = home.resolve("bin/kc.sh");
    Files.copy(distributionHome.resolve("bin/kc.sh"), script);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (String dir : List.of("lib", "conf", "providers", "themes")) {
      Files.createSymbolicLink(home.resolve(dir), distributionHome.resolve(dir));
    }
    return home;
  }

  /** Ends {@code root} and every process below it: SIGTERM, then SIGKILL after {@code timeout}. */
  static void endTree(ProcessHandle root, Duration timeout) {
    // collected before signalling: once kc.sh is gone its java child is no longer its descendant
    List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
    tree.add(root);
    tree.forEach(ProcessHandle::destroy);
    Instant deadline = Instant.now().plus(timeout);
    for (ProcessHandle p : tree) {
      long left = Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
      try {
        p.onExit().get(left, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        log.log(System.Logger.Level.WARNING, "PID {0} did not end on SIGTERM: killing it", String.valueOf(p.pid()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (ExecutionException e) {
        // cannot happen for onExit
      }
    }
    for (ProcessHandle p : tree) {
      if (p.isAlive()) {
        p.destroyForcibly();
        try {
          p.onExit().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
          log.log(System.Logger.Level.WARNING, "PID {0} still alive after SIGKILL", String.valueOf(p.pid()));
        }
      }
    }
  }

  /** The test JVM's environment minus what kc.sh would read as server settings; java is this JDK. */
  static void cleanEnvironment(Map<String, String> env) {
    env.keySet().removeIf(k -> k.startsWith("KC_") || k.startsWith("QUARKUS_") || k.startsWith("JAVA_OPTS")
        || List.of("JAVA", "JAVA_ADD_OPENS", "JAVA_LOCALE", "DEBUG", "DEBUG_PORT", "DEBUG_SUSPEND", "PRINT_ENV")
            .contains(k));
    env.put("JAVA_HOME", System.getProperty("java.home"));
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(could not read " + file + ": " + e + ")";
    }
  }

  private static int[] freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  private static String randomPassword() {
    byte[] bytes = new byte[12];
    new SecureRandom().nextBytes(bytes);
    return "kc-" + HexFormat.of().formatHex(bytes);
  }

  /** Settings of a {@link KeycloakTestServer}. */
  public static final class Builder {
    private String adminUser = "admin";
    private String adminPassword;
    private Path logDir = Path.of(System.getProperty("user.dir"), "target", "keycloak");
    private Duration readyTimeout = Duration.ofSeconds(120);

    private Builder() {
    }

    /** Bootstrap admin user name; default {@code admin}. */
    public Builder optAdminUser(String adminUser) {
      this.adminUser = adminUser;
      return this;
    }

    /** Bootstrap admin password; default a random one. */
    public Builder optAdminPassword(String adminPassword) {
      this.adminPassword = adminPassword;
      return this;
    }

    /** Where the server log goes; default {@code target/keycloak} of the working directory (the module). */
    public Builder optLogDir(Path logDir) {
      this.logDir = logDir;
      return this;
    }

    /** How long {@link KeycloakTestServer#start()} waits for readiness; default 120 s (not counting the one-time build). */
    public Builder optReadyTimeout(Duration readyTimeout) {
      this.readyTimeout = readyTimeout;
      return this;
    }

    public KeycloakTestServer build() {
      return new KeycloakTestServer(this);
    }
  }
}
