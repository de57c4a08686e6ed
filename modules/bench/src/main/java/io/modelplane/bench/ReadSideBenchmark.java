package io.modelplane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The control plane's read side at 100, 1,000 and 10,000 tenants on PostgreSQL: how long a node
 * takes from start to ready, the heap it keeps live, and the latency of the paged tenant list and
 * the operator's audit query. Tenants are seeded through the real management API (each: create,
 * three models each with one uploaded version and a deployment, a quota change and an API key),
 * incrementally into one database kept in the work directory, so a later run reuses it.
 */
public final class ReadSideBenchmark {

  static final String OPERATOR_KEY = "mp_operator_readside_bench_0123456789abcdef";
  static final List<String> MODELS = List.of("model-a", "model-b", "model-c");
  static final double LIST_P50_TARGET_MS = 20;
  static final double AUDIT_P50_TARGET_MS = 20;
  private static final Duration START = Duration.ofMinutes(10);
  private static final Duration WALK_BOUND = Duration.ofMinutes(3);
  private static final Duration SETTLE = Duration.ofSeconds(5);
  private static final int WARM_UP_ATTEMPTS = 5;

  static final String USAGE = """
      usage: ReadSideBenchmark [options]
        --tenants N[,N...]        tenant counts to measure, ascending (default 100,1000,10000); the
                                  database is seeded up to each in turn and kept for the next run
        --jar PATH                server jar (default modules/app/target/modelplane.jar)
        --work-dir PATH           database, node data, logs, report.md (default modules/bench/target/readside);
                                  reuse it to skip seeding; a jar whose journal format differs needs its own
        --concurrency C           seeding calls in flight (default 16)
        --list-requests N         timed GET /api/v1/tenants?limit=100 requests, walking pages (default 200)
        --audit-requests N        timed GET /api/v1/admin/audit?tenant=... requests (default 200)
                                  (each timed query also stops after 3 minutes)
        --roles R                 MODELPLANE_ROLES of the node (default control,gateway: no worker,
                                  so the 3 deployments per tenant are recorded but load nothing)
        --server-java-opts "OPTS" extra JVM options of the node (default none)
        --db-url URL --db-user U --db-password P   an existing PostgreSQL instead of the embedded one
      """;

  record Options(List<Integer> tenants, Path jar, Path workDir, int concurrency, int listRequests, int auditRequests,
      String roles, String serverJavaOpts, String dbUrl, String dbUser, String dbPassword) {

    static Options parse(String[] args) {
      List<Integer> tenants = List.of(100, 1_000, 10_000);
      Path jar = Path.of("modules/app/target/modelplane.jar");
      Path workDir = Path.of("modules/bench/target/readside");
      int concurrency = 16;
      int listRequests = 200;
      int auditRequests = 200;
      String roles = "control,gateway";
      String javaOpts = "";
      String dbUrl = null;
      String dbUser = "postgres";
      String dbPassword = "postgres";
      for (Map.Entry<String, String> option : BenchMain.optionPairs(args, USAGE)) {
        String name = option.getKey();
        String value = option.getValue();
        switch (name) {
          case "--tenants" -> tenants = Arrays.stream(value.split(",")).map(String::trim)
              .map(v -> BenchOptions.positive(name, v.replace("_", ""))).sorted().toList();
          case "--jar" -> jar = Path.of(value);
          case "--work-dir" -> workDir = Path.of(value);
          case "--concurrency" -> concurrency = BenchOptions.positive(name, value);
          case "--list-requests" -> listRequests = BenchOptions.positive(name, value);
          case "--audit-requests" -> auditRequests = BenchOptions.positive(name, value);
          case "--roles" -> roles = value;
          case "--server-java-opts" -> javaOpts = value;
          case "--db-url" -> dbUrl = value;
          case "--db-user" -> dbUser = value;
          case "--db-password" -> dbPassword = value;
          default -> throw new IllegalArgumentException("unknown option " + name + "\n" + USAGE);
        }
      }
      return new Options(tenants, jar, workDir, concurrency, listRequests, auditRequests, roles, javaOpts, dbUrl,
          dbUser, dbPassword);
    }
  }

  /** One timed query: its latencies, or why it was not measured. */
  record Query(String label, Latencies latencies, String note) {
    static Query skipped(String label, String why) {
      return new Query(label, null, why);
    }
  }

