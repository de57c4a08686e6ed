package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged means durable: a node in its own JVM makes one change, answers 2xx, is killed with
 * SIGKILL right after the answer and started again on the same data; every change ever acknowledged
 * must still be there, and a version number once given out is never given out again. Rotates over
 * creating a tenant, uploading a version, deploying, patching a quota and creating an API key.
 * {@code -Dmodelplane.crashLoops=N} (the {@code stress} profile: 50) sets the kills per store.
 */
class CrashLoopTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final int LOOPS = Integer.getInteger("modelplane.crashLoops", 5);
  static final String TENANT = "crash";
  static final String MODEL = "digits";
  static final Duration START = Duration.ofSeconds(90);

  @Test
  void acknowledgedChangesSurviveKillOnH2(@TempDir Path dir) {
    loop(dir, Map.of(), "H2");
  }

  @Test
  void acknowledgedChangesSurviveKillOnPostgres(@TempDir Path dir) throws IOException {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      loop(dir, Map.of(
          "MODELPLANE_DB_URL", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres",
          "MODELPLANE_DB_USER", "postgres",
          "MODELPLANE_DB_PASSWORD", "postgres"), "PostgreSQL");
    }
  }

  /** A change the node acknowledged, and how to see whether it is still there. */
  private sealed interface Acked {
    String what();
  }

  private record TenantCreated(String id) implements Acked {
    public String what() {
      return "tenant " + id;
    }
  }

  private record VersionUploaded(int version, String sha256) implements Acked {
    public String what() {
      return "version " + version + " (" + sha256.substring(0, 12) + ")";
    }
  }

  private record Deployed(long revision) implements Acked {
    public String what() {
      return "deployment revision " + revision;
    }
  }

  private record QuotaPatched(int burst) implements Acked {
    public String what() {
      return "quota burst " + burst;
    }
  }

  private record KeyCreated(String id, String secret) implements Acked {
    public String what() {
      return "API key " + id;
    }
  }

  private void loop(Path dir, Map<String, String> dbEnv, String label) {
    // no worker role: the journal is what is tested, and a node without one starts faster
    Map<String, String> db = new java.util.HashMap<>(dbEnv);
    db.put("MODELPLANE_ROLES", "control,gateway");
    Path data = dir.resolve("data");
    Path log = dir.resolve("node.log");
    byte[] digits = digits();
    List<Acked> acked = new ArrayList<>();
    List<String> lost = new ArrayList<>();
    long maxKillMicros = 0;
    long restartNanos = 0;
    long loopStart = 0;
    int reused = 0;
    NodeProcess node = NodeProcess.start(data, log, db);
    try {
      node.awaitReady(START);
      ApiClient api = new ApiClient(node.baseUrl());
      int maxVersion = 0;
      int burst = 200;
      loopStart = System.nanoTime();
      for (int i = 0; i < LOOPS; i++) {
        // set up again whatever a loss took away, so that the loop goes on counting (never on the fixed code)
        if (api.get("/api/v1/tenants/" + TENANT, OP).status() == 404) {
          assertThat(api.post("/api/v1/tenants", OP, Map.of("id", TENANT, "displayName", "Crash Ltd")).status())
              .isEqualTo(201);
        }
        ApiClient.Reply versions = api.get("/api/v1/tenants/" + TENANT + "/models/" + MODEL + "/versions", OP);
        int deployable = versions.status() == 200 ? versions.json().get("versions").size() : 0;
        ApiClient.Reply reply;
        Acked change;
        int kind = i % 5 == 1 && deployable == 0 ? 0 : i % 5;
        switch (kind) {
          case 0 -> {
            reply = api.upload(TENANT, MODEL, OP, ApiClient.digitsManifest(), digits);
            assertThat(reply.status()).as("upload: %s", reply).isEqualTo(201);
            change = new VersionUploaded(reply.json().get("version").asInt(), reply.json().get("sha256").asText());
            if (((VersionUploaded) change).version() <= maxVersion) {
              reused++;
            }
            maxVersion = Math.max(maxVersion, ((VersionUploaded) change).version());
          }
          case 1 -> {
            reply = api.put("/api/v1/tenants/" + TENANT + "/models/" + MODEL + "/deployment", OP,
                Map.of("traffic", Map.of(String.valueOf(deployable), 100)));
            assertThat(reply.status()).as("deploy: %s", reply).isEqualTo(202);
            change = new Deployed(reply.json().get("revision").asLong());
          }
          case 2 -> {
            burst++;
            reply = api.patch("/api/v1/tenants/" + TENANT, OP, Map.of("quota", Map.of("burst", burst)));
            assertThat(reply.status()).as("patch: %s", reply).isEqualTo(200);
            change = new QuotaPatched(burst);
          }
          case 3 -> {
            reply = api.post("/api/v1/tenants/" + TENANT + "/api-keys", OP, Map.of("name", "k" + i, "role", "viewer"));
            assertThat(reply.status()).as("key: %s", reply).isEqualTo(201);
            change = new KeyCreated(reply.json().get("id").asText(), reply.json().get("key").asText());
          }
          default -> {
            reply = api.post("/api/v1/tenants", OP, Map.of("id", TENANT + "-" + i, "displayName", "Crash " + i));
            assertThat(reply.status()).as("create: %s", reply).isEqualTo(201);
            change = new TenantCreated(TENANT + "-" + i);
          }
        }
        long answered = System.nanoTime();
        long killed = node.kill(); // SIGKILL, sent right after the 2xx arrived
        maxKillMicros = Math.max(maxKillMicros, (killed - answered) / 1_000);
        acked.add(change);

        long t0 = System.nanoTime();
        node = NodeProcess.start(data, log, db);
        node.awaitReady(START);
        restartNanos += System.nanoTime() - t0;
        api = new ApiClient(node.baseUrl());
        for (Acked a : acked) {
          if (!present(api, a, acked)) {
            lost.add("after kill " + (i + 1) + ": " + a.what());
          }
        }
        // a loss is counted once: what is gone is not checked again
        acked.removeIf(a -> lost.stream().anyMatch(l -> l.endsWith(": " + a.what())));
      }
    } finally {
      node.close();
    }
    long totalMs = (System.nanoTime() - loopStart) / 1_000_000;
    String line = String.format("%s crash loop: %d kills (max %d µs after the 2xx), %d acknowledged changes lost,"
            + " %d version numbers reused; restart+ready mean %d ms, %d ms per iteration",
        label, LOOPS, maxKillMicros, lost.size(), reused, restartNanos / 1_000_000 / LOOPS, totalMs / LOOPS);
    System.out.println(line);
    lost.forEach(l -> System.out.println("  lost " + l));
    assertThat(lost).as("acknowledged changes lost on %s", label).isEmpty();
    assertThat(reused).as("version numbers given out twice").isZero();
    assertThat(maxKillMicros).as("kill within 10 ms of the answer").isLessThan(10_000);
  }

  private static boolean present(ApiClient api, Acked a, List<Acked> all) {
    String tenant = "/api/v1/tenants/" + TENANT;
    if (a instanceof TenantCreated t) {
      return api.get("/api/v1/tenants/" + t.id(), OP).status() == 200;
    }
    if (a instanceof VersionUploaded v) {
      ApiClient.Reply r = api.get(tenant + "/models/" + MODEL + "/versions/" + v.version(), OP);
      return r.status() == 200 && r.json().get("sha256").asText().equals(v.sha256());
    }
    if (a instanceof Deployed d) {
      JsonNode deployment = api.get(tenant + "/models/" + MODEL + "/deployment", OP).json();
      return deployment.path("revision").asLong() >= d.revision();
    }
    if (a instanceof QuotaPatched q) {
      // only the latest patch is the quota now; an earlier one is there if a later one is
      int latest = all.stream().filter(QuotaPatched.class::isInstance).mapToInt(p -> ((QuotaPatched) p).burst())
          .max().orElseThrow();
      int burst = api.get(tenant, OP).json().path("quota").path("burst").asInt();
      return q.burst() == latest ? burst == latest : burst >= q.burst();
    }
    KeyCreated k = (KeyCreated) a;
    return api.get(tenant + "/models", k.secret()).status() == 200;
  }

  private static byte[] digits() {
    try (InputStream in = CrashLoopTest.class.getResourceAsStream("/io/modelplane/inference/demo/digits.pt")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
