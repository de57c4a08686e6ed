package io.modelplane.app;

import io.modelplane.control.QuotaSources;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import io.modelplane.control.ArtifactSweep;
import io.modelplane.control.placement.DeploymentFeed;
import io.modelplane.control.placement.DesiredDeployments;
import io.modelplane.control.readside.ControlProjections;
import io.modelplane.control.readside.ReadSideDatabase;
import io.modelplane.api.Metrics;
import io.modelplane.inference.routing.InferenceGateway;
import io.modelplane.inference.routing.Router;
import io.modelplane.inference.runtime.Devices;
import io.modelplane.inference.runtime.ModelLoader;
import io.modelplane.common.PrivateFiles;
import io.modelplane.inference.runtime.ModelResidency;
import io.modelplane.inference.worker.WorkerActor;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.MemberStatus;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.persistence.jdbc.testkit.javadsl.SchemaUtils;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.modelplane.api.ApiSettings;
import io.modelplane.control.ControlPlane;
import io.modelplane.api.HttpApi;
import io.modelplane.identity.ApiKeyAuthenticator;
import io.modelplane.identity.Authenticator;
import io.modelplane.identity.CachedKeyLookup;
import io.modelplane.identity.KnownTenants;
import io.modelplane.api.ConnectionGuard;
import io.modelplane.api.FailedAuthentications;
import io.modelplane.identity.OperatorAuthenticator;
import io.modelplane.registry.ArtifactStore;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.metering.UsageMeter;
import io.modelplane.metering.UsageStore;
import io.modelplane.identity.Secrets;
import akka.Done;
import akka.actor.CoordinatedShutdown;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import io.modelplane.tenancy.admission.AdmissionLeases;
import io.modelplane.tenancy.admission.QuotaEntity;
import io.modelplane.control.changes.TenantChanges;
import io.modelplane.api.WorkerNodeApi;
import io.modelplane.control.KeyUsage;
import io.modelplane.control.IdentityProvisioning;
import io.modelplane.identity.keycloak.KeycloakProvisioner;
import io.modelplane.identity.token.CachedTenantAccess;
import io.modelplane.identity.token.JwksKeySource;
import io.modelplane.identity.token.KeycloakRealm;
import io.modelplane.identity.token.TokenAuthenticator;
import io.modelplane.identity.token.TokenVerifier;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a ModelPlane node: {@link #main} for the jar, {@link #init} for tests that start real nodes. */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  /**
   * A running node: its actor system, the address its HTTP API listens on, and what completes once
   * the system has terminated and everything the node opened is closed.
   */
  public record Node(ActorSystem<Void> system, InetSocketAddress httpAddress, CompletableFuture<Void> stopped) {
    public String baseUrl() {
      return "http://" + httpAddress.getHostString() + ":" + httpAddress.getPort();
    }

    /** Stops the node and waits until it has stopped. */
    public void stop() {
      system.terminate();
      stopped.join();
    }
  }

  private Main() {}

  public static void main(String[] args) {
    ensureCommonPool();
    try {
      Node node = init(ConfigFactory.parseMap(Map.of("akka.coordinated-shutdown.exit-jvm", "on")));
      log.info("ModelPlane is up on {}", node.baseUrl());
    } catch (RuntimeException e) {
      log.error("ModelPlane failed to start: {}", e.getMessage(), e);
      System.exit(1);
    }
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
    refuseCredentialsOnWorkerOnly(config, settings);
    secureDataDir(settings);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "modelplane", config);
    Teardown teardown = new Teardown();
    // last of all: files a library made since start (H2's trace file) are made owner-only too
    teardown.add(() -> secureDataDir(settings));
    CompletableFuture<Void> stopped = system.getWhenTerminated().toCompletableFuture().thenRun(teardown::run);
    try {
      if (config.getStringList("akka.cluster.seed-nodes").isEmpty()) {
        // no seed address is known before binding (port 0): this node founds its own cluster
        Cluster.get(system).manager().tell(new akka.cluster.typed.Join(Cluster.get(system).selfMember().address()));
      }
      if (settings.workerOnly()) {
        return startWorkerOnly(system, config, settings, teardown, stopped);
      }
      AtomicBoolean schemaReady = new AtomicBoolean(!settings.createSchema());
      if (settings.createSchema()) {
        SchemaUtils.createIfNotExists(system).toCompletableFuture().get(60, TimeUnit.SECONDS);
        secureDataDir(settings); // the H2 files it just created
        schemaReady.set(true);
      }
      TenantEntity.init(system);
      ModelEntity.init(system);

      ApiSettings apiSettings = ApiSettings.fromConfig(config);
      ControlPlane controlPlane = new ControlPlane(system, apiSettings.askTimeout(), apiSettings.readAttempts(),
          apiSettings.readJournalPluginId());
      // API keys first: they carry the predict traffic; the operator key is the rare case
      // a revoked key or suspended tenant is refused on every node at once (TenantChanges), at the
      // latest after this time-to-live
      CachedKeyLookup keys = new CachedKeyLookup(controlPlane::findApiKey, Duration.ofMillis(500));
      // keys of tenants that do not exist are refused without waking an entity
      KnownTenants knownTenants = new KnownTenants(controlPlane::tenantIds, Duration.ofSeconds(1));
      // a token's tenant must exist; a suspended one is refused (403) like its API keys, a revoked token (401)
      CachedTenantAccess tenantAccess = new CachedTenantAccess(controlPlane::tenantAccess);
      HttpApi.Usage usage = metering(system, settings, teardown);
      IdentityProvisioning provisioning = keycloak(system, config, settings, controlPlane, teardown);
      List<Authenticator> credentials = new java.util.ArrayList<>();
      // API keys first: they carry most predict traffic; then tokens; the operator key is the rare case
      KeyUsage keyUsage = new KeyUsage(controlPlane, Clock.systemUTC());
      Duration reportEvery = config.getDuration("modelplane.key-usage-report-interval");
      system.scheduler().scheduleWithFixedDelay(reportEvery, reportEvery, keyUsage::report, system.executionContext());
      credentials.add(new ApiKeyAuthenticator(knownTenants.guard(keys), keyUsage::used));
      if (provisioning != null) {
        credentials.add(tokens(teardown, config, provisioning.settings(), tenantAccess));
      }
      credentials.add(new OperatorAuthenticator(OperatorKey.hash(settings)));
      Authenticator authenticator = Authenticator.firstOf(credentials);
      QuotaEntity.init(system, new QuotaSources(controlPlane, usage.store(), usage.queries()));
      AdmissionLeases admission = admission(system);
      TenantChanges changes = new TenantChanges(system,
          List.of(knownTenants::add, keys::invalidate, tenantAccess::invalidate, admission::invalidate));
      Runnable readTenants = () -> knownTenants.reload().exceptionally(failure -> {
        log.warn("could not read the tenants from the journal: {}", failure.toString());
        return null;
      });
      readTenants.run();
      // heals a creation whose news this node missed (keys of such a tenant also trigger a read, once a second)
      Duration rereadTenants = config.getDuration("modelplane.http.tenants-reread-interval");
      system.scheduler().scheduleWithFixedDelay(rereadTenants, rereadTenants, readTenants, system.executionContext());
      ArtifactStore artifacts = new ArtifactStore(settings.dataDir().resolve("artifacts"), apiSettings.maxArtifactBytes());

      InferenceSettings inference = InferenceSettings.fromConfig(config);
      ReadSideDatabase readSide = ReadSideDatabase.open(settings.jdbcUrl(), settings.dbUser(), settings.dbPassword(), 4,
          settings.usesPostgres() ? UsageStore.POSTGRES_DURABLE_COMMITS : null);
      teardown.add(readSide::close);
      // placement and every node's caches follow the journal; an estimate past four worker budgets is no use
      // to count further: no worker can hold it
      DeploymentFeed deployments = DeploymentFeed.start(system, readSide, new DeploymentFeed.Settings(inference.loadTimeout(),
          new DesiredDeployments(artifacts, inference.queueCapacity(), 4 * inference.workerMemoryBytes()),
          settings.createSchema(), ControlProjections.Settings.defaults()), changes::changed);
      Metrics metrics = new Metrics();
      InferenceGateway gateway = null;
      if (settings.roles().contains("gateway")) {
        gateway = new InferenceGateway(system, inference.inferTimeout(), inference.coldStartTimeout());
        system.systemActorOf(Router.create(gateway), "router", Props.empty());
      }
      if (settings.roles().contains("worker")) {
        startWorkers(system, settings, inference, gateway, metrics, teardown);
      }
      Config edge = config.getConfig("modelplane.http");
      FailedAuthentications failures = new FailedAuthentications(edge.getDouble("failed-auth-per-second"),
          edge.getDouble("failed-auth-burst"));
      HttpApi api = new HttpApi(controlPlane, authenticator, artifacts, deployments, gateway, admission, changes, usage, provisioning, apiSettings, metrics,
          failures, () -> ready(system, schemaReady.get()));

      ServerBinding binding = new ConnectionGuard(ConnectionGuard.Settings.fromConfig(config))
          .bind(Http.get(system).newServerAt(settings.httpHost(), settings.httpPort()), api.route().flow(system),
              akka.stream.Materializer.matFromSystem(system))
          .toCompletableFuture().get(30, TimeUnit.SECONDS)
          .addToCoordinatedShutdown(Duration.ofSeconds(10), system);
      log.info("journal on {}, data in {}, roles {}",
          settings.usesPostgres() ? "PostgreSQL" : "H2", settings.dataDir(), settings.roles());
      if (config.getBoolean("modelplane.demo")) {
        new DemoTenant(controlPlane, artifacts, system).ensure()
            .thenCompose(done -> changes.changedHere(DemoTenant.TENANT))
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      if (provisioning != null) {
        IdentityProvisioning identity = provisioning;
        Duration every = config.getDuration("modelplane.keycloak.resync-interval");
        identity.start().thenRun(() -> system.scheduler().scheduleWithFixedDelay(every, every,
            identity::resync, system.executionContext()));
      }
      if (settings.roles().contains("control")) {
        ArtifactSweep sweep = new ArtifactSweep(controlPlane, artifacts, config.getDuration("modelplane.artifact-sweep.grace"),
            Clock.systemUTC(), system.dispatchers().lookup(akka.actor.typed.DispatcherSelector.blocking()));
        Duration every = config.getDuration("modelplane.artifact-sweep.interval");
        system.scheduler().scheduleWithFixedDelay(every, every, sweep::runAndLog, system.executionContext());
      }
      return new Node(system, binding.localAddress(), stopped);
    } catch (Exception e) {
      system.terminate();
      stopped.join();
      throw new IllegalStateException("node did not start: " + e.getMessage(), e);
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
      "modelplane.operator-key", "MODELPLANE_OPERATOR_KEY"));

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
      throw new IllegalStateException("worker-only nodes must not be given database credentials (nor the operator"
          + " key or Keycloak admin credentials): unset " + String.join(", ", given)
          + " on this node; only control and gateway nodes use them");
    }
  }

  /**
   * A node with the worker role only: its workers and a health endpoint. No journal, no usage store,
   * no schema, no API keys: entities live on control nodes and answer the readiness probe remotely.
   */
  private static Node startWorkerOnly(ActorSystem<Void> system, Config config, NodeSettings settings, Teardown teardown,
      CompletableFuture<Void> stopped) throws Exception {
    TenantEntity.init(system); // a proxy only (the region is on role control): the readiness probe asks through it
    InferenceSettings inference = InferenceSettings.fromConfig(config);
    startWorkers(system, settings, inference, null, new Metrics(), teardown);
    ServerBinding binding = Http.get(system).newServerAt(settings.httpHost(), settings.httpPort())
        .bind(new WorkerNodeApi(() -> ready(system, true)).route())
        .toCompletableFuture().get(30, TimeUnit.SECONDS)
        .addToCoordinatedShutdown(Duration.ofSeconds(10), system);
    log.info("worker-only node: no journal, no database; worker pool {}",
        inference.workerPool() == null ? "shared" : inference.workerPool());
    return new Node(system, binding.localAddress(), stopped);
  }

  /**
   * The node's usage meter (flushed every second, and once more in a graceful shutdown) over the
   * usage tables in the journal's database, plus two threads for the tables' blocking queries.
   */
  private static HttpApi.Usage metering(ActorSystem<?> system, NodeSettings settings, Teardown teardown) {
    UsageStore store = UsageStore.open(settings.jdbcUrl(), settings.dbUser(), settings.dbPassword());
    String host = Cluster.get(system).selfMember().address().hostPort();
    String writer = host.substring(0, Math.min(host.length(), 50)) + "-" + Secrets.randomHex(4);
    UsageMeter meter = new UsageMeter(store, writer, Duration.ofSeconds(1), Clock.systemUTC());
    meter.start();
    java.util.concurrent.ExecutorService queries = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "modelplane-usage-query");
      t.setDaemon(true);
      return t;
    });
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "flush-usage",
        () -> CompletableFuture.supplyAsync(() -> {
          meter.close();
          return Done.getInstance();
        }, queries));
    teardown.add(() -> {
      meter.abandon(); // after a graceful shutdown: already flushed and closed
      queries.shutdownNow();
      store.close();
    });
    return new HttpApi.Usage(meter, store, queries);
  }

  /** Keycloak mode (when {@code modelplane.keycloak.url} is set): the provisioning of tenants there; else null. */
  private static IdentityProvisioning keycloak(ActorSystem<?> system, Config config, NodeSettings settings,
      ControlPlane controlPlane, Teardown teardown) {
    Config kc = config.getConfig("modelplane.keycloak");
    if (kc.getString("url").isBlank()) {
      return null;
    }
    String publicUrl = kc.getString("public-url").isBlank()
        ? "http://" + settings.httpHost() + ":" + settings.httpPort() : kc.getString("public-url");
    KeycloakProvisioner keycloak = new KeycloakProvisioner(new KeycloakProvisioner.Settings(kc.getString("url"),
        kc.getString("realm"), kc.getString("admin-user"), kc.getString("admin-password"), publicUrl));
    java.util.concurrent.ExecutorService calls = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "modelplane-keycloak");
      t.setDaemon(true);
      return t;
    });
    teardown.add(() -> {
      calls.shutdownNow();
      keycloak.close();
    });
    log.info("Keycloak mode: realm {} at {}", kc.getString("realm"), kc.getString("url"));
    return new IdentityProvisioning(keycloak, controlPlane, calls);
  }

  /** Keycloak access tokens, verified locally against the realm's keys (fetched once, then cached). */
  private static Authenticator tokens(Teardown teardown, Config config, KeycloakProvisioner.Settings keycloak,
      CachedTenantAccess tenantAccess) {
    KeycloakRealm realm = new KeycloakRealm(keycloak.url(), keycloak.realm());
    JwksKeySource keys = new JwksKeySource(realm.jwksUri());
    teardown.add(keys::close);
    TokenVerifier verifier = new TokenVerifier(realm.issuer(), KeycloakProvisioner.AUDIENCE, keys, Clock.systemUTC(),
        config.getDuration("modelplane.keycloak.clock-skew"));
    return new TokenAuthenticator(verifier, tenantAccess);
  }

  /** This node's leases of the tenants' predict quotas, kept up every 250 ms. */
  private static AdmissionLeases admission(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    AdmissionLeases leases = new AdmissionLeases(Cluster.get(system).selfMember().address().toString(),
        (tenant, request) -> sharding.entityRefFor(QuotaEntity.ENTITY_KEY, tenant.value())
            .ask(request::apply, Duration.ofSeconds(1)),
        System::nanoTime);
    akka.actor.Cancellable ticks = system.scheduler().scheduleWithFixedDelay(Duration.ofMillis(250),
        Duration.ofMillis(250), leases::tick, system.executionContext());
    // once requests are done: no more exchanges with quota entities whose shards are being handed off
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "stop-admission-leases", () -> {
      ticks.cancel();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    return leases;
  }

  /** One worker actor per GPU, or one on the CPU, each with its own resident-model budget. */
  private static void startWorkers(ActorSystem<?> system, NodeSettings settings, InferenceSettings inference,
      InferenceGateway gateway, Metrics metrics, Teardown teardown) {
    List<ModelResidency> residencies = new java.util.ArrayList<>();
    int gpus = Devices.gpuCount();
    java.util.concurrent.ExecutorService loads = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "modelplane-model-load");
      t.setDaemon(true);
      return t;
    });
    teardown.add(loads::shutdownNow);
    ModelLoader loader = new ModelLoader(settings.dataDir().resolve("models"), inference.maxUnpackedBytes(),
        inference.maxUnpackedFiles(), gpus > 0 ? 0 : inference.engineThreads());
    for (int i = 0; i < Math.max(1, gpus); i++) {
      var device = Devices.pick(gpus, i);
      String id = Cluster.get(system).selfMember().address().hostPort() + "/" + device;
      ModelResidency residency = new ModelResidency(inference.workerMemoryBytes(), device, loader);
      ActorRef<WorkerActor.Command> worker = system.systemActorOf(
          WorkerActor.create(id, inference.workerPool(), residency, loads, inference.inferTimeout()), "worker-" + i,
          Props.empty());
      if (gateway != null) {
        gateway.registerLocal(worker, residency);
      }
      residencies.add(residency);
      log.info("worker {} on {} with a budget of {} bytes, pool {}", i, device, inference.workerMemoryBytes(),
          inference.workerPool() == null ? "shared" : inference.workerPool());
    }
    WorkerMetrics.register(metrics.registry(), residencies);
  }

  /**
   * The data directory and everything in it owner-only: directories 0700, files 0600, artifacts
   * 0400. What the node creates later gets these modes when created; libraries' files (H2) are
   * inside 0700 directories.
   */
  private static void secureDataDir(NodeSettings settings) {
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

  /** Ready when the schema exists, this node is an Up cluster member and an entity answers through the journal. */
  private static CompletionStage<Boolean> ready(ActorSystem<?> system, boolean schemaReady) {
    if (!schemaReady || Cluster.get(system).selfMember().status() != MemberStatus.up()) {
      return CompletableFuture.completedFuture(false);
    }
    // "_probe" is no valid tenant id, so the probe entity never holds data; its answer proves
    // that sharding routes and the journal recovers.
    return ClusterSharding.get(system).entityRefFor(TenantEntity.ENTITY_KEY, "_probe")
        .<TenantEntity.Reply>ask(TenantEntity.Get::new, Duration.ofSeconds(2))
        .thenApply(reply -> true);
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