  /** Everything measured at one tenant count. */
  record Step(int requested, int tenants, String seeding, Duration startToReady, ServerProcess.Memory afterReady,
      ServerProcess.Memory afterReads, List<Query> queries, List<String> notes) {}

  private ReadSideBenchmark() {}

  public static void main(String[] args) {
    BenchMain.main(ReadSideBenchmark.class, args, Options::parse, ReadSideBenchmark::run);
  }

  static int run(Options o, String[] args) throws IOException, InterruptedException {
    Reporter out = new Reporter();
    Files.createDirectories(o.workDir());
    Path seededFile = o.workDir().resolve("seeded-tenants.txt");
    Path nodeData = o.workDir().resolve("node");
    HttpClient http = BenchMain.httpClient();
    BenchModel digits = BenchModel.digits(Files.createDirectories(o.workDir().resolve("model")), new int[] {8, 0});
    List<Step> steps = new ArrayList<>();
    boolean failed = false;
    try (BenchDatabase db = o.dbUrl() != null ? BenchDatabase.external(o.dbUrl(), o.dbUser(), o.dbPassword())
        : BenchDatabase.embedded(o.workDir().resolve("postgres").toAbsolutePath())) {
      out.progress("database: " + db.describe() + "; work directory " + o.workDir().toAbsolutePath());
      Map<String, String> env = new java.util.LinkedHashMap<>(db.env());
      env.put("MODELPLANE_ROLES", o.roles());
      for (int target : o.tenants()) {
        int seeded = Files.exists(seededFile) ? Integer.parseInt(Files.readString(seededFile).trim()) : 0;
        String seeding = "reused (" + seeded + " seeded before)";
        List<String> notes = new ArrayList<>();
        if (seeded < target) {
          Path log = o.workDir().resolve("seed-" + target + ".log");
          try (ServerProcess node = ServerProcess.start(o.jar(), nodeData, log, OPERATOR_KEY, o.serverJavaOpts(), env)) {
            node.awaitReady(http, START);
            ModelPlaneClient client = new ModelPlaneClient(http, node.base(), OPERATOR_KEY);
            out.progress("seeding tenants " + seeded + ".." + (target - 1) + " with " + o.concurrency()
                + " in flight (node pid " + node.pid() + ", log " + log + ")");
            long t0 = System.nanoTime();
            long calls = seed(client, digits, seeded, target, o.concurrency(), out);
            double s = (System.nanoTime() - t0) / 1e9;
            Files.writeString(seededFile, String.valueOf(target));
            seeding = String.format(Locale.ROOT, "%,d tenants, %,d calls (%,d of them retries after a 503/429/504"
                + " or a timeout) in %.0f s (%,.0f calls/s)", target - seeded, calls, RETRIES.getAndSet(0), s, calls / s);
            out.progress("seeded: " + seeding);
            String lag = listCatchUp(client, target, "seeding ended", out);
            if (lag != null) {
              notes.add(lag);
            }
          }
          seeded = target;
        } else if (seeded > target) {
          notes.add("the database already holds " + seeded + " tenants: measured at that count");
        }
        try {
          steps.add(measure(o, http, nodeData, env, target, seeded, seeding, notes, out));
        } catch (RuntimeException | IOException e) {
          out.progress("FAILED at " + target + " tenants: " + e.getMessage());
          failed = true;
          break;
        }
      }
    }
    String command = BenchMain.command(ReadSideBenchmark.class, args);
    String markdown = render(steps, o, command);
    BenchMain.publish(o.workDir(), markdown, out);
    return failed ? 1 : 0;
  }

  static String tenantId(int i) {
    return String.format(Locale.ROOT, "rs-%05d", i);
  }

