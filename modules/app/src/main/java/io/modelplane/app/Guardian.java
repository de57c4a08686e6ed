package io.modelplane.app;

import ai.djl.Device;
import akka.Done;
import akka.actor.Address;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.ClusterSingletonSettings;
import akka.cluster.typed.Join;
import akka.cluster.typed.SingletonActor;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.ServerBuilder;
import akka.http.javadsl.server.Route;
import akka.management.cluster.bootstrap.ClusterBootstrap;
import akka.management.javadsl.AkkaManagement;
import akka.persistence.jdbc.testkit.javadsl.SchemaUtils;
import akka.stream.Materializer;
import com.typesafe.config.Config;
import io.modelplane.api.ApiSettings;
import io.modelplane.api.ConnectionGuard;
import io.modelplane.api.FailedAuthentications;
import io.modelplane.api.HttpApi;
import io.modelplane.api.Metrics;
import io.modelplane.api.WorkerNodeApi;
import io.modelplane.api.grpc.GrpcServer;
import io.modelplane.api.grpc.InferenceService;
import io.modelplane.api.predict.PredictRoutes;
import io.modelplane.api.tls.ServerTls;
import io.modelplane.common.tls.OutgoingTrust;
import io.modelplane.control.readside.JournalTagBackfill;
import io.modelplane.control.readside.ReadSide;
import io.modelplane.control.ArtifactOrigin;
import io.modelplane.control.ArtifactSweep;
import io.modelplane.control.keys.DataKeyLedger;
import io.modelplane.control.keys.StoredTenantKeys;
import io.modelplane.control.ControlPlane;
import io.modelplane.control.placement.DeploymentFeed;
import io.modelplane.control.placement.DesiredDeployments;
import io.modelplane.control.readside.ControlProjections;
import io.modelplane.control.IdentityProvisioning;
import io.modelplane.control.KeyUsage;
import io.modelplane.control.NodeInfo;
import io.modelplane.control.NodeResources;
import io.modelplane.control.QuotaSources;
import io.modelplane.tenancy.plan.PlanEntity;
import io.modelplane.control.changes.TenantChanges;
import io.modelplane.identity.ApiKeyAuthenticator;
import io.modelplane.identity.Authenticator;
import io.modelplane.identity.CachedKeyLookup;
import io.modelplane.identity.KnownTenants;
import io.modelplane.identity.OperatorAuthenticator;
import io.modelplane.identity.Secrets;
import io.modelplane.identity.keycloak.KeycloakProvisioner;
import io.modelplane.identity.token.CachedTenantAccess;
import io.modelplane.identity.token.JwksKeySource;
import io.modelplane.identity.token.KeycloakRealm;
import io.modelplane.identity.token.TokenAuthenticator;
import io.modelplane.identity.token.TokenVerifier;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.gateway.InferenceGateway;
import io.modelplane.inference.gateway.PredictPipeline;
import io.modelplane.inference.gateway.PredictTracing;
import io.modelplane.inference.gateway.Router;
import io.modelplane.inference.runtime.Devices;
import io.modelplane.inference.runtime.ModelLoader;
import io.modelplane.inference.runtime.ModelResidency;
import io.modelplane.inference.worker.ArtifactCache;
import io.modelplane.inference.worker.WorkerActor;
import io.modelplane.metering.ResidentSampler;
import io.modelplane.metering.UsageMeter;
import io.modelplane.metering.UsageStore;
import io.modelplane.registry.ArtifactStore;
import io.modelplane.registry.TenantArtifacts;
import io.modelplane.registry.crypto.LocalKeySource;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.admission.AdmissionLeases;
import io.modelplane.tenancy.admission.QuotaEntity;
import io.opentelemetry.api.GlobalOpenTelemetry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root actor of a node: starts the node's parts by its roles and completes {@code serving} with
 * the HTTP address once the node serves. {@code control} nodes host the entities, the projections and
 * the coordinators (placement, artifact sweep); {@code gateway} nodes serve the HTTP API (others only
 * the health endpoints); {@code worker} nodes run the workers.
 */
final class Guardian {
  private static final Logger log = LoggerFactory.getLogger(Guardian.class);

  /** The guardian's own steps through start-up. */
  sealed interface Command {}

  private record SchemaCreated() implements Command {}

