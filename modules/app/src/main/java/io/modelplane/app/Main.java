package io.modelplane.app;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.modelplane.api.tls.ServerTls;
import io.modelplane.common.PrivateFiles;
import io.modelplane.metering.UsageStore;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a ModelPlane node: {@link #main} for the jar, {@link #init} for tests that start real nodes. */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  /**
   * A running node: its actor system, the address its HTTP API listens on, and what completes once
   * the system has terminated and everything the node opened is closed.
   */
  public record Node(ActorSystem<?> system, InetSocketAddress httpAddress, boolean https,
      CompletableFuture<Void> stopped, InetSocketAddress grpcAddress) {
    public String baseUrl() {
      return Main.baseUrl(httpAddress, https);
    }

    /** Stops the node and waits until it has stopped. */
    public void stop() {
      system.terminate();
      stopped.join();
    }
  }

  /**
   * The URL of an HTTP API bound to {@code address}; a wildcard bind (0.0.0.0, ::) is named by the
   * loopback address, which reaches it from the node's own machine.
   */
  static String baseUrl(InetSocketAddress address) {
    return baseUrl(address, false);
  }

  static String baseUrl(InetSocketAddress address, boolean https) {
    String host = address.getAddress() != null && address.getAddress().isAnyLocalAddress()
        ? "127.0.0.1" : address.getHostString();
    return (https ? "https://" : "http://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** How long a node may take from start to serving: schema creation, binding, the demo tenant. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

  private Main() {}

  public static void main(String[] args) {
    ensureCommonPool();
    try {
      Node node = init(ConfigFactory.parseMap(Map.of("akka.coordinated-shutdown.exit-jvm", "on")));
      exitWhenLeft(node);
      log.info("ModelPlane is up on {}", node.baseUrl());
    } catch (RefusedSettingException e) {
      log.error("ModelPlane refuses to start: {}", e.getMessage());
      System.exit(1);
    } catch (RuntimeException e) {
      log.error("ModelPlane failed to start: {}", e.getMessage(), e);
      System.exit(1);
    }
  }

  /**
   * SIGTERM runs the graceful leave from the JVM's shutdown hook, where the process would then end with
   * 143: once the leave is complete it ends with 0 instead; one that overruns the shutdown timeout is cut
   * short with 1.
   */
  private static void exitWhenLeft(Node node) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(node.system());
    Duration timeout = node.system().settings().config().getDuration("modelplane.cluster.shutdown-timeout");
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "leave-deadline", () -> {
      Thread watchdog = new Thread(() -> {
        try {
          Thread.sleep(timeout.toMillis());
          log.error("the graceful leave did not finish within {} s (MODELPLANE_SHUTDOWN_TIMEOUT): exiting now",
              timeout.toSeconds());
          Runtime.getRuntime().halt(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "leave-deadline");
      watchdog.setDaemon(true);
      watchdog.start();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    // a hook of its own: Akka's returns once the system has terminated, before the node's teardown has run
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (shutdown.getShutdownReason().filter(reason -> !reason.equals(CoordinatedShutdown.jvmExitReason())).isPresent()) {
        // Akka itself called System.exit (the node was downed, or left on request): its thread waits for
        // this hook, and may be the one to run the teardown
        return;
      }
      try {
        node.stopped().get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        log.error("the node did not stop cleanly: {}", e.toString());
        Runtime.getRuntime().halt(1);
      }
      if (shutdown.getShutdownReason().filter(CoordinatedShutdown.jvmExitReason()::equals).isPresent()) {
        log.info("left the cluster; exiting");
        Runtime.getRuntime().halt(0);
      }
    }, "exit-when-left"));
  }

  /**
   * Akka's CompletionStages (Scala future converters) run every callback through the JDK common
   * pool; on a machine with 2 cores that pool has parallelism 1, and the JDK then starts a new thread
   * per callback. Give the pool real threads before anything touches it.
   */
  static void ensureCommonPool() {
    if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
      System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism",
          String.valueOf(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
  }

  /** Starts a node with {@code overrides} on top of application.conf and the environment. */
  public static Node init(Config overrides) {
    ensureCommonPool();
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true"); // DJL must never reach for the network
    }
    Config config = nodeConfig(overrides);
    NodeSettings settings = NodeSettings.fromConfig(config);
    ClusterSettings.fromConfig(config, settings).refuseAmbiguousDowning(settings);
    refuseCredentialsOnWorkerOnly(config, settings);
    OperatorKey.requireStrong(settings.operatorKey());
    NodeArtifacts.settings(config); // e.g. s3 without a bucket: refused before anything starts
    try {
      io.modelplane.api.grpc.GrpcServer.port(config.getString("modelplane.grpc.port"));
    } catch (IllegalArgumentException e) {
      throw new RefusedSettingException(e.getMessage());
    }
    NodeTls tls = NodeTls.fromConfig(config);
    ServerTls httpTls = tls.loadHttp(); // a missing or broken certificate stops the start here
    tls.warnIfPlainAndReachable(settings.roles().contains("gateway"), settings.httpHost(), settings.clusterHost());
    secureDataDir(settings);
    Teardown teardown = new Teardown();
    // last of all: files a library made since start (H2's trace file) are made owner-only too
    teardown.add(() -> secureDataDir(settings));
    NodeTracing.install(teardown);
    CompletableFuture<InetSocketAddress> serving = new CompletableFuture<>();
    var grpcAddress = new java.util.concurrent.atomic.AtomicReference<InetSocketAddress>();
    ActorSystem<Guardian.Command> system = ActorSystem.create(
        Guardian.create(config, settings, tls, httpTls, teardown, serving, grpcAddress), "modelplane", config);
    CompletableFuture<Void> stopped = system.getWhenTerminated().toCompletableFuture().thenRun(teardown::run);
    try {
      // schema creation, binding and the demo tenant each have their own limits; this one is the backstop
      InetSocketAddress address = serving.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return new Node(system, address, httpTls != null, stopped, grpcAddress.get());
    } catch (Exception e) {
      system.terminate();
      stopped.join();
      Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("node did not start: " + cause.getMessage(), cause);
    }
  }

  /** Environment variables of the credentials a worker-only node must not be given, by config path. */
  private static final Map<String, String> CONTROL_PLANE_CREDENTIALS = new java.util.LinkedHashMap<>(Map.of(
      "modelplane.db.url", "MODELPLANE_DB_URL",
      "modelplane.db.user", "MODELPLANE_DB_USER",
      "modelplane.db.password", "MODELPLANE_DB_PASSWORD",
      "modelplane.keycloak.admin-user", "MODELPLANE_KEYCLOAK_ADMIN_USER",
      "modelplane.keycloak.admin-password", "MODELPLANE_KEYCLOAK_ADMIN_PASSWORD",
      // the platform's own admin credential: a worker-only node serves no API that would check it
      "modelplane.operator-key", "MODELPLANE_OPERATOR_KEY",
      // workers get each tenant's data key with the load from placement, never the key that unwraps them all
      "modelplane.keys.kek", "MODELPLANE_KEK",
      "modelplane.keys.kek-file", "MODELPLANE_KEK_FILE"));

  /**
   * A worker-only node runs tenants' models: a model that escaped its sandbox must find no credential
   * there. Refuse to start rather than silently ignore one, so that operators stop handing them out.
   */
  static void refuseCredentialsOnWorkerOnly(Config config, NodeSettings settings) {
    if (!settings.workerOnly()) {
      return;
    }
    List<String> given = CONTROL_PLANE_CREDENTIALS.entrySet().stream()
        .filter(e -> !config.getString(e.getKey()).isBlank())
        .map(Map.Entry::getValue)
        .sorted()
        .toList();
    if (!given.isEmpty()) {
      throw new RefusedSettingException("worker-only nodes must not be given database credentials (nor the operator"
          + " key, Keycloak admin credentials or key-encryption keys): unset " + String.join(", ", given)
          + " on this node; only control and gateway nodes use them");
    }
  }

  /**
   * The data directory and everything in it owner-only: directories 0700, files 0600, artifacts
   * 0400. What the node creates later gets these modes when created; libraries' files (H2) are
   * inside 0700 directories.
   */
  static void secureDataDir(NodeSettings settings) {
    try {
      PrivateFiles.directory(settings.dataDir());
      if (!settings.usesPostgres() && !settings.workerOnly()) { // a worker-only node has no journal
        PrivateFiles.directory(settings.dataDir().resolve("journal"));
      }
      PrivateFiles.tighten(settings.dataDir());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot make the data directory " + settings.dataDir() + " private", e);
    }
  }

  /** application.conf + overrides, plus what is derived from modelplane.*: remoting, seeds, roles, database. */
  static Config nodeConfig(Config overrides) {
    Config base = ConfigFactory.load(overrides.withFallback(ConfigFactory.parseResources("application.conf")));
    NodeSettings s = NodeSettings.fromConfig(base);
    Map<String, Object> derived = new HashMap<>();
    derived.put("akka.remote.artery.canonical.hostname", s.clusterHost());
    derived.put("akka.remote.artery.canonical.port", s.clusterPort());
    // port 0 (tests) has no address to name as seed: Main.init then joins the node to itself
    List<String> seeds = !s.seedNodes().isEmpty() ? s.seedNodes()
        : s.clusterPort() == 0 ? List.of()
        : List.of(s.clusterHost() + ":" + s.clusterPort());
    if (!overrides.hasPath("akka.cluster.seed-nodes")) {
      derived.put("akka.cluster.seed-nodes", seeds.stream()
          .map(hp -> hp.startsWith("akka://") ? hp : "akka://modelplane@" + hp).toList());
    }
    derived.put("akka.cluster.roles", s.roles());
    derived.putAll(ClusterSettings.fromConfig(base, s).akkaSettings());
    NodeTls tls = NodeTls.fromConfig(base);
    derived.putAll(tls.akkaSettings());
    if (tls.http2()) {
      derived.put("akka.http.server.enable-http2", "on");
    }
    String db = "akka-persistence-jdbc.shared-databases.slick.";
    // a worker-only node gets no database at all: anything that reached for the journal there would fail
    derived.put(db + "db.url", s.workerOnly() ? "" : s.jdbcUrl());
    derived.put(db + "db.user", s.dbUser());
    derived.put(db + "db.password", s.dbPassword());
    if (s.usesPostgres()) {
      derived.put(db + "profile", "slick.jdbc.PostgresProfile$");
      derived.put(db + "db.driver", "org.postgresql.Driver");
      derived.put(db + "db.connectionInitSql", UsageStore.POSTGRES_DURABLE_COMMITS);
      derived.put("akka.projection.jdbc.dialect", "postgres-dialect");
    }
    return ConfigFactory.parseMap(derived).withFallback(base);
  }
}