  /**
   * Tenants {@code from..to-1}: create (an existing one is taken as is), per model one upload of the
   * same artifact and a deployment, a quota change and a viewer API key. Returns the calls made.
   */
  private static long seed(ModelPlaneClient client, BenchModel model, int from, int to, int concurrency, Reporter out)
      throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    AtomicInteger next = new AtomicInteger(from);
    AtomicInteger done = new AtomicInteger();
    AtomicLong calls = new AtomicLong();
    List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      workers.add(pool.submit(() -> {
        for (int i = next.getAndIncrement(); i < to && errors.size() < 20; i = next.getAndIncrement()) {
          String tenant = tenantId(i);
          try {
            seedTenant(client, model, tenant, calls);
          } catch (Exception e) {
            errors.add(tenant + ": " + e.getMessage());
          }
          int n = done.incrementAndGet();
          if (n % 500 == 0) {
            out.progress("  " + (from + n) + " tenants");
          }
        }
        return null;
      }));
    }
    pool.shutdown();
    for (Future<?> f : workers) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        errors.add(e.getCause().toString());
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalStateException("seeding failed (" + errors.size() + " errors), first: " + errors.subList(0,
          Math.min(3, errors.size())));
    }
    return calls.get();
  }

  private static void seedTenant(ModelPlaneClient client, BenchModel model, String tenant, AtomicLong calls)
      throws IOException, InterruptedException {
    ModelPlaneClient.Reply created = retrying(calls, () -> answered(client.call("POST", "/api/v1/tenants",
        "{\"id\":\"" + tenant + "\",\"displayName\":\"Read side " + tenant + "\"}"), "POST /api/v1/tenants"));
    // 409: an earlier run (or a retried create whose first answer was lost) made it
    boolean existed = created.status() == 409;
    if (!created.ok() && !existed) {
      throw new IllegalStateException("POST /api/v1/tenants -> " + created.status() + " " + created.body());
    }
    for (String m : MODELS) {
      int version = 0;
      if (existed) {
        // a tenant an interrupted run left half-seeded: upload only what it lacks
        ModelPlaneClient.Reply r = retrying(calls, () -> answered(
            client.call("GET", "/api/v1/tenants/" + tenant + "/models/" + m, null), "GET model"));
        if (r.status() == 200 && r.json().path("versions").size() > 0) {
          version = r.json().path("versions").get(0).path("version").asInt(1);
        }
      }
      if (version == 0) {
        version = retrying(calls, () -> client.upload(OPERATOR_KEY, tenant, m, model.manifestJson(), model.artifact()));
      }
      int deployed = version;
      retrying(calls, () -> {
        client.deploy(OPERATOR_KEY, tenant, m, deployed, 8, 0, null);
        return null;
      });
    }
    expectOk(retrying(calls, () -> answered(client.call("PATCH", "/api/v1/tenants/" + tenant,
        "{\"quota\":{\"requestsPerSecond\":500.0,\"burst\":1000,\"maxConcurrentRequests\":null,\"maxModels\":null,"
            + "\"maxVersionsPerModel\":null,\"maxResidentBytes\":null,\"monthlyComputeSeconds\":null}}"),
        "PATCH tenant")), "PATCH tenant");
    expectOk(retrying(calls, () -> answered(client.call("POST", "/api/v1/tenants/" + tenant + "/api-keys",
        "{\"name\":\"reader\",\"role\":\"viewer\"}"), "POST api-keys")), "POST api-keys");
  }

  /** Attempts of one call before seeding gives up on it. */
  private static final int ATTEMPTS = 8;
  /** Calls repeated after a transient refusal (503, 429, 504) or a timeout, over the whole seeding. */
  private static final AtomicLong RETRIES = new AtomicLong();

  /** The reply, or an exception naming the status when it is one a client should retry ("retry shortly"). */
  private static ModelPlaneClient.Reply answered(ModelPlaneClient.Reply r, String what) {
    if (r.status() == 503 || r.status() == 429 || r.status() == 504) {
      throw new IllegalStateException(what + " -> " + r.status() + " " + abbreviate(r.body()));
    }
    return r;
  }

  /**
   * Runs {@code action}, again after a pause when it failed transiently (a timeout or a 503/429/504):
   * a node just started or under seeding load asks clients to retry shortly, and a real client does.
   */
  private static <T> T retrying(AtomicLong calls, java.util.concurrent.Callable<T> action)
      throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      calls.incrementAndGet();
      try {
        return action.call();
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        boolean retry = e instanceof IOException
            || String.valueOf(e.getMessage()).matches("(?s).*-> (503|429|504)\\b.*");
        if (!retry || attempt >= ATTEMPTS) {
          if (e instanceof IOException io) {
            throw io;
          }
          throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
        }
        RETRIES.incrementAndGet();
        Thread.sleep(Math.min(5_000, 200L * attempt * attempt));
      }
    }
  }

  private static void expectOk(ModelPlaneClient.Reply r, String what) {
    if (!r.ok()) {
      throw new IllegalStateException(what + " -> " + r);
    }
  }

  /** How long after seeding the paged list shows every tenant (the read side catching up), or null if not paged. */
  private static String listCatchUp(ModelPlaneClient client, int expected, String since, Reporter out)
      throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + WALK_BOUND.toNanos();
    int seen = -1;
    while (System.nanoTime() < deadline) {
      Walk walk = walkTenants(client, 500, Integer.MAX_VALUE, null);
      if (walk.failure() != null || !walk.paged()) {
        return null;
      }
      seen = walk.tenants();
      if (seen >= expected) {
        String note = String.format(Locale.ROOT, "list complete %.1f s after %s", (System.nanoTime() - t0) / 1e9, since);
        out.progress(note);
        return note;
      }
      Thread.sleep(200);
    }
    return "list still short after " + WALK_BOUND.toSeconds() + " s: " + seen + " of " + expected + " tenants";
  }

  private static Step measure(Options o, HttpClient http, Path nodeData, Map<String, String> env, int requested,
      int tenants, String seeding, List<String> notes, Reporter out) throws IOException, InterruptedException {
    Path log = o.workDir().resolve("measure-" + requested + ".log");
    try (ServerProcess node = ServerProcess.start(o.jar(), nodeData, log, OPERATOR_KEY, o.serverJavaOpts(), env)) {
      Duration start = node.startToReady(http, START);
      out.progress(String.format(Locale.ROOT, "%,d tenants: node pid %d ready %.2f s after start", tenants, node.pid(),
          start.toMillis() / 1000.0));
      // what start-up leaves behind (recovery buffers, the first shard allocations) settles within seconds
      Thread.sleep(SETTLE.toMillis());
      ServerProcess.Memory afterReady = node.memoryAfterGc();
      out.progress("  heap " + SETTLE.toSeconds() + " s after ready, after a full GC: " + mb(afterReady.heapUsedBytes())
          + " MB live, RSS " + mb(afterReady.rssBytes()) + " MB");
      ModelPlaneClient client = new ModelPlaneClient(http, node.base(), OPERATOR_KEY);
      // a journal another build wrote (or one seeded without this node's read tables) is caught up first
      String caughtUp = listCatchUp(client, tenants, "ready (+ " + SETTLE.toSeconds() + " s and a GC)", out);
      if (caughtUp != null) {
        notes.add(caughtUp);
      }
      List<Query> queries = new ArrayList<>();
      queries.add(listQuery(client, o.listRequests(), tenants, notes, out));
      queries.addAll(auditQueries(client, o.auditRequests(), tenants, notes, out));
      queries.add(modelsQuery(client, o.listRequests(), tenants, out));
      queries.add(historyQuery(client, o.auditRequests(), tenants, out));
      ServerProcess.Memory afterReads = node.memoryAfterGc();
      out.progress("  heap after the reads and a full GC: " + mb(afterReads.heapUsedBytes()) + " MB live, RSS "
          + mb(afterReads.rssBytes()) + " MB");
      return new Step(requested, tenants, seeding, start, afterReady, afterReads, queries, notes);
    } catch (RuntimeException | IOException e) {
      out.progress("node log " + log + " (last lines):\n" + tailOf(log));
      throw e;
    }
  }

  /** One walk of the tenant list by its cursor. */
  record Walk(int tenants, int pages, boolean paged, String failure) {}

  /**
   * Walks {@code GET /api/v1/tenants?limit=L} page by page (at most {@code maxPages}), timing each
   * request into {@code nanos} when given. An answer without a {@code next} field is a list that is
   * not paged: one page with everything.
   */
  private static Walk walkTenants(ModelPlaneClient client, int limit, int maxPages, List<Long> nanos)
      throws IOException, InterruptedException {
    String after = null;
    int tenants = 0;
    int pages = 0;
    boolean paged = true;
    while (pages < maxPages) {
      String path = "/api/v1/tenants?limit=" + limit + (after == null ? "" : "&after=" + encode(after));
      long t0 = System.nanoTime();
      ModelPlaneClient.Reply r = client.call("GET", path, null);
      long took = System.nanoTime() - t0;
      if (r.status() != 200) {
        return new Walk(tenants, pages, paged, "GET " + path + " -> " + r.status() + " " + abbreviate(r.body()));
      }
      if (nanos != null) {
        nanos.add(took);
      }
      pages++;
      JsonNode body = r.json();
      tenants += body.path("tenants").size();
      if (!body.has("next")) {
        paged = false;
        break;
      }
      if (body.get("next").isNull() || body.get("next").asText().isEmpty()) {
        break;
      }
      after = body.get("next").asText();
    }
    return new Walk(tenants, pages, paged, null);
  }

  private static Query listQuery(ModelPlaneClient client, int requests, int tenants, List<String> notes, Reporter out)
      throws IOException, InterruptedException {
    String label = "GET /api/v1/tenants?limit=100 (walking pages)";
    List<Long> nanos = new ArrayList<>();
    // warm-up: one whole walk untimed; a node that reads every tenant's entity for its list may time
    // out (503) the first times while those entities recover, so it gets a few attempts
    Walk first = null;
    String lastFailure = null;
    int attempts = 0;
    for (; attempts < WARM_UP_ATTEMPTS; attempts++) {
      first = walkTenants(client, 100, Integer.MAX_VALUE, null);
      if (first.failure() == null) {
        break;
      }
      lastFailure = first.failure();
      out.progress("  list warm-up attempt " + (attempts + 1) + ": " + first.failure());
      Thread.sleep(2_000);
    }
    if (first.failure() != null) {
      return Query.skipped(label, first.failure() + " (all " + WARM_UP_ATTEMPTS + " warm-up walks)");
    }
    if (attempts > 0) {
      notes.add("list answered only from warm-up walk " + (attempts + 1) + " on (before: " + lastFailure + ")");
    }
    String shape = first.paged()
        ? String.format(Locale.ROOT, "paged: %,d tenants in %,d pages of 100", first.tenants(), first.pages())
        : String.format(Locale.ROOT, "NOT paged (no `next` field): one answer with all %,d tenants", first.tenants());
    if (first.tenants() < tenants) {
      shape += String.format(Locale.ROOT, "; SHORT: %,d of %,d tenants", first.tenants(), tenants);
    }
    notes.add("list " + shape);
    out.progress("  list " + shape);
    long deadline = System.nanoTime() + WALK_BOUND.toNanos();
    while (nanos.size() < requests && System.nanoTime() < deadline) {
      Walk w = walkTenants(client, 100, requests - nanos.size(), nanos);
      if (w.failure() != null) {
        return Query.skipped(label, w.failure());
      }
    }
    Latencies l = latencies(nanos);
    out.progress(String.format(Locale.ROOT, "  list: %d requests, p50 %.2f ms, p99 %.2f ms", l.count(), l.p50(), l.p99()));
    return new Query(label, l, shape);
  }

  private static List<Query> auditQueries(ModelPlaneClient client, int requests, int tenants, List<String> notes,
      Reporter out) throws IOException, InterruptedException {
    String byTenant = "GET /api/v1/admin/audit?tenant=T&limit=100";
    String byModel = "GET /api/v1/admin/audit?tenant=T&model=M&limit=100";
    String unfiltered = "GET /api/v1/admin/audit?limit=500 (walking all rows)";
    ModelPlaneClient.Reply probe = client.call("GET", "/api/v1/admin/audit?limit=1", null);
    if (probe.status() != 200) {
      String why = probe.status() == 404
          ? "404: this build has no audit endpoint (" + abbreviate(probe.body()) + ")"
          : "answered " + probe.status() + ": " + abbreviate(probe.body());
      out.progress("  audit " + why);
      return List.of(Query.skipped(byTenant, why), Query.skipped(byModel, why), Query.skipped(unfiltered, why));
    }
    List<Query> queries = new ArrayList<>();
    // every row once, oldest first: the total the filtered queries search in
    List<Long> pageNanos = new ArrayList<>();
    long rows = 0;
    String after = null;
    long walkDeadline = System.nanoTime() + WALK_BOUND.toNanos();
    boolean complete = false;
    while (System.nanoTime() < walkDeadline) {
      String path = "/api/v1/admin/audit?limit=500" + (after == null ? "" : "&after=" + encode(after));
      long t0 = System.nanoTime();
      ModelPlaneClient.Reply r = client.call("GET", path, null);
      pageNanos.add(System.nanoTime() - t0);
      if (r.status() != 200) {
        queries.add(Query.skipped(unfiltered, "GET " + path + " -> " + r.status() + " " + abbreviate(r.body())));
        break;
      }
      JsonNode body = r.json();
      rows += body.path("entries").size();
      JsonNode next = body.get("next");
      if (next == null || next.isNull() || next.asText().isEmpty()) {
        complete = true;
        break;
      }
      after = next.asText();
    }
    String total = String.format(Locale.ROOT, "%,d audit rows%s", rows, complete ? "" : " (walk stopped at the time bound)");
    notes.add(total);
    out.progress("  audit: " + total + " in " + pageNanos.size() + " pages");
    queries.add(new Query(unfiltered, latencies(pageNanos), total));
    SplittableRandom random = new SplittableRandom(11);
    for (boolean withModel : new boolean[] {false, true}) {
      List<Long> nanos = new ArrayList<>();
      long returned = 0;
      String failure = null;
      long deadline = System.nanoTime() + WALK_BOUND.toNanos();
      for (int i = 0; i < requests + 20 && failure == null && System.nanoTime() < deadline; i++) {
        String tenant = tenantId(random.nextInt(tenants));
        String path = "/api/v1/admin/audit?tenant=" + tenant
            + (withModel ? "&model=" + MODELS.get(random.nextInt(MODELS.size())) : "") + "&limit=100";
        long t0 = System.nanoTime();
        ModelPlaneClient.Reply r = client.call("GET", path, null);
        long took = System.nanoTime() - t0;
        if (r.status() != 200) {
          failure = "GET " + path + " -> " + r.status() + " " + abbreviate(r.body());
        } else if (i >= 20) {
          // the first 20 warm the path up
          nanos.add(took);
          returned += r.json().path("entries").size();
        }
      }
      String label = withModel ? byModel : byTenant;
      if (failure != null) {
        queries.add(Query.skipped(label, failure));
        continue;
      }
      Latencies l = latencies(nanos);
      String rowsEach = String.format(Locale.ROOT, "%.1f rows per answer", returned / (double) nanos.size());
      out.progress(String.format(Locale.ROOT, "  %s: %d requests, p50 %.2f ms, p99 %.2f ms, %s", label, l.count(), l.p50(),
          l.p99(), rowsEach));
      queries.add(new Query(label, l, rowsEach));
    }
    return queries;
  }

  /** The per-model history, which both the old and the new system answer: the audit's closest baseline. */
  private static Query historyQuery(ModelPlaneClient client, int requests, int tenants, Reporter out)
      throws IOException, InterruptedException {
    return randomQuery(client, "GET /api/v1/tenants/T/models/M/history", 13, requests, out,
        random -> "/api/v1/tenants/" + tenantId(random.nextInt(tenants)) + "/models/"
            + MODELS.get(random.nextInt(MODELS.size())) + "/history");
  }

  /** One tenant's models, paged like the tenant list (one page: a tenant has 3). */
  private static Query modelsQuery(ModelPlaneClient client, int requests, int tenants, Reporter out)
      throws IOException, InterruptedException {
    return randomQuery(client, "GET /api/v1/tenants/T/models?limit=100", 17, requests, out,
        random -> "/api/v1/tenants/" + tenantId(random.nextInt(tenants)) + "/models?limit=100");
  }

  /** {@code requests} GETs of paths drawn at random (after 20 untimed ones), at most 3 minutes. */
  private static Query randomQuery(ModelPlaneClient client, String label, long seed, int requests, Reporter out,
      java.util.function.Function<SplittableRandom, String> paths) throws IOException, InterruptedException {
    SplittableRandom random = new SplittableRandom(seed);
    List<Long> nanos = new ArrayList<>();
    long deadline = System.nanoTime() + WALK_BOUND.toNanos();
    for (int i = 0; i < requests + 20 && System.nanoTime() < deadline; i++) {
      String path = paths.apply(random);
      long t0 = System.nanoTime();
      ModelPlaneClient.Reply r = client.call("GET", path, null);
      long took = System.nanoTime() - t0;
      if (r.status() != 200) {
        out.progress("  " + label + ": GET " + path + " -> " + r.status());
        return Query.skipped(label, "GET " + path + " -> " + r.status() + " " + abbreviate(r.body()));
      }
      if (i >= 20) {
        nanos.add(took);
      }
    }
    Latencies l = latencies(nanos);
    out.progress(String.format(Locale.ROOT, "  %s: %d requests, p50 %.2f ms, p99 %.2f ms", label, l.count(), l.p50(),
        l.p99()));
    return new Query(label, l, "");
  }

  static String render(List<Step> steps, Options o, String command) {
    StringBuilder md = ReportTable.begin("ModelPlane read side: start, heap, paged lists and audit by tenant count", command);
    md.append(String.format(Locale.ROOT, "%s; jar `%s`; node roles `%s`; PostgreSQL journal. Each tenant:"
            + " create, 3 models × (upload of the same %s artifact + deployment), a quota change, an API key. Start ="
            + " child JVM launched → first 200 of `/v2/health/ready`; heap = `jcmd GC.run` then `GC.heap_info` used;"
            + " latencies are sequential single requests from this JVM over loopback.%n%n",
        ReportTable.machine(), o.jar(), o.roles(), "digits"));
    md.append("| tenants | start → ready s | live heap 5 s after ready MB | after reads MB | RSS MB | query | requests | p50 ms | p99 ms | max ms | note |\n");
    md.append("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|\n");
    for (Step s : steps) {
      boolean firstRow = true;
      for (Query q : s.queries()) {
        String head = firstRow
            ? String.format(Locale.ROOT, "| %,d | %.2f | %s | %s | %s ", s.tenants(), s.startToReady().toMillis() / 1000.0,
                mb(s.afterReady().heapUsedBytes()), mb(s.afterReads().heapUsedBytes()), mb(s.afterReads().rssBytes()))
            : "| | | | | ";
        firstRow = false;
        if (q.latencies() == null) {
          md.append(head).append("| ").append(q.label()).append(" | - | - | - | - | ").append(q.note()).append(" |\n");
        } else {
          md.append(head).append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %s |%n", q.label(),
              q.latencies().count(), q.latencies().p50(), q.latencies().p99(), q.latencies().maxMs(), q.note()));
        }
      }
    }
    md.append("\n### Targets\n\n");
    for (Step s : steps) {
      for (Query q : s.queries()) {
        if (q.label().startsWith("GET /api/v1/tenants?")) {
          md.append(target(String.format(Locale.ROOT, "%,d tenants: list p50 <= %.0f ms", s.tenants(), LIST_P50_TARGET_MS),
              q, LIST_P50_TARGET_MS));
        } else if (q.label().startsWith("GET /api/v1/admin/audit?tenant=T&limit")) {
          md.append(target(String.format(Locale.ROOT, "%,d tenants: audit by tenant p50 <= %.0f ms", s.tenants(),
              AUDIT_P50_TARGET_MS), q, AUDIT_P50_TARGET_MS));
        }
      }
    }
    if (steps.size() > 1) {
      Step first = steps.get(0);
      Step last = steps.get(steps.size() - 1);
      md.append(String.format(Locale.ROOT, "- start → ready from %,d to %,d tenants: %.2f s → %.2f s (×%.2f); live heap"
              + " after ready %s → %s MB (×%.2f)%n", first.tenants(), last.tenants(),
          first.startToReady().toMillis() / 1000.0, last.startToReady().toMillis() / 1000.0,
          last.startToReady().toMillis() / (double) Math.max(1, first.startToReady().toMillis()),
          mb(first.afterReady().heapUsedBytes()), mb(last.afterReady().heapUsedBytes()),
          last.afterReady().heapUsedBytes() / (double) Math.max(1, first.afterReady().heapUsedBytes())));
    }
    md.append('\n');
    for (Step s : steps) {
      md.append(String.format(Locale.ROOT, "- %,d tenants: seeding %s", s.tenants(), s.seeding()));
      for (String n : s.notes()) {
        md.append("; ").append(n);
      }
      md.append('\n');
    }
    return md.toString();
  }

  private static String target(String what, Query q, double limitMs) {
    if (q.latencies() == null) {
      return "- " + what + ": not measured (" + q.note() + ")\n";
    }
    return String.format(Locale.ROOT, "- %s: %.2f ms -> %s%n", what, q.latencies().p50(),
        q.latencies().p50() <= limitMs ? "met" : "NOT met");
  }

  private static Latencies latencies(List<Long> nanos) {
    long[] a = nanos.stream().mapToLong(Long::longValue).toArray();
    return Latencies.of(a, a.length);
  }

  static String mb(long bytes) {
    return bytes < 0 ? "?" : String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024));
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String abbreviate(String body) {
    String flat = body.replaceAll("\\s+", " ");
    return flat.length() <= 200 ? flat : flat.substring(0, 200) + "…";
  }

  private static String tailOf(Path log) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
    } catch (IOException | java.io.UncheckedIOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }
}
