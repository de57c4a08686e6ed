package io.modelplane.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Load on a {@link LocalCluster} as its users make it: predict clients that spread calls over the gateways in
 * rotation and retry once on another gateway after a refused connection (as a load balancer does) or a 503
 * (after its Retry-After, capped at 2 s, as a client should);
 * and a management writer that records every change a node acknowledged (2xx) so that each can be read back.
 */
final class ClusterLoad implements AutoCloseable {
  static final String OP = TestNodes.OPERATOR_KEY;

  private final Supplier<List<LocalCluster.Node>> gateways;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  final AtomicLong predicts = new AtomicLong();
  final AtomicLong retried = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  final Queue<String> failures = new ConcurrentLinkedQueue<>();
  final Queue<Acked> acked = new ConcurrentLinkedQueue<>();
  final AtomicInteger writesRefused = new AtomicInteger();
  /** The last 503's Retry-After, capped at 2 s: how long the one retry waits. */
  private final ThreadLocal<Long> retryAfterMs = ThreadLocal.withInitial(() -> 0L);

  ClusterLoad(Supplier<List<LocalCluster.Node>> gateways) {
    this.gateways = gateways;
  }

  /** {@code clients} predict threads calling the tenant's digits ({@code key}), each pausing {@code pauseMs} between calls. */
  ClusterLoad predicting(String key, int clients, long pauseMs) {
    for (int c = 0; c < clients; c++) {
      int first = c;
      spawn("predict-" + key.substring(0, 12) + "-" + c, () -> {
        int turn = first;
        while (running.get()) {
          predictWithOneRetry(key, turn++);
          pause(pauseMs);
        }
      });
    }
    return this;
  }

  /** One predict call through gateway {@code turn} (mod the gateways in rotation); once more through the next one after a 503 or a refused connection. */
  void predictWithOneRetry(String key, int turn) {
    predicts.incrementAndGet();
    String first = predictOnce(key, turn);
    if (first == null) {
      return;
    }
    if (first.startsWith("503") || first.startsWith("connection")) {
      retried.incrementAndGet();
      if (first.startsWith("503")) {
        pause(retryAfterMs.get()); // as the 503's Retry-After asks (capped)
      }
      String second = predictOnce(key, turn + 1);
      if (second == null) {
        return;
      }
      first = first + " / retry: " + second;
    }
    failed.incrementAndGet();
    if (failures.size() < 50) {
      failures.add(java.time.Instant.now() + " " + first);
    }
  }

  /** Null when answered 200, else what went wrong. */
  private String predictOnce(String key, int turn) {
    List<LocalCluster.Node> in = gateways.get();
    if (in.isEmpty()) {
      return "connection: no gateway in rotation";
    }
    LocalCluster.Node via = in.get(Math.floorMod(turn, in.size()));
    try {
      ApiClient.Reply r = via.api().post("/v2/models/digits/infer", key, PlacementFeedAcrossNodesTest.one());
      if (r.status() == 503) {
        String after = r.header("Retry-After");
        retryAfterMs.set(after == null ? 0L : Math.min(2000L, Long.parseLong(after.trim()) * 1000));
      }
      return r.status() == 200 ? null : r.status() + " via " + via.name + ": " + r.raw().body();
    } catch (AssertionError e) { // ApiClient's wrapper of an IOException: refused, reset or timed out
      return "connection via " + via.name + ": " + e.getMessage();
    }
  }