  private record Bound(ServerBinding binding) implements Command {}

  private record Served(InetSocketAddress address) implements Command {}

  private record StartFailed(Throwable cause) implements Command {}

  private record ManagementStarted() implements Command {}

  /** What control and gateway nodes share: the way to the entities and the stores next to the journal. */
  private record Services(ControlPlane controlPlane, ReadSide readSide, HttpApi.Usage usage, TenantArtifacts artifacts,
      IdentityProvisioning provisioning, DeploymentFeed deployments, TenantChanges changes) {}

  private final ActorContext<Command> ctx;
  private final ActorSystem<Void> system;
  private final Config config;
  private final NodeSettings settings;
  private final InferenceSettings inference;
  private final Teardown teardown;
  private final NodeTls tls;
  /** The HTTP API's certificate; null: plain HTTP. */
  private final ServerTls httpTls;
  private final OutgoingTrust outgoingTrust;
  private final CompletableFuture<InetSocketAddress> serving;
  /** Where the gRPC predict API listens once bound; stays null when it is off or the node is no gateway. */
  private final java.util.concurrent.atomic.AtomicReference<InetSocketAddress> grpcAddress;
  /** Set on gateway nodes: the gRPC predict API, served once HTTP is bound (unless its port is off). */
  private InferenceService grpcService;
  private final Metrics metrics = new Metrics();
  // the devices of this node's workers (empty until they start, and on nodes without the worker role)
  private volatile List<Device> workerDevices = List.of();
  private ArtifactStore artifacts;
  private ArtifactCache artifactCache;
  private final ClusterSettings cluster;
  private final GracefulLeave leave;
  /** Set on gateway nodes in demo mode: creates the demo tenant once the node serves at the given address. */
  private Function<InetSocketAddress, CompletionStage<Void>> demo;

  private Guardian(ActorContext<Command> ctx, Config config, NodeSettings settings, NodeTls tls, ServerTls httpTls,
      Teardown teardown, CompletableFuture<InetSocketAddress> serving,
      java.util.concurrent.atomic.AtomicReference<InetSocketAddress> grpcAddress) {
    this.ctx = ctx;
    this.system = ctx.getSystem();
    this.config = config;
    this.settings = settings;
    this.inference = InferenceSettings.fromConfig(config);
    this.teardown = teardown;
    this.tls = tls;
    this.httpTls = httpTls;
    this.outgoingTrust = tls.outgoingTrust();
    this.serving = serving;
    this.grpcAddress = grpcAddress;
    this.cluster = ClusterSettings.fromConfig(config, settings);
    this.leave = new GracefulLeave(system, cluster.shutdownTimeout());
  }

  static Behavior<Command> create(Config config, NodeSettings settings, NodeTls tls, ServerTls httpTls,
      Teardown teardown, CompletableFuture<InetSocketAddress> serving,
      java.util.concurrent.atomic.AtomicReference<InetSocketAddress> grpcAddress) {
    return Behaviors.setup(ctx -> new Guardian(ctx, config, settings, tls, httpTls, teardown, serving, grpcAddress)
        .start());
  }

  private Behavior<Command> start() {
    try {
      startManagement();
    } catch (RuntimeException e) {
      ctx.getSelf().tell(new StartFailed(e));
    }
    if (!settings.workerOnly() && settings.createSchema()) {
      ctx.pipeToSelf(SchemaUtils.createIfNotExists(system), (done, failure) ->
          failure == null ? new SchemaCreated() : new StartFailed(failure));
    } else {
      ctx.getSelf().tell(new SchemaCreated());
    }
    return Behaviors.receive(Command.class)
        .onMessage(SchemaCreated.class, created -> startParts())
        .onMessage(Bound.class, this::onBound)
        .onMessage(Served.class, served -> {
          NodeReadiness.get(system).started();
          serving.complete(served.address());
          return Behaviors.same();
        })
        .onMessage(ManagementStarted.class, started -> Behaviors.same())
        .onMessage(StartFailed.class, failed -> {
          serving.completeExceptionally(failed.cause());
          return Behaviors.stopped(); // the system terminates with its guardian
        })
        .build();
  }

