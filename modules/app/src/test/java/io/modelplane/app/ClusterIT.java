package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.testing.TestCertificates;
import io.modelplane.registry.s3.S3TestServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cluster as operators run it: nodes from the built jar, each a JVM with its own data dir, one PostgreSQL
 * journal, artifacts in an S3 bucket, under predict load and management writes. A node killed with SIGKILL
 * (failover time measured, nothing acknowledged lost, predicts keep succeeding); every node restarted in turn
 * with SIGTERM (no predict fails); a worker-only node that takes replicas and leaves gracefully; control and
 * gateway nodes apart from the only worker. The first three share one three-node cluster, in order.
 * {@code -Dmodelplane.clusterFailoverRuns=N} repeats the failover (the {@code stress} profile: 5, with the
 * gateway-only latency figure, {@code -Dmodelplane.clusterLatencyCalls}). Figures are printed as
 * {@code CLUSTER-FIGURE} lines and appended to {@code target/cluster-it/figures.txt}; node logs stay in
 * {@code target/cluster-it/<cluster>/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final Path OUT = Path.of("target", "cluster-it");
  static final int FAILOVER_RUNS = Integer.getInteger("modelplane.clusterFailoverRuns", 1);
  static final int LATENCY_CALLS = Integer.getInteger("modelplane.clusterLatencyCalls", 0);
  static final int SPREAD_TENANTS = 30;
  /** From the kill until every tenant, model and predict answers again through the survivors. */
  static final Duration FAILOVER_BOUND = Duration.ofSeconds(20);
  /** Small heaps (the digits model is 78 KB) and a quick JIT: four JVMs share two cores. */
  static final List<String> SMALL_NODE = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  static EmbeddedPostgres postgres;
  static S3TestServer s3;
  /** Every cluster of these tests runs over mutual TLS with a CA of its own, as in production. */
  static Map<String, String> clusterTls;
  /** n1..n3, all roles: the failover, the rolling restart and the worker-only node's join and leave. */
  static LocalCluster three;
  static String loadKey;

  @BeforeAll
  static void infrastructure() throws IOException {
    assertThat(LocalCluster.JAR).as("ClusterIT starts %s: build it first (mvn package)", LocalCluster.JAR).isRegularFile();
    Files.createDirectories(OUT);
    postgres = EmbeddedPostgres.builder().start();
    s3 = S3TestServer.start();
    TestCertificates.Issued ca = TestCertificates.authority("cluster-it-ca");
    clusterTls = new HashMap<>();
    ClusterTlsTest.clusterTls(OUT.toAbsolutePath(), "cluster-tls", ca, ca.issue("node", "RSA", ClusterTlsTest.CLUSTER_NAME))
        .forEach((setting, file) -> clusterTls.put(
            "MODELPLANE_CLUSTER_TLS_" + setting.substring(setting.lastIndexOf('.') + 1).toUpperCase(java.util.Locale.ROOT),
            file.toString()));
  }

  @AfterAll
  static void stopAll() throws IOException {
    if (three != null) {
      three.close();
    }
    if (s3 != null) {
      s3.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  @Order(1)
  void aNodeKilledWithSigkillLosesNoAcknowledgedWriteAndTheSurvivorsServeWithin20s() throws Exception {
    three = cluster("three", "keep-majority", SMALL_NODE);
    LocalCluster.Node n1 = three.add("n1", LocalCluster.ALL_ROLES);
    LocalCluster.Node n2 = three.add("n2", LocalCluster.ALL_ROLES);
    LocalCluster.Node n3 = three.add("n3", LocalCluster.ALL_ROLES);
    three.seeds(n1, n2, n3);
    three.reportingFailures(() -> {
      three.start(n1, n2, n3);
      awaitWorkers(n1.api(), 3);
      loadKey = TestNodes.tenantWithDigits(n1.api(), "load", unlimited(), 3);
      // a replica on every worker, so that losing one node leaves two serving
      TestNodes.eventually(Duration.ofSeconds(90), () -> WorkerDrainAcrossNodesTest.holders(n1.api(), "load").size() == 3,
          "digits resident on all three workers");
      for (LocalCluster.Node n : three.nodes()) {
        TestNodes.eventually(Duration.ofSeconds(30), () -> "1".equals(PlacementFeedAcrossNodesTest.version(n.api(), loadKey)),
            "digits answers through " + n.name);
      }

      // tenants on every node's shards, so that each kill takes some away (the writers' own are few per run)
      for (int i = 0; i < SPREAD_TENANTS; i++) {
        ApiClient.Reply created = three.nodes().get(i % 3).api().post("/api/v1/tenants", OP,
            Map.of("id", "spread-" + i, "displayName", "Spread " + i));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
      }

      // every run's figures even when one fails its bounds (the stress profile's five)
      SoftAssertions softly = new SoftAssertions();
      List<Long> figures = new ArrayList<>();
      for (int run = 0; run < FAILOVER_RUNS; run++) {
        figures.add(failover(run, softly));
      }
      long[] sorted = figures.stream().mapToLong(Long::longValue).sorted().toArray();
      figure("failover runs=%d p50_ms=%d max_ms=%d all_ms=%s", sorted.length, sorted[(sorted.length - 1) / 2],
          sorted[sorted.length - 1], figures);
      softly.assertThat(figures).as("ms from the kill until every entity answered again")
          .allMatch(ms -> ms <= FAILOVER_BOUND.toMillis());
      softly.assertAll();
    });
  }

  /** One kill of the oldest node under load; the node is then started again over its data dir. The failover ms. */
  private long failover(int run, SoftAssertions softly) {
    // the oldest node holds the placement singleton and the shard coordinator: the hardest one to lose.
    // Each run starts the killed node again, so the next oldest is the next in line.
    LocalCluster.Node victim = three.nodes().get(run % 3);
    List<LocalCluster.Node> survivors = three.nodes().stream().filter(n -> n != victim).toList();
    long failoverMs;
    ClusterLoad load = new ClusterLoad(three::gateways).predicting(loadKey, 3, 10).writing("f" + run, 100);
    List<ClusterLoad.Acked> lost;
    try {
      TestNodes.eventually(Duration.ofSeconds(60), () -> load.tenants().size() >= 8, "some writes acknowledged");
      List<String> tenants = new ArrayList<>(load.tenants());
      tenants.add("load");
      for (int i = 0; i < SPREAD_TENANTS; i++) {
        tenants.add("spread-" + i);
      }
      long killed = victim.kill();
      long recovered = awaitEverythingAnswers(survivors, tenants, killed);
      failoverMs = (recovered - killed) / 1_000_000;
      figure("failover run=%d killed=%s failover_ms=%d tenants_checked=%d", run, victim.name, failoverMs, tenants.size());
      ClusterLoad.pause(3000); // load goes on through the survivors
    } finally {
      load.close();
    }
    System.out.println("failover run " + run + ": " + load.summary());
    lost = load.lost(survivors.get(0).api(), Duration.ofSeconds(30));
    // back to three before judging, so that a failed run leaves the next tests their cluster: the killed node
    // starts again over its data dir, at its old address
    victim.start();
    victim.awaitReady();
    awaitWorkers(survivors.get(0).api(), 3);
    figure("failover run=%d predicts=%d failed=%d success_percent=%.3f writes_acked=%d writes_lost=%d", run,
        load.predicts.get(), load.failed.get(), load.successPercent(), load.acked.size(), lost.size());
    softly.assertThat(lost).as("run %d: acknowledged writes missing after the kill (%d acknowledged)", run, load.acked.size())
        .isEmpty();
    softly.assertThat(load.successPercent()).as("run %d: predicts that succeeded (one retry): %s; failures %s", run, load.summary(), load.failures)
        .isGreaterThanOrEqualTo(99.9);
    return failoverMs;
  }

  /**
   * Sweeps until one whole sweep succeeds: every tenant readable, the model readable and a predict answered
   * through each survivor, each on the first try; returns when that sweep ended (System.nanoTime).
   */
  private static long awaitEverythingAnswers(List<LocalCluster.Node> survivors, List<String> tenants, long killed) {
    long deadline = killed + Duration.ofSeconds(120).toNanos();
    int sweeps = 0;
    String last = "";
    String lastKind = "";
    while (System.nanoTime() < deadline) {
      sweeps++;
      last = sweep(survivors, tenants, sweeps);
      if (last == null) {
        return System.nanoTime();
      }
      // what still failed, each time that changes: where the failover's time goes
      String kind = last.substring(0, Math.min(last.length(), 40));
      if (!kind.equals(lastKind)) {
        System.out.printf("  +%d ms after the kill: %s%n", (System.nanoTime() - killed) / 1_000_000,
            last.substring(0, Math.min(last.length(), 240)));
        lastKind = kind;
      }
      ClusterLoad.pause(100);
    }
    throw new AssertionError("not every entity answered through the survivors within 120 s (" + sweeps
        + " sweeps); last failure: " + last);
  }

  /** Null when everything answered, else the first thing that did not. */
  private static String sweep(List<LocalCluster.Node> survivors, List<String> tenants, int turn) {
    try {
      for (LocalCluster.Node s : survivors) {
        ApiClient api = s.api();
        ApiClient.Reply predict = api.post("/v2/models/digits/infer", loadKey, PlacementFeedAcrossNodesTest.one());
        if (predict.status() != 200) {
          return "predict via " + s.name + ": " + predict;
        }
        ApiClient.Reply model = api.get("/api/v1/tenants/load/models/digits", loadKey);
        if (model.status() != 200) {
          return "model via " + s.name + ": " + model;
        }
      }
      for (int i = 0; i < tenants.size(); i++) {
        LocalCluster.Node s = survivors.get((i + turn) % survivors.size());
        ApiClient.Reply tenant = s.api().get("/api/v1/tenants/" + tenants.get(i), OP);
        if (tenant.status() != 200) {
          return "tenant " + tenants.get(i) + " via " + s.name + ": " + tenant;
        }
      }
      return null;
    } catch (AssertionError e) {
      return e.getMessage();
    }
  }

  @Test
  @Order(2)
  void aRollingRestartUnderLoadFailsNoPredictAndLosesNoWrite() throws Exception {
    Assumptions.assumeTrue(three != null && loadKey != null, "the three-node cluster of the failover test");
    three.reportingFailures(() -> {
      ClusterLoad load = new ClusterLoad(three::gateways).predicting(loadKey, 3, 10).writing("roll", 100);
      try {
        TestNodes.eventually(Duration.ofSeconds(60), () -> load.tenants().size() >= 3, "some writes acknowledged");
        for (LocalCluster.Node n : three.nodes()) {
          long start = System.nanoTime();
          n.leave();
          n.start();
          n.awaitReady();
          // its worker back before the next node leaves, so that placement has somewhere to move replicas
          awaitWorkers(three.nodes().get(0) == n ? three.nodes().get(1).api() : three.nodes().get(0).api(), 3);
          figure("rolling_restart node=%s restart_ms=%d", n.name, (System.nanoTime() - start) / 1_000_000);
        }
        ClusterLoad.pause(2000);
      } finally {
        load.close();
      }
      System.out.println("rolling restart: " + load.summary());
      List<ClusterLoad.Acked> lost = load.lost(three.nodes().get(0).api(), Duration.ofSeconds(30));
      figure("rolling_restart predicts=%d retried=%d failed=%d writes_acked=%d writes_lost=%d",
          load.predicts.get(), load.retried.get(), load.failed.get(), load.acked.size(), lost.size());
      assertThat(load.failures).as(load.summary()).isEmpty();
      assertThat(lost).as("acknowledged writes missing after the rolling restart").isEmpty();
      assertThat(load.predicts.get()).isGreaterThan(100);
    });
  }

  @Test
  @Order(3)
  void aWorkerOnlyNodeTakesReplicasAndMovesThemBeforeItLeaves() throws Exception {
    Assumptions.assumeTrue(three != null && loadKey != null, "the three-node cluster of the failover test");
    LocalCluster.Node n1 = three.nodes().get(0);
    LocalCluster.Node w = three.add("w4", "worker");
    three.reportingFailures(() -> {
      ApiClient api = n1.api();
      List<String> others = workerIds(api);
      three.startTogether(w);
      String joined = awaitWorkers(api, 4).stream().filter(id -> id.startsWith(w.workerPrefix())).findFirst()
          .orElseThrow(() -> new AssertionError("no worker of " + w.name + " in the cluster view"));

      // the only worker left to place on is the new one (a drain waits for a replica's new place, so
      // load's other replicas stay where they are: one replica per worker)
      for (String id : others) {
        assertThat(api.post(WorkerDrainAcrossNodesTest.workerPath(id) + "/drain", OP, Map.of()).status()).isEqualTo(202);
      }
      TestNodes.eventually(Duration.ofSeconds(90), () -> WorkerDrainAcrossNodesTest.holders(api, "load").contains(joined),
          "a replica of load's digits placed on the worker-only node");
      String edgeKey = TestNodes.tenantWithDigits(api, "edge", unlimited(), 1);
      assertThat(WorkerDrainAcrossNodesTest.holders(api, "edge")).containsExactly(joined);
      for (String id : others) {
        assertThat(api.post(WorkerDrainAcrossNodesTest.workerPath(id) + "/undrain", OP, Map.of()).status()).isEqualTo(200);
      }

      ClusterLoad load = new ClusterLoad(three::gateways).predicting(loadKey, 2, 10).predicting(edgeKey, 2, 10);
      try {
        ClusterLoad.pause(2000);
        w.leave();
        ClusterLoad.pause(2000);
      } finally {
        load.close();
      }
      System.out.println("worker-only node leaving: " + load.summary());
      figure("worker_leave predicts=%d retried=%d failed=%d", load.predicts.get(), load.retried.get(), load.failed.get());
      assertThat(load.failures).as(load.summary()).isEmpty();
      TestNodes.eventually(Duration.ofSeconds(30), () -> !workerIds(api).contains(joined), "the worker-only node gone from the view");
      assertThat(WorkerDrainAcrossNodesTest.holders(api, "edge")).as("edge's replica moved to a remaining worker")
          .isNotEmpty().doesNotContain(joined);
    });
  }

  @Test
  @Order(4)
  void controlAndGatewayNodesServeThroughTheOnlyWorkerOnAnotherNode() throws Exception {
    try (LocalCluster split = cluster("split", "keep-majority", SMALL_NODE)) {
      LocalCluster.Node c1 = split.add("c1", "control,gateway");
      LocalCluster.Node c2 = split.add("c2", "control,gateway");
      LocalCluster.Node w = split.add("w", "worker");
      split.seeds(c1, c2, w);
      split.reportingFailures(() -> {
        split.start(c1, c2, w);
        List<String> workers = awaitWorkers(c1.api(), 1);
        assertThat(workers).singleElement().satisfies(id -> assertThat(id).startsWith(w.workerPrefix()));
        String key = TestNodes.tenantWithDigits(c1.api(), "split", unlimited(), 1);
        assertThat(WorkerDrainAcrossNodesTest.holders(c2.api(), "split")).containsExactly(workers.get(0));
        for (LocalCluster.Node gateway : List.of(c1, c2)) {
          TestNodes.eventually(Duration.ofSeconds(30), () -> "1".equals(PlacementFeedAcrossNodesTest.version(gateway.api(), key)),
              "digits answers through " + gateway.name);
          ApiClient api = gateway.api();
          for (int i = 0; i < 50; i++) {
            ApiClient.Reply r = api.post("/v2/models/digits/infer", key, PlacementFeedAcrossNodesTest.one());
            assertThat(r.status()).as("predict %d via %s: %s", i, gateway.name, r).isEqualTo(200);
            assertThat(r.json().get("outputs").get(0).get("data")).hasSize(10);
          }
        }
        JsonNode nodes = c2.api().get("/api/v1/admin/cluster", OP).json().get("nodes");
        assertThat(nodes).hasSize(3);
        // the worker-only node serves no API: health only
        assertThat(w.api().get("/api/v1/tenants", OP).status()).isEqualTo(404);
      });
    }
  }

  /**
   * Stress only: what a gateway-only node adds to a predict call over an all-roles node whose worker holds
   * the model, sequential calls after a warm-up, in alternating blocks so that the machine's noise falls on both.
   */
  @Test
  @Order(5)
  void latencyAddedByAGatewayOnlyNode() throws Exception {
    Assumptions.assumeTrue(LATENCY_CALLS > 0, "-Dmodelplane.clusterLatencyCalls (the stress profile)");
    try (LocalCluster pair = cluster("latency", "keep-oldest", List.of("-Xmx384m", "-XX:+UseSerialGC"))) {
      LocalCluster.Node local = pair.add("local", LocalCluster.ALL_ROLES);
      LocalCluster.Node gateway = pair.add("gateway", "gateway");
      pair.seeds(local);
      pair.reportingFailures(() -> {
        pair.start(local, gateway);
        String key = TestNodes.tenantWithDigits(local.api(), "latency", unlimited(), 1);
        assertThat(WorkerDrainAcrossNodesTest.holders(local.api(), "latency"))
            .singleElement().satisfies(id -> assertThat(id).startsWith(local.workerPrefix()));
        ApiClient viaLocal = local.api();
        ApiClient viaGateway = gateway.api();
        TestNodes.eventually(Duration.ofSeconds(30), () -> "1".equals(PlacementFeedAcrossNodesTest.version(viaGateway, key)),
            "digits answers through the gateway-only node");
        int warmup = Math.max(500, LATENCY_CALLS / 4);
        timed(viaLocal, key, warmup);
        timed(viaGateway, key, warmup);
        int block = 100;
        long[] l = new long[0];
        long[] g = new long[0];
        while (l.length < LATENCY_CALLS) {
          l = concat(l, timed(viaLocal, key, Math.min(block, LATENCY_CALLS - l.length)));
          g = concat(g, timed(viaGateway, key, Math.min(block, LATENCY_CALLS - g.length)));
        }
        Arrays.sort(l);
        Arrays.sort(g);
        figure("latency calls=%d local_p50_ms=%.3f local_p99_ms=%.3f gateway_only_p50_ms=%.3f gateway_only_p99_ms=%.3f"
            + " added_p50_ms=%.3f added_p99_ms=%.3f", LATENCY_CALLS, ms(l, 0.50), ms(l, 0.99), ms(g, 0.50), ms(g, 0.99),
            ms(g, 0.50) - ms(l, 0.50), ms(g, 0.99) - ms(l, 0.99));
      });
    }
  }

  private static long[] timed(ApiClient via, String key, int calls) {
    Map<String, Object> body = PlacementFeedAcrossNodesTest.one();
    long[] nanos = new long[calls];
    for (int i = 0; i < calls; i++) {
      long start = System.nanoTime();
      ApiClient.Reply r = via.post("/v2/models/digits/infer", key, body);
      nanos[i] = System.nanoTime() - start;
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }
    return nanos;
  }

  private static long[] concat(long[] a, long[] b) {
    long[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static double ms(long[] sorted, double quantile) {
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] / 1e6;
  }

  /** A cluster with a database and a bucket of its own. */
  private static LocalCluster cluster(String name, String downing, List<String> jvmOptions) throws Exception {
    try (Connection c = postgres.getPostgresDatabase().getConnection()) {
      c.createStatement().execute("CREATE DATABASE " + name);
    }
    s3.createBucket(name);
    Map<String, String> journal = Map.of(
        "MODELPLANE_DB_URL", "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + name,
        "MODELPLANE_DB_USER", "postgres",
        "MODELPLANE_DB_PASSWORD", "postgres");
    Map<String, String> shared = new HashMap<>(s3.nodeEnv(name));
    shared.put("MODELPLANE_DOWNING", downing);
    shared.putAll(clusterTls);
    return new LocalCluster(OUT.resolve(name), journal, shared, jvmOptions);
  }

  /** The cluster view's worker ids once it lists {@code count} workers. */
  private static List<String> awaitWorkers(ApiClient via, int count) {
    List<String>[] ids = new List[1];
    TestNodes.eventually(Duration.ofSeconds(90), () -> {
      ids[0] = workerIds(via);
      return ids[0].size() == count;
    }, count + " workers in the cluster view");
    return ids[0];
  }

  private static List<String> workerIds(ApiClient via) {
    return ApiClient.each(via.get("/api/v1/admin/cluster", OP).json().get("workers"), "workerId");
  }

  /** No rate or concurrency limit: the load outruns the default plan's, and a 429 is no failover failure. */
  private static Map<String, Object> unlimited() {
    Map<String, Object> quota = new HashMap<>();
    quota.put("requestsPerSecond", null);
    quota.put("maxConcurrentRequests", null);
    return quota;
  }

  /** Prints a figure as a parseable line and appends it to target/cluster-it/figures.txt. */
  private static void figure(String format, Object... args) {
    String line = "CLUSTER-FIGURE " + String.format(format, args);
    System.out.println(line);
    try {
      Files.writeString(OUT.resolve("figures.txt"), java.time.Instant.now() + " " + line + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.out.println("cannot append to figures.txt: " + e);
    }
  }
}
