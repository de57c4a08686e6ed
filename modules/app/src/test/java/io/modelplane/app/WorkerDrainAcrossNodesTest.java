package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.cluster.typed.Cluster;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * Two nodes, a worker on each: draining the worker that holds digits moves it to the other one while
 * predict keeps answering (every call counted), evicting it there places it back, and the cluster view
 * shows each step; the routes refuse unknown workers and residents, and anyone but the operator.
 */
class WorkerDrainAcrossNodesTest {
  static final String OP = TestNodes.OPERATOR_KEY;

  @Test
  void drainingTheWorkerHoldingDigitsMovesItWhilePredictKeepsAnswering(@TempDir Path dataDir) throws Exception {
    Map<String, Object> db = Map.of("modelplane.db.url", "jdbc:h2:mem:drain-nodes;DB_CLOSE_DELAY=-1");
    Main.Node a = TestNodes.start(dataDir, db);
    Main.Node b = null;
    try {
      b = TestNodes.startJoining(a, dataDir, db);
      ApiClient viaA = new ApiClient(a.baseUrl());
      ApiClient viaB = new ApiClient(b.baseUrl());
      TestNodes.eventually(Duration.ofSeconds(30), () -> viaA.get("/api/v1/admin/cluster", OP).json()
          .path("workers").size() == 2, "both workers in the cluster view");

      // no rate or concurrency limit: the callers below may outrun the default quota, and a 429 is no drain failure
      Map<String, Object> unlimited = new HashMap<>();
      unlimited.put("requestsPerSecond", null);
      unlimited.put("maxConcurrentRequests", null);
      String key = TestNodes.tenantWithDigits(viaA, "drainer", unlimited, 1);
      String holder = holders(viaA, "drainer").get(0);
      String other = ApiClient.each(viaA.get("/api/v1/admin/cluster", OP).json().get("workers"), "workerId").stream()
          .filter(w -> !w.equals(holder)).findFirst().orElseThrow();

      // predict through both nodes for the whole drain; every call counted
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger calls = new AtomicInteger();
      Queue<String> failures = new ConcurrentLinkedQueue<>();
      List<Thread> callers = new ArrayList<>();
      for (ApiClient via : List.of(viaA, viaB)) {
        Thread t = new Thread(() -> {
          while (running.get()) {
            ApiClient.Reply r = via.post("/v2/models/digits/infer", key, PlacementFeedAcrossNodesTest.one());
            calls.incrementAndGet();
            if (r.status() != 200) {
              failures.add(r.toString());
            }
          }
        });
        t.start();
        callers.add(t);
      }
      Thread.sleep(300);

      long started = System.nanoTime();
      ApiClient.Reply drained = viaB.post(workerPath(holder) + "/drain", OP, Map.of());
      assertThat(drained.status()).as(drained.toString()).isEqualTo(202);
      assertThat(drained.json().get("worker").asText()).isEqualTo(holder);
      assertThat(drained.json().get("draining").asBoolean()).isTrue();
      TestNodes.eventually(Duration.ofSeconds(60), () -> holders(viaA, "drainer").equals(List.of(other)),
          "digits resident on the other worker only");
      long drainMillis = (System.nanoTime() - started) / 1_000_000;
      System.out.printf("drain of the worker holding digits: %d ms from POST to resident on the other worker only%n",
          drainMillis);
      Thread.sleep(300);
      running.set(false);
      for (Thread t : callers) {
        t.join();
      }
      System.out.printf("predict calls during the drain: %d, failed: %d%n", calls.get(), failures.size());
      assertThat(failures).isEmpty();
      assertThat(calls.get()).isGreaterThan(20);

      JsonNode view = viaA.get("/api/v1/admin/cluster", OP).json();
      System.out.println("cluster view: " + view.toPrettyString());
      assertThat(worker(view, holder).get("draining").asBoolean()).isTrue();
      assertThat(worker(view, holder).get("drainBlockedBy")).isEmpty();
      assertThat(worker(view, other).get("draining").asBoolean()).isFalse();
      JsonNode resident = worker(view, other).get("models").get(0);
      assertThat(resident.get("tenant").asText()).isEqualTo("drainer");
      assertThat(resident.get("version").asInt()).isEqualTo(1);
      assertThat(resident.get("lastUsedAt").asText()).isNotBlank();
      assertThat(resident.get("batchSizes").get("batches").asLong()).isPositive();
      assertThat(resident.get("batchSizes").get("last").asInt()).isPositive();
      assertThat(view.get("nodes")).hasSize(2).allSatisfy(n -> assertThat(n.get("upSince").asText()).endsWith("Z"));

      // the other worker cannot take it while it drains too: the drain waits, the replica serves and the view says why
      assertThat(viaA.post(workerPath(other) + "/drain", OP, Map.of()).status()).isEqualTo(202);
      TestNodes.eventually(Duration.ofSeconds(10), () -> worker(viaA.get("/api/v1/admin/cluster", OP).json(), other)
          .get("drainBlockedBy").toString().contains("not draining"), "the blocked drain says why");
      assertThat(PlacementFeedAcrossNodesTest.version(viaB, key)).isEqualTo("1");
      assertThat(holders(viaA, "drainer")).containsExactly(other);
      assertThat(viaA.post(workerPath(other) + "/undrain", OP, Map.of()).status()).isEqualTo(200);

      // evicted, it comes back on the worker that is not draining
      ApiClient.Reply evicted = viaA.delete(workerPath(other) + "/residents/drainer/digits/1", OP);
      assertThat(evicted.status()).as(evicted.toString()).isEqualTo(202);
      assertThat(evicted.json().get("evicted").asBoolean()).isTrue();
      assertThat(evicted.json().get("version").asInt()).isEqualTo(1);
      TestNodes.eventually(Duration.ofSeconds(30), () -> "1".equals(PlacementFeedAcrossNodesTest.version(viaB, key))
          && holders(viaA, "drainer").equals(List.of(other)), "digits back on the other worker");

      // undrained: 200, and the view says so
      ApiClient.Reply undrained = viaA.post(workerPath(holder) + "/undrain", OP, Map.of());
      assertThat(undrained.status()).isEqualTo(200);
      assertThat(undrained.json().get("draining").asBoolean()).isFalse();
      assertThat(worker(viaA.get("/api/v1/admin/cluster", OP).json(), holder).get("draining").asBoolean()).isFalse();

      // the view's tag: the same view answers 304 without a body
      TestNodes.eventually(Duration.ofSeconds(10), () -> {
        ApiClient.Reply first = viaA.get("/api/v1/admin/cluster", OP);
        String tag = first.header("ETag");
        ApiClient.Reply again = viaA.get("/api/v1/admin/cluster", OP, Map.of("If-None-Match", tag));
        return tag != null && again.status() == 304 && again.raw().body().isEmpty();
      }, "304 for an unchanged view");
      ApiClient.Reply stale = viaA.get("/api/v1/admin/cluster", OP, Map.of("If-None-Match", "\"not-the-tag\""));
      assertThat(stale.status()).isEqualTo(200);
      assertThat(stale.header("ETag")).startsWith("\"");

      // failure paths
      assertError(viaA.post(workerPath("no-such-worker") + "/drain", OP, Map.of()), 404, "worker_not_found");
      assertError(viaA.post(workerPath("no-such-worker") + "/undrain", OP, Map.of()), 404, "worker_not_found");
      assertError(viaA.delete(workerPath("no-such-worker") + "/residents/drainer/digits/1", OP), 404, "worker_not_found");
      assertError(viaA.delete(workerPath(other) + "/residents/drainer/digits/9", OP), 404, "resident_not_found");
      assertError(viaA.delete(workerPath(other) + "/residents/drainer/nope/1", OP), 404, "resident_not_found");
      assertError(viaA.delete(workerPath(other) + "/residents/drainer/digits/one", OP), 404, "resident_not_found");
      assertError(viaA.delete(workerPath(other) + "/residents/NOT_A_TENANT/digits/1", OP), 404, "resident_not_found");
      assertError(viaA.get(workerPath(other) + "/drain", OP), 405, "method_not_allowed");
      for (String credential : List.of(key)) {
        assertError(viaA.post(workerPath(holder) + "/drain", credential, Map.of()), 403, "forbidden");
        assertError(viaA.post(workerPath(holder) + "/undrain", credential, Map.of()), 403, "forbidden");
        assertError(viaA.delete(workerPath(other) + "/residents/drainer/digits/1", credential), 403, "forbidden");
        assertError(viaA.get("/api/v1/admin/cluster", credential), 403, "forbidden");
      }
      assertThat(viaA.post(workerPath(holder) + "/drain", null, Map.of()).status()).isEqualTo(401);
      assertThat(holders(viaA, "drainer")).containsExactly(other); // nothing refused changed anything

      String openApi = viaA.get("/api/v1/openapi.yaml", null).raw().body();
      assertThat(openApi).contains("/api/v1/admin/workers/{worker}/drain:", "/api/v1/admin/workers/{worker}/undrain:",
          "/api/v1/admin/workers/{worker}/residents/{tenant}/{model}/{version}:");

      // a drain survives placement moving: drain B's worker, stop A (the oldest node: it runs placement)
      String workerOfB = workerOf(b, viaB);
      assertThat(viaB.post(workerPath(workerOfB) + "/drain", OP, Map.of()).status()).isEqualTo(202);
      a.stop();
      Main.Node nodeB = b;
      TestNodes.eventually(Duration.ofSeconds(30), () -> PlacementFeedAcrossNodesTest.upMembers(nodeB) == 1, "A gone");
      // B's new placement read the drain back: its worker stays drained, so digits has nowhere to go
      TestNodes.eventually(Duration.ofSeconds(60), () -> {
        JsonNode v = viaB.get("/api/v1/admin/cluster", OP).json();
        return v.get("drainsKnown").asBoolean() && worker(v, workerOfB).get("draining").asBoolean();
      }, "the drain known to the new placement");
      assertThat(holders(viaB, "drainer")).isEmpty();
      TestNodes.eventually(Duration.ofSeconds(10), () -> viaB.get("/api/v1/tenants/drainer/models/digits", key).json()
          .get("replicas").toString().contains("no worker that is not draining"), "the replica pending, with the reason");
      assertThat(viaB.post(workerPath(workerOfB) + "/undrain", OP, Map.of()).status()).isEqualTo(200);
      TestNodes.eventually(Duration.ofSeconds(30), () -> "1".equals(PlacementFeedAcrossNodesTest.version(viaB, key)),
          "digits placed on B's undrained worker");
    } finally {
      if (b != null) {
        b.stop();
      }
      a.stop();
    }
  }