  /**
   * Akka Management (health, members, and the contact point Cluster Bootstrap probes), then joining: by
   * Cluster Bootstrap, the static seed list, or (no seed: port 0 in tests) founding its own cluster.
   */
  private void startManagement() {
    akka.actor.ActorSystem classic = akka.actor.typed.javadsl.Adapter.toClassic(system);
    ctx.pipeToSelf(AkkaManagement.get(classic).start(), (uri, failure) -> {
      if (failure != null) {
        return new StartFailed(new IllegalStateException("Akka Management could not bind "
            + cluster.managementHost() + ":" + cluster.managementPort() + ": " + failure.getMessage(), failure));
      }
      log.info("Akka Management on {}", uri);
      return new ManagementStarted();
    });
    if (cluster.discovery() == ClusterSettings.Discovery.KUBERNETES_API) {
      log.info("joining by Cluster Bootstrap: pods labelled app.kubernetes.io/name={}, at least {} before a new cluster",
          cluster.bootstrapServiceName(), cluster.bootstrapRequiredContacts());
      ClusterBootstrap.get(classic).start();
    } else if (config.getStringList("akka.cluster.seed-nodes").isEmpty()) {
      Cluster self = Cluster.get(system);
      self.manager().tell(new Join(self.selfMember().address()));
    }
  }

  private Behavior<Command> startParts() {
    try {
      Main.secureDataDir(settings); // the H2 files the schema creation just made
      if (settings.roles().contains("control")) {
        // before any projection starts: events journaled before slice tags get their tags (once; idempotent)
        JournalTagBackfill.run(settings.jdbcUrl(), settings.dbUser(), settings.dbPassword());
      }
      startEntities();
      Route route;
      NodeReadiness readiness = NodeReadiness.get(system);
      if (settings.workerOnly()) {
        startWorkers(null);
        route = healthOnly();
      } else {
        readiness.add(this::journalAnswers);
        Services services = startServices();
        readiness.add(() -> databaseAnswers(services.readSide()));
        if (settings.roles().contains("control")) {
          startControl(services);
          readiness.add(caughtUpOnce(services.readSide()));
        }
        InferenceGateway gateway = settings.roles().contains("gateway") ? startInferenceGateway() : null;
        if (gateway != null) {
          // until placement's first table arrives, no deployed model has a route on this node
          readiness.add(() -> CompletableFuture.completedFuture(gateway.hasTable()));
        }
        if (settings.roles().contains("worker")) {
          startWorkers(gateway);
        }
        route = gateway != null ? startGatewayRoutes(services, gateway) : healthOnly();
      }
      bind(route);
    } catch (RuntimeException e) {
      ctx.getSelf().tell(new StartFailed(e));
    }
    return Behaviors.same();
  }

  /** Every node: the shard regions of the entities, hosting them on control nodes and proxies elsewhere. */
  private void startEntities() {
    TenantEntity.init(system); // a proxy off control nodes: the readiness probe asks through it
    ModelEntity.init(system);
    PlanEntity.init(system);
    DataKeyLedger.init(system);
    NodeResources resources = new NodeResources(settings.dataDir(), () -> NodeMetrics.gpuMemory(workerDevices),
        Clock.systemUTC());
    Duration sampleEvery = config.getDuration("modelplane.node-sample-interval");
    if (sampleEvery.toMillis() < 100) {
      throw new RefusedSettingException("MODELPLANE_NODE_SAMPLE_INTERVAL (modelplane.node-sample-interval) must be at"
          + " least 100ms, was " + sampleEvery);
    }
    system.systemActorOf(NodeInfo.create(resources, sampleEvery, dispatcher("blocking-io")), "node-info", Props.empty());
    NodeMetrics.register(metrics.registry(), settings.dataDir(), () -> workerDevices);
  }

  /** The artifact store of {@code modelplane.artifacts}, made once (workers download from it too), closed with the node. */
  private ArtifactStore artifacts() {
    if (artifacts == null) {
      artifacts = NodeArtifacts.settings(config).open(settings.dataDir(), ApiSettings.fromConfig(config).maxArtifactBytes(),
          !settings.workerOnly(), outgoingTrust);
      teardown.add(artifacts::close);
    }
    return artifacts;
  }

