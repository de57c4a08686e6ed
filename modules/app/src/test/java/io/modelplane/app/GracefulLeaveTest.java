package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.registry.s3.S3TestServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM on a real node process: under a steady trickle of predicts, the leaving worker's replica is
 * loaded on the other node before it leaves, no predict fails, and the process exits 0 within the timeout.
 */
class GracefulLeaveTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final Duration START = Duration.ofSeconds(90);
  static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(40);

  @Test
  void aWorkerLeavingOnSigtermHandsItsReplicaOverFirst(@TempDir Path dir) throws Exception {
    // the nodes share no disk: the replica B takes over comes from the bucket
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start(); S3TestServer s3 = S3TestServer.start()) {
      s3.createBucket("leave");
      int portA = NodeProcess.freePort();
      int portB = NodeProcess.freePort();
      Map<String, String> cluster = new HashMap<>(Map.of(
          "MODELPLANE_SEED_NODES", "127.0.0.1:" + portA + ",127.0.0.1:" + portB,
          "MODELPLANE_DOWNING", "keep-oldest",
          "MODELPLANE_SHUTDOWN_TIMEOUT", SHUTDOWN_TIMEOUT.toSeconds() + "s"));
      cluster.putAll(s3.nodeEnv("leave"));
      Map<String, String> envA = new HashMap<>(cluster);
      envA.putAll(Map.of("MODELPLANE_CLUSTER_PORT", String.valueOf(portA), "MODELPLANE_ROLES", "control,gateway,worker",
          "MODELPLANE_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres",
          "MODELPLANE_DB_USER", "postgres", "MODELPLANE_DB_PASSWORD", "postgres"));
      // worker-only: no database credential, no operator key
      Map<String, String> envB = new HashMap<>(cluster);
      envB.putAll(Map.of("MODELPLANE_CLUSTER_PORT", String.valueOf(portB), "MODELPLANE_ROLES", "worker",
          "MODELPLANE_OPERATOR_KEY", ""));
      try (NodeProcess a = NodeProcess.start(dir.resolve("a"), dir.resolve("a.log"), envA)) {
        a.awaitReady(START);
        try (NodeProcess b = NodeProcess.start(dir.resolve("b"), dir.resolve("b.log"), envB)) {
          b.awaitReady(START);
          ApiClient api = new ApiClient(a.baseUrl());
          TestNodes.eventually(Duration.ofSeconds(30), () -> api.get("/api/v1/admin/cluster", OP).json()
              .path("workers").size() == 2, "both workers in the cluster view");
          Map<String, Object> unlimited = new HashMap<>();
          unlimited.put("requestsPerSecond", null);
          unlimited.put("maxConcurrentRequests", null);
          String key = TestNodes.tenantWithDigits(api, "leaver", unlimited, 1);
          String workerB = workerOn(api, portB);
          String workerA = workerOn(api, portA);
          if (!WorkerDrainAcrossNodesTest.holders(api, "leaver").equals(List.of(workerB))) {
            // put the replica on B: drain A's worker, then undrain it
            assertThat(api.post(WorkerDrainAcrossNodesTest.workerPath(workerA) + "/drain", OP, Map.of()).status())
                .isEqualTo(202);
            TestNodes.eventually(Duration.ofSeconds(60),
                () -> WorkerDrainAcrossNodesTest.holders(api, "leaver").equals(List.of(workerB)), "digits on B only");
            assertThat(api.post(WorkerDrainAcrossNodesTest.workerPath(workerA) + "/undrain", OP, Map.of()).status())
                .isEqualTo(200);
          }

          AtomicBoolean running = new AtomicBoolean(true);
          AtomicInteger calls = new AtomicInteger();
          AtomicInteger retried = new AtomicInteger();
          Queue<String> failures = new ConcurrentLinkedQueue<>();
          Thread trickle = new Thread(() -> {
            while (running.get()) {
              ApiClient.Reply r = api.post("/v2/models/digits/infer", key, PlacementFeedAcrossNodesTest.one());
              if (r.status() == 503) { // a client retries once on 503
                retried.incrementAndGet();
                r = api.post("/v2/models/digits/infer", key, PlacementFeedAcrossNodesTest.one());
              }
              calls.incrementAndGet();
              if (r.status() != 200) {
                failures.add(r.toString());
              }
              sleep(20);
            }
          });
          trickle.start();
          // when digits first became resident on A's worker, by the cluster view
          // when digits first became resident on A's worker, and when B's worker left, by the cluster view
          java.util.concurrent.atomic.AtomicLong onA = new java.util.concurrent.atomic.AtomicLong();
          java.util.concurrent.atomic.AtomicLong bGone = new java.util.concurrent.atomic.AtomicLong();
          Thread watch = new Thread(() -> {
            while (running.get() && bGone.get() == 0) {
              com.fasterxml.jackson.databind.JsonNode view = api.get("/api/v1/admin/cluster", OP).json();
              if (onA.get() == 0 && WorkerDrainAcrossNodesTest.holders(api, "leaver").contains(workerA)) {
                onA.set(System.nanoTime());
              }
              if (!ApiClient.each(view.get("workers"), "workerId").contains(workerB)) {
                bGone.set(System.nanoTime());
              }
              sleep(50);
            }
          });
          sleep(500);

          long sent = System.nanoTime();
          watch.start();
          b.terminate();
          int exit = b.awaitExit(SHUTDOWN_TIMEOUT.plusSeconds(10));
          long exited = System.nanoTime();
          long leftMillis = (exited - sent) / 1_000_000;
          sleep(1000); // predicts after B is gone
          running.set(false);
          trickle.join();
          watch.join();
          System.out.printf("SIGTERM to exit of the worker node: %d ms; predicts during: %d, retried: %d, failed: %d%n",
              leftMillis, calls.get(), retried.get(), failures.size());

          assertThat(exit).as(b.output()).isZero();
          assertThat(leftMillis).isLessThan(SHUTDOWN_TIMEOUT.toMillis());
          assertThat(failures).as("failed predicts").isEmpty();
          assertThat(calls.get()).isGreaterThan(10);
          // the replica went before the node left: placement loaded it on A while B was still there
          assertThat(onA.get()).as("digits resident on A").isPositive().isLessThan(exited);
          assertThat(bGone.get()).as("B's worker gone from the view").isPositive();
          assertThat(onA.get()).as("digits on A before B's worker left").isLessThan(bGone.get());
          assertThat(WorkerDrainAcrossNodesTest.holders(api, "leaver")).containsExactly(workerA);
          TestNodes.eventually(Duration.ofSeconds(20), () -> api.get("/api/v1/admin/cluster", OP).json()
              .path("workers").size() == 1, "B's worker gone from the cluster view");
          // it left undrained: nothing was recorded for it
          assertThat(api.get("/api/v1/admin/cluster", OP).json().toString()).doesNotContain(workerB);
        }
      }
    }
  }

  /** The id of the worker on the node with that cluster port. */
  static String workerOn(ApiClient api, int clusterPort) {
    return ApiClient.each(api.get("/api/v1/admin/cluster", OP).json().get("workers"), "workerId").stream()
        .filter(id -> id.startsWith("127.0.0.1:" + clusterPort + "/")).findFirst().orElseThrow();
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