  static String workerPath(String worker) {
    return "/api/v1/admin/workers/" + URLEncoder.encode(worker, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The id of the node's worker, as the cluster view lists it (its cluster host:port, then the device). */
  static String workerOf(Main.Node node, ApiClient via) {
    akka.actor.Address address = Cluster.get(node.system()).selfMember().address();
    String prefix = address.getHost().orElseThrow() + ":" + address.getPort().orElseThrow() + "/";
    return ApiClient.each(via.get("/api/v1/admin/cluster", OP).json().get("workers"), "workerId").stream()
        .filter(id -> id.startsWith(prefix)).findFirst().orElseThrow();
  }

  /** The workers on which the tenant's digits version 1 is resident, by the cluster view. */
  static List<String> holders(ApiClient via, String tenant) {
    List<String> ids = new ArrayList<>();
    for (JsonNode w : via.get("/api/v1/admin/cluster", OP).json().get("workers")) {
      for (JsonNode m : w.get("models")) {
        if (m.get("tenant").asText().equals(tenant) && m.get("model").asText().equals("digits")) {
          ids.add(w.get("workerId").asText());
        }
      }
    }
    return ids;
  }

  static JsonNode worker(JsonNode view, String id) {
    for (JsonNode w : view.get("workers")) {
      if (w.get("workerId").asText().equals(id)) {
        return w;
      }
    }
    throw new AssertionError("no worker " + id + " in " + view);
  }

  static void assertError(ApiClient.Reply reply, int status, String code) {
    assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
    assertThat(reply.code()).as(reply.toString()).isEqualTo(code);
    assertThat(reply.json().get("error").asText()).isNotBlank();
  }
}