  /** This node's copies of artifacts by sha256 (workers load from it, placement sizes from it), made once. */
  private ArtifactCache artifactCache() {
    if (artifactCache == null) {
      artifactCache = new ArtifactCache(settings.dataDir().resolve("artifact-cache"),
          NodeArtifacts.settings(config).cacheBytes(), new ArtifactOrigin(artifacts()));
    }
    return artifactCache;
  }

  /** Control and gateway nodes: the entities' door, the usage tables, the artifacts, Keycloak, placement. */
  private Services startServices() {
    ApiSettings api = ApiSettings.fromConfig(config);
    ControlPlane controlPlane = new ControlPlane(system, api.askTimeout(), api.readAttempts());
    // the read tables; on control nodes also the projection that writes them
    ReadSide readSide = ReadSide.start(system, settings.jdbcUrl(), settings.dbUser(), settings.dbPassword(),
        settings.usesPostgres() ? UsageStore.POSTGRES_DURABLE_COMMITS : null, settings.roles().contains("control"));
    teardown.add(readSide::close);
    HttpApi.Usage usage = metering();
    IdentityProvisioning provisioning = keycloak(controlPlane, readSide);
    QuotaEntity.init(system, new QuotaSources(controlPlane, usage.store(), usage.queries()));
    if (settings.createSchema() && settings.roles().contains("control")) {
      StoredTenantKeys.createTable(readSide.database());
    }
    StoredTenantKeys keys = new StoredTenantKeys(readSide.database(), keySource(), DataKeyLedger.ledger(system),
        dispatcher("blocking-io"), Clock.systemUTC());
    TenantArtifacts artifacts = new TenantArtifacts(artifacts(), keys, dispatcher("blocking-io"));
    if (settings.roles().contains("control")) {
      encryptLegacyArtifacts(artifacts, readSide); // before placement loads anything from them
    }
    TenantChanges changes = new TenantChanges(system);
    // placement and every node's caches follow the journal; an estimate past four worker budgets is no use
    // to count further: no worker can hold it
    DeploymentFeed deployments = DeploymentFeed.start(system, readSide.database(), new DeploymentFeed.Settings(
        inference.loadTimeout(), new DesiredDeployments(artifactCache(), tenant -> dataKey(keys, tenant),
            inference.queueCapacity(), 4 * inference.workerMemoryBytes()),
        settings.createSchema(), ControlProjections.Settings.defaults(), inference.autoscaleInterval(),
        inference.autoscaling()), changes::changed);
    return new Services(controlPlane, readSide, usage, artifacts, provisioning, deployments, changes);
  }

  /**
   * The KEKs of {@code modelplane.keys}; neither set: a development key file in the data directory
   * (created on first start, with a warning). Only control and gateway nodes hold them.
   */
  private LocalKeySource keySource() {
    String file = config.getString("modelplane.keys.kek-file").trim();
    return LocalKeySource.fromSettings(file.isEmpty() ? null : java.nio.file.Path.of(file),
        config.getString("modelplane.keys.kek"), settings.dataDir());
  }