  /**
   * A writer that creates a tenant, patches its quota and creates an API key of it, in turn, through the
   * gateways in rotation, pausing {@code pauseMs} between steps; ids start with {@code prefix}.
   */
  ClusterLoad writing(String prefix, long pauseMs) {
    spawn("writer-" + prefix, () -> {
      for (int i = 1; running.get(); i++) {
        int n = i;
        String id = prefix + "-" + n;
        List<LocalCluster.Node> in = gateways.get();
        if (in.isEmpty()) {
          pause(pauseMs);
          continue;
        }
        if (write(in, n, a -> a.post("/api/v1/tenants", OP, Map.of("id", id, "displayName", "Tenant " + n)), 201,
            r -> new TenantCreated(id, "Tenant " + n)) == null) {
          pause(pauseMs);
          continue;
        }
        pause(pauseMs);
        int maxModels = n % 40 + 1;
        write(gateways.get(), n + 1, a -> a.patch("/api/v1/tenants/" + id, OP, Map.of("quota", Map.of("maxModels", maxModels))),
            200, r -> new QuotaPatched(id, maxModels));
        pause(pauseMs);
        write(gateways.get(), n + 2, a -> a.post("/api/v1/tenants/" + id + "/api-keys", OP,
            Map.of("name", "k" + n, "role", "viewer")), 201, r -> new KeyCreated(id, r.json().get("id").asText()));
        pause(pauseMs);
      }
    });
    return this;
  }

  private Acked write(List<LocalCluster.Node> in, int turn, java.util.function.Function<ApiClient, ApiClient.Reply> call,
      int expected, java.util.function.Function<ApiClient.Reply, Acked> record) {
    if (in.isEmpty()) {
      return null;
    }
    try {
      ApiClient.Reply r = call.apply(in.get(Math.floorMod(turn, in.size())).api());
      if (r.status() == expected) {
        Acked a = record.apply(r);
        acked.add(a);
        return a;
      }
      writesRefused.incrementAndGet(); // not acknowledged: a 503 while entities move is allowed
    } catch (AssertionError e) {
      writesRefused.incrementAndGet();
    }
    return null;
  }

  /** A change a node acknowledged, and how to read it back. */
  sealed interface Acked {
    String tenant();

    /** True when {@code via} shows the change. */
    boolean readBack(ApiClient via);
  }

  record TenantCreated(String tenant, String displayName) implements Acked {
    public boolean readBack(ApiClient via) {
      ApiClient.Reply r = via.get("/api/v1/tenants/" + tenant, OP);
      return r.status() == 200 && r.json().path("displayName").asText().equals(displayName);
    }
  }

  record QuotaPatched(String tenant, int maxModels) implements Acked {
    public boolean readBack(ApiClient via) {
      ApiClient.Reply r = via.get("/api/v1/tenants/" + tenant, OP);
      return r.status() == 200 && r.json().path("quota").path("maxModels").asInt() == maxModels;
    }
  }

  record KeyCreated(String tenant, String keyId) implements Acked {
    public boolean readBack(ApiClient via) {
      ApiClient.Reply r = via.get("/api/v1/tenants/" + tenant + "/api-keys", OP);
      return r.status() == 200 && ApiClient.each(r.json().get("apiKeys"), "id").contains(keyId);
    }
  }

  /** The acknowledged changes {@code via} does not show, each given up to {@code each} to answer (a 503 while entities move is retried). */
  List<Acked> lost(ApiClient via, Duration each) {
    List<Acked> lost = new ArrayList<>();
    for (Acked a : acked) {
      long deadline = System.nanoTime() + each.toNanos();
      boolean seen = false;
      while (!seen && System.nanoTime() < deadline) {
        try {
          seen = a.readBack(via);
        } catch (AssertionError e) {
          seen = false;
        }
        if (!seen) {
          pause(200);
        }
      }
      if (!seen) {
        lost.add(a);
      }
    }
    return lost;
  }

  /** The tenants whose creation was acknowledged. */
  List<String> tenants() {
    return acked.stream().filter(a -> a instanceof TenantCreated).map(Acked::tenant).toList();
  }

  String summary() {
    return String.format("predicts %d, retried once %d, failed after the retry %d (%.4f%% succeeded); writes acknowledged %d, not acknowledged %d",
        predicts.get(), retried.get(), failed.get(), successPercent(), acked.size(), writesRefused.get());
  }

  double successPercent() {
    long n = predicts.get();
    return n == 0 ? 0 : 100.0 * (n - failed.get()) / n;
  }

  private void spawn(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    threads.add(t);
  }

  /** Stops every thread and waits for its call in flight. */
  @Override
  public void close() {
    running.set(false);
    for (Thread t : threads) {
      try {
        t.join(Duration.ofSeconds(45).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