  /**
   * Artifacts an older version stored in plaintext: encrypted into the tenant layout for every
   * tenant the read tables say registered them, before placement starts (a load would fail on them).
   * The artifact sweep finishes the job (and deletes plaintext nobody registered) once caught up.
   */
  private void encryptLegacyArtifacts(TenantArtifacts artifacts, ReadSide readSide) {
    try {
      if (artifacts.store().legacyArtifacts().isEmpty()) {
        return;
      }
      ctx.getLog().warn("this artifact store holds plaintext artifacts of an older version: encrypting them now");
      // the read tables may still be rebuilding from the journal: what they say counts once caught up
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!readSide.caughtUp().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS)
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      var registered = readSide.models().registeredArtifacts().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
      int migrated = artifacts.migrateLegacy(ArtifactSweep.bySha256(registered), false, Materializer.matFromSystem(system))
          .toCompletableFuture().get();
      ctx.getLog().warn("encrypted {} plaintext artifacts of an older version", migrated);
    } catch (Exception e) { // a store that cannot be listed now (an S3 outage) must not stop the node
      ctx.getLog().warn("could not encrypt the older version's artifacts now ({}); the artifact sweep retries",
          e.getMessage());
    }
  }

  /** The tenant's data key for placement to hand to workers (placement reads on a blocking pool). */
  private static io.modelplane.common.crypto.ArtifactKey dataKey(StoredTenantKeys keys, io.modelplane.common.TenantId tenant) {
    try {
      return keys.keyOf(tenant).toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS).artifactKey();
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the data key did not come within 10 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  /** Control nodes: the coordinators' periodic work (artifact sweep, Keycloak resync, resident samples). */
  private void startControl(Services services) {
    // every control node samples: a minute's row per worker is written once however many do, and one
    // node's crash leaves the others sampling
    ResidentSampler residents = new ResidentSampler(services.usage().store(), new ResidentSampling(system),
        services.usage().queries(), Clock.systemUTC());
    every(config.getDuration("modelplane.resident-sample-interval"), residents::sample);
    ArtifactSweep sweep = new ArtifactSweep(services.readSide(), services.artifacts(),
        config.getDuration("modelplane.artifact-sweep.grace"), Clock.systemUTC(), dispatcher("blocking-io"),
        Materializer.matFromSystem(system));
    every(config.getDuration("modelplane.artifact-sweep.interval"), sweep::runAndLog);
    // soon after start too: it encrypts the plaintext artifacts an older version stored
    system.scheduler().scheduleOnce(Duration.ofSeconds(30), sweep::runAndLog, system.executionContext());
    IdentityProvisioning identity = services.provisioning();
    if (identity != null) {
      Duration resync = config.getDuration("modelplane.keycloak.resync-interval");
      identity.start().thenRun(() -> every(resync, identity::resync));
    }
  }

  /** Gateway nodes: the predict pipeline's router over the cluster's workers. */
  private InferenceGateway startInferenceGateway() {
    InferenceGateway gateway = new InferenceGateway(system, inference.inferTimeout(), inference.coldStartTimeout());
    system.systemActorOf(Router.create(gateway), "router", Props.empty());
    return gateway;
  }

  /** Gateway nodes: credentials and their caches, admission, and the HTTP API's routes. */
  private Route startGatewayRoutes(Services services, InferenceGateway gateway) {
    ControlPlane controlPlane = services.controlPlane();
    ReadSideMetrics readSideMetrics = new ReadSideMetrics(services.readSide(), Clock.systemUTC());
    readSideMetrics.register(metrics.registry());
    readSideMetrics.sample();
    every(config.getDuration("modelplane.node-sample-interval"), readSideMetrics::sample);
    // a revoked key or suspended tenant is refused on every node at once (TenantChanges), at the
    // latest after this time-to-live; while the tenant's entity does not answer (its shard moving
    // after a crash), a key's last answer stands for up to a minute
    CachedKeyLookup keys = new CachedKeyLookup(controlPlane::findApiKey, Duration.ofMillis(500), Duration.ofSeconds(60));
    // keys of tenants that do not exist are refused without waking an entity
    KnownTenants knownTenants = new KnownTenants(services.readSide()::tenantIdsWhenCaughtUp, Duration.ofSeconds(1));
    // a token's tenant must exist; a suspended one is refused (403) like its API keys, a revoked token (401)
    CachedTenantAccess tenantAccess = new CachedTenantAccess(controlPlane::tenantAccess);
    // API keys first: they carry most predict traffic; then tokens; the operator key is the rare case
    List<Authenticator> credentials = new ArrayList<>();
    KeyUsage keyUsage = new KeyUsage(controlPlane, Clock.systemUTC());
    every(config.getDuration("modelplane.key-usage-report-interval"), keyUsage::report);
    credentials.add(new ApiKeyAuthenticator(knownTenants.guard(keys), keyUsage::used));
    if (services.provisioning() != null) {
      credentials.add(tokens(services.provisioning().settings(), tenantAccess));
    }
    credentials.add(new OperatorAuthenticator(OperatorKey.hash(settings)));
    AdmissionLeases admission = admission();
    TenantChanges changes = services.changes();
    List.<java.util.function.Consumer<io.modelplane.common.TenantId>>of(knownTenants::add, keys::invalidate,
        tenantAccess::invalidate, admission::invalidate).forEach(changes::listen);
    Runnable readTenants = () -> knownTenants.reload().exceptionally(failure -> {
      log.warn("could not read the tenants yet (read again shortly): {}", failure.toString());
      return null;
    });
    readTenants.run();
    // heals a creation whose news this node missed (keys of such a tenant also trigger a read, once a second)
    every(config.getDuration("modelplane.http.tenants-reread-interval"), readTenants);
    if (config.getBoolean("modelplane.demo")) {
      demo = address -> new DemoTenant(controlPlane, services.artifacts(), system)
          .ensure(Main.baseUrl(address, httpTls != null))
          .thenCompose(done -> changes.changedHere(DemoTenant.TENANT));
    }
    Config edge = config.getConfig("modelplane.http");
    FailedAuthentications failures = new FailedAuthentications(edge.getDouble("failed-auth-per-second"),
        edge.getDouble("failed-auth-burst"));
    PredictPipeline pipeline = new PredictPipeline(gateway, PredictPorts.admission(admission),
        PredictPorts.catalog(controlPlane), PredictPorts.usage(services.usage().meter()),
        new PredictTracing(GlobalOpenTelemetry.get(), Cluster.get(system).selfMember().address().toString()));
    ApiSettings apiSettings = ApiSettings.fromConfig(config);
    // the gRPC predict API: the same credentials, address limit, pipeline and metrics as HTTP's
    grpcService = new InferenceService(Authenticator.firstOf(credentials), failures,
        new PredictRoutes(controlPlane, pipeline, apiSettings, metrics), apiSettings, metrics,
        NodeReadiness.get(system)::ready);
    return new HttpApi(controlPlane, Authenticator.firstOf(credentials), services.artifacts(), services.deployments(),
        pipeline, changes, services.usage(), services.provisioning(), apiSettings, metrics,
        failures, NodeReadiness.get(system)::ready, services.readSide(),
        NodeArtifacts.uploadDisk(config, settings.dataDir())).route();
  }

  /** Nodes without the gateway role: liveness and readiness only. */
  private Route healthOnly() {
    return new WorkerNodeApi(NodeReadiness.get(system)::ready).route();
  }

  /** Worker nodes: one worker actor per GPU, or one on the CPU, each with its own resident-model budget. */
  private void startWorkers(InferenceGateway gateway) {
    List<ModelResidency> residencies = new ArrayList<>();
    List<String> workerIds = new ArrayList<>();
    List<Device> devices = Devices.detect();
    boolean gpus = devices.get(0).isGpu();
    Executor loads = dispatcher("model-load");
    ModelLoader loader = new ModelLoader(settings.dataDir().resolve("models"), inference.maxUnpackedBytes(),
        inference.maxUnpackedFiles(), gpus ? Integer.valueOf(0) : inference.engineThreads());
    Address node = Cluster.get(system).selfMember().address();
    for (int i = 0; i < devices.size(); i++) {
      var device = devices.get(i);
      // the same id in every node's answers: this node's cluster address and the device
      String id = node.getHost().orElse("local") + ":" + node.getPort().orElse(0) + "/" + Devices.name(device);
      ModelResidency residency = new ModelResidency(inference.workerMemoryBytes(), device, loader,
          PredictTracing.nodeAttributes(node.toString()));
      ActorRef<WorkerActor.Command> worker = system.systemActorOf(
          WorkerActor.create(id, inference.workerPool(), residency, artifactCache(), loads, inference.inferTimeout()),
          "worker-" + i,
          Props.empty());
      if (gateway != null) {
        gateway.registerLocal(worker, residency);
      }
      residencies.add(residency);
      workerIds.add(id);
      log.info("worker {} with a budget of {} bytes, pool {}", id, inference.workerMemoryBytes(),
          inference.workerPool() == null ? "shared" : inference.workerPool());
    }
    WorkerMetrics.register(metrics.registry(), residencies);
    workerDevices = devices;
    leave.drainWorkers(workerIds, residencies);
  }

  private void bind(Route route) {
    ServerBuilder server = Http.get(system).newServerAt(settings.httpHost(), settings.httpPort());
    if (httpTls != null) {
      server = server.enableHttps(httpTls.httpsContext());
      system.scheduler().scheduleWithFixedDelay(tls.reloadInterval(), tls.reloadInterval(), httpTls::reloadIfChanged,
          system.dispatchers().lookup(DispatcherSelector.fromConfig("modelplane.dispatchers.blocking-io")));
      log.info("HTTPS with certificate serial {} ({}), files checked for changes every {} s",
          httpTls.certificate().getSerialNumber().toString(16),
          httpTls.certificate().getSubjectX500Principal().getName(),
          tls.reloadInterval().toSeconds());
    }
    // the connection guard accepts HTTP/1.1 connections itself; HTTP/2 (ALPN) needs akka-http's own accept loop
    CompletionStage<ServerBinding> bound = !settings.roles().contains("gateway") || tls.http2()
        ? server.bind(route)
        : new ConnectionGuard(ConnectionGuard.Settings.fromConfig(config))
            .bind(server, route.flow(system), Materializer.matFromSystem(system));
    ctx.pipeToSelf(bound, (binding, failure) -> failure == null ? new Bound(binding) : new StartFailed(failure));
  }

  private Behavior<Command> onBound(Bound bound) {
    ServerBinding binding = bound.binding().addToCoordinatedShutdown(Duration.ofSeconds(10), system);
    if (settings.workerOnly()) {
      log.info("worker-only node: no journal, no database; worker pool {}",
          inference.workerPool() == null ? "shared" : inference.workerPool());
    } else {
      log.info("journal on {}, data in {}, roles {}",
          settings.usesPostgres() ? "PostgreSQL" : "H2", settings.dataDir(), settings.roles());
    }
    InetSocketAddress address = binding.localAddress();
    try {
      startGrpc();
    } catch (RuntimeException e) {
      ctx.getSelf().tell(new StartFailed(e));
      return Behaviors.same();
    }
    CompletionStage<?> warmed = warmUp(address);
    if (demo == null) {
      ctx.pipeToSelf(warmed, (done, failure) -> new Served(address));
    } else {
      ctx.pipeToSelf(warmed.thenCompose(done -> demo.apply(address)),
          (done, failure) -> failure == null ? new Served(address) : new StartFailed(failure));
    }
    return Behaviors.same();
  }

  /**
   * Gateway nodes warm the predict path's code before they report ready ({@link NodeWarmup}), for at most
   * {@code modelplane.warmup.max-duration} (0: not at all).
   */
  private CompletionStage<?> warmUp(InetSocketAddress address) {
    Duration bound = config.getDuration("modelplane.warmup.max-duration");
    if (!settings.roles().contains("gateway") || bound.isZero() || bound.isNegative()) {
      return CompletableFuture.completedFuture(null);
    }
    InetSocketAddress self = address.getAddress() != null && address.getAddress().isAnyLocalAddress()
        ? new InetSocketAddress("127.0.0.1", address.getPort()) : address;
    return NodeWarmup.run(httpTls == null ? self : null, bound, dispatcher("blocking-io"));
  }

  /** The gRPC predict API on gateway nodes, on the HTTP host, with HTTPS's certificate; stopped with the HTTP server. */
  private void startGrpc() {
    java.util.OptionalInt port = GrpcServer.port(config.getString("modelplane.grpc.port"));
    if (grpcService == null || port.isEmpty()) {
      return;
    }
    io.grpc.Server server = GrpcServer.start(settings.httpHost(), port.getAsInt(), httpTls, grpcService.definition(),
        ApiSettings.fromConfig(config).maxInferBytes());
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "grpc-unbind",
        () -> CompletableFuture.supplyAsync(() -> {
          try {
            server.shutdown().awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          server.shutdownNow();
          return Done.getInstance();
        }, dispatcher("blocking-io")));
    teardown.add(server::shutdownNow);
    InetSocketAddress bound = (InetSocketAddress) server.getListenSockets().get(0);
    grpcAddress.set(bound);
    log.info("gRPC predict API (OIP v2) on {}:{}{}", settings.httpHost(), bound.getPort(),
        httpTls != null ? " with TLS" : "");
  }

  /**
   * The usage meter (flushed every second, and once more in a graceful shutdown) over the usage tables
   * in the journal's database; their blocking queries run on the usage-query dispatcher.
   */
  private HttpApi.Usage metering() {
    UsageStore store = UsageStore.open(settings.jdbcUrl(), settings.dbUser(), settings.dbPassword());
    String host = Cluster.get(system).selfMember().address().hostPort();
    String writer = host.substring(0, Math.min(host.length(), 50)) + "-" + Secrets.randomHex(4);
    UsageMeter meter = new UsageMeter(store, writer, Duration.ofSeconds(1), Clock.systemUTC());
    meter.start();
    Executor queries = dispatcher("usage-query");
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "flush-usage",
        () -> CompletableFuture.supplyAsync(() -> {
          meter.close();
          return Done.getInstance();
        }, queries));
    teardown.add(() -> {
      meter.abandon(); // after a graceful shutdown: already flushed and closed
      store.close();
    });
    return new HttpApi.Usage(meter, store, queries);
  }

  /** Keycloak mode (when {@code modelplane.keycloak.url} is set): the provisioning of tenants there; else null. */
  private IdentityProvisioning keycloak(ControlPlane controlPlane, ReadSide readSide) {
    Config kc = config.getConfig("modelplane.keycloak");
    if (kc.getString("url").isBlank()) {
      return null;
    }
    String publicUrl = kc.getString("public-url").isBlank()
        ? (httpTls != null ? "https://" : "http://") + settings.httpHost() + ":" + settings.httpPort()
        : kc.getString("public-url");
    KeycloakProvisioner keycloak = new KeycloakProvisioner(new KeycloakProvisioner.Settings(kc.getString("url"),
        kc.getString("realm"), kc.getString("admin-user"), kc.getString("admin-password"), publicUrl),
        outgoingTrust.sslContext());
    teardown.add(keycloak::close);
    log.info("Keycloak mode: realm {} at {}", kc.getString("realm"), kc.getString("url"));
    return new IdentityProvisioning(keycloak, controlPlane, readSide.tenants(), dispatcher("keycloak"));
  }

  /** Keycloak access tokens, verified locally against the realm's keys (fetched once, then cached). */
  private Authenticator tokens(KeycloakProvisioner.Settings keycloak, CachedTenantAccess tenantAccess) {
    KeycloakRealm realm = new KeycloakRealm(keycloak.url(), keycloak.realm());
    JwksKeySource keys = new JwksKeySource(realm.jwksUri(), JwksKeySource.Settings.defaults(), Clock.systemUTC(),
        outgoingTrust.sslContext().getSocketFactory());
    teardown.add(keys::close);
    TokenVerifier verifier = new TokenVerifier(realm.issuer(), KeycloakProvisioner.AUDIENCE, keys, Clock.systemUTC(),
        config.getDuration("modelplane.keycloak.clock-skew"));
    return new TokenAuthenticator(verifier, tenantAccess);
  }

  /** This node's leases of the tenants' predict quotas, kept up every 250 ms. */
  private AdmissionLeases admission() {
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

  /** Whether an entity answers through the journal (on a control node). */
  private CompletionStage<Boolean> journalAnswers() {
    // "_probe" is no valid tenant id, so the probe entity never holds data; its answer proves
    // that sharding routes and the journal recovers.
    return ClusterSharding.get(system).entityRefFor(TenantEntity.ENTITY_KEY, "_probe")
        .<TenantEntity.Reply>ask(TenantEntity.Get::new, Duration.ofSeconds(2))
        .thenApply(reply -> true);
  }

  /** Whether this node's own connections to the database answer (the read tables, usage, placement). */
  private CompletionStage<Boolean> databaseAnswers(ReadSide readSide) {
    return CompletableFuture.supplyAsync(() -> {
      try (java.sql.Connection c = readSide.database().connection()) {
        return c.isValid(2);
      } catch (java.sql.SQLException e) {
        return false;
      }
    }, dispatcher("usage-query"));
  }

  /**
   * Whether the read side's projection runs: it has applied what was journaled before (checked until it
   * has once, so that a burst of writes later does not take the node out of service).
   */
  private java.util.function.Supplier<CompletionStage<Boolean>> caughtUpOnce(ReadSide readSide) {
    java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> once.get() ? CompletableFuture.completedFuture(true)
        : readSide.caughtUp().thenApply(caughtUp -> {
          if (caughtUp) {
            once.set(true);
          }
          return caughtUp;
        });
  }

  private void every(Duration interval, Runnable task) {
    system.scheduler().scheduleWithFixedDelay(interval, interval, task, system.executionContext());
  }

  /** A dispatcher of {@code modelplane.dispatchers} for work that blocks. */
  private Executor dispatcher(String name) {
    return system.dispatchers().lookup(DispatcherSelector.fromConfig("modelplane.dispatchers." + name));
  }
}
