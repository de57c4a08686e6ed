package io.modelplane.metering;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The usage tables on H2 or PostgreSQL: {@code usage_minute} (per-writer cumulative minute counts with
 * their latency buckets) and {@code resident_minute} (bytes resident per minute and worker) in, per-tenant
 * aggregates out. Plain JDBC over a small Hikari pool; every method blocks, so callers
 * on an actor must run it on a dedicated dispatcher.
 */
public final class UsageStore implements AutoCloseable {

  private static final String KEY = "tenant, minute_start, model, version, status, writer";
  private static final String LATENCY_COLUMNS = latencyColumns();
  private static final String COLUMNS =
      "tenant, model, version, minute_start, status, writer, requests, items, compute_micros, " + LATENCY_COLUMNS;
  private static final String PLACEHOLDERS = "?, ".repeat(8 + LatencyBuckets.COUNT) + "?";

  // The primary key leads with (tenant, minute_start): the index of a tenant's queries; the platform's
  // query over all tenants reads by time alone.
  private static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS usage_minute ("
      + "tenant VARCHAR(40) NOT NULL, model VARCHAR(64) NOT NULL, version VARCHAR(16) NOT NULL, "
      + "minute_start BIGINT NOT NULL, status INT NOT NULL, writer VARCHAR(64) NOT NULL, "
      + "requests BIGINT NOT NULL, items BIGINT NOT NULL, compute_micros BIGINT NOT NULL, "
      + LATENCY_COLUMNS.replace(",", " BIGINT DEFAULT 0 NOT NULL,") + " BIGINT DEFAULT 0 NOT NULL, "
      + "PRIMARY KEY (" + KEY + "))";
  private static final String CREATE_TIME_INDEX =
      "CREATE INDEX IF NOT EXISTS usage_minute_by_time ON usage_minute (minute_start)";

  // One row per (minute, worker, version): each sample of a minute keeps the largest bytes seen, so samplers
  // on several nodes, and a retried write, leave one value per minute and worker.
  private static final String RESIDENT_KEY = "tenant, minute_start, model, version, worker";
  private static final String CREATE_RESIDENT_TABLE = "CREATE TABLE IF NOT EXISTS resident_minute ("
      + "tenant VARCHAR(40) NOT NULL, model VARCHAR(64) NOT NULL, version VARCHAR(16) NOT NULL, "
      + "minute_start BIGINT NOT NULL, worker VARCHAR(128) NOT NULL, bytes BIGINT NOT NULL, "
      + "PRIMARY KEY (" + RESIDENT_KEY + "))";
  private static final String CREATE_RESIDENT_TIME_INDEX =
      "CREATE INDEX IF NOT EXISTS resident_minute_by_time ON resident_minute (minute_start)";

  private enum Dialect {
    H2("org.h2.Driver",
        "MERGE INTO usage_minute (" + COLUMNS + ") KEY (" + KEY + ") VALUES (" + PLACEHOLDERS + ")",
        "MERGE INTO resident_minute r USING (VALUES (CAST(? AS VARCHAR(40)), CAST(? AS VARCHAR(64)),"
            + " CAST(? AS VARCHAR(16)), CAST(? AS BIGINT), CAST(? AS VARCHAR(128)), CAST(? AS BIGINT)))"
            + " AS s(tenant, model, version, minute_start, worker, bytes)"
            + " ON r.tenant = s.tenant AND r.minute_start = s.minute_start AND r.model = s.model"
            + " AND r.version = s.version AND r.worker = s.worker"
            + " WHEN MATCHED THEN UPDATE SET bytes = GREATEST(r.bytes, s.bytes)"
            + " WHEN NOT MATCHED THEN INSERT (tenant, model, version, minute_start, worker, bytes)"
            + " VALUES (s.tenant, s.model, s.version, s.minute_start, s.worker, s.bytes)"),
    POSTGRES("org.postgresql.Driver",
        "INSERT INTO usage_minute (" + COLUMNS + ") VALUES (" + PLACEHOLDERS + ") ON CONFLICT (" + KEY + ")"
            + " DO UPDATE SET requests = EXCLUDED.requests, items = EXCLUDED.items,"
            + " compute_micros = EXCLUDED.compute_micros, " + latencyUpdates(),
        "INSERT INTO resident_minute (tenant, model, version, minute_start, worker, bytes) VALUES (?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (" + RESIDENT_KEY + ") DO UPDATE SET bytes = GREATEST(resident_minute.bytes, EXCLUDED.bytes)");

    final String driver;
    final String upsert;
    final String residentUpsert;

    Dialect(String driver, String upsert, String residentUpsert) {
      this.driver = driver;
      this.upsert = upsert;
      this.residentUpsert = residentUpsert;
    }

    static Dialect of(String jdbcUrl) {
      if (jdbcUrl.startsWith("jdbc:h2:")) {
        return H2;
      }
      if (jdbcUrl.startsWith("jdbc:postgresql:")) {
        return POSTGRES;
      }
      throw new IllegalArgumentException("usage store needs a jdbc:h2: or jdbc:postgresql: URL");
    }
  }

  /**
   * Run on each new PostgreSQL connection (the usage store's and the journal's): a commit is answered
   * only once it is flushed, even where the server's default turned synchronous_commit off; a stronger
   * setting (remote_write, remote_apply) is kept.
   */
  public static final String POSTGRES_DURABLE_COMMITS = "DO $$ BEGIN IF current_setting('synchronous_commit') = 'off'"
      + " THEN SET synchronous_commit = 'on'; END IF; END $$";

  private final HikariDataSource pool;
  private final Dialect dialect;

  private UsageStore(HikariDataSource pool, Dialect dialect) {
    this.pool = pool;
    this.dialect = dialect;
  }

  /** H2 or PostgreSQL, chosen by the URL prefix; creates the table if missing. Fails when the database cannot be reached. */
  public static UsageStore open(String jdbcUrl, String user, String password) {
    Dialect dialect = Dialect.of(jdbcUrl);
    HikariConfig config = new HikariConfig();
    config.setPoolName("usage-store");
    config.setDriverClassName(dialect.driver);
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(3);
    config.setMinimumIdle(1);
    // a flush against a dead database should fail fast and retry on the next tick, not hang 30 s
    config.setConnectionTimeout(5_000);
    if (dialect == Dialect.POSTGRES) {
      config.setConnectionInitSql(POSTGRES_DURABLE_COMMITS);
    }
    HikariDataSource pool = new HikariDataSource(config);
    try {
      createTable(pool);
    } catch (SQLException | RuntimeException e) {
      pool.close();
      throw new IllegalStateException("cannot prepare the usage_minute table", e);
    }
    return new UsageStore(pool, dialect);
  }

  private static void createTable(HikariDataSource pool) throws SQLException {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      try {
        s.execute(CREATE_TABLE);
        s.execute(CREATE_TIME_INDEX);
        // tables made before latencies were metered gain the columns (their old rows count no latency)
        for (int i = 0; i < LatencyBuckets.COUNT; i++) {
          s.execute("ALTER TABLE usage_minute ADD COLUMN IF NOT EXISTS " + LatencyBuckets.column(i)
              + " BIGINT DEFAULT 0 NOT NULL");
        }
        s.execute(CREATE_RESIDENT_TABLE);
        s.execute(CREATE_RESIDENT_TIME_INDEX);
      } catch (SQLException e) {
        // two nodes starting together race on PostgreSQL's IF NOT EXISTS; the loser finds the tables there
        // (and the indexes come with the next start)
        if (!tablesExist(c)) {
          throw e;
        }
      }
    }
  }

  private static boolean tablesExist(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeQuery("SELECT " + LatencyBuckets.column(LatencyBuckets.COUNT - 1) + " FROM usage_minute WHERE 1 = 0")
          .close();
      s.executeQuery("SELECT 1 FROM resident_minute WHERE 1 = 0").close();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  private static String latencyColumns() {
    StringBuilder columns = new StringBuilder();
    for (int i = 0; i < LatencyBuckets.COUNT; i++) {
      columns.append(i == 0 ? "" : ", ").append(LatencyBuckets.column(i));
    }
    return columns.toString();
  }

  private static String latencyUpdates() {
    StringBuilder updates = new StringBuilder();
    for (int i = 0; i < LatencyBuckets.COUNT; i++) {
      String column = LatencyBuckets.column(i);
      updates.append(i == 0 ? "" : ", ").append(column).append(" = EXCLUDED.").append(column);
    }
    return updates.toString();
  }

  /**
   * Upserts the rows in one transaction: each is the cumulative count of its writer, so writing
   * it again overwrites instead of adding and a retried flush never double-counts.
   */
  public void write(List<MinuteCount> rows) throws SQLException {
    upsert(dialect.upsert, rows, (ps, r) -> {
      ps.setString(1, r.tenant());
      ps.setString(2, r.model());
      ps.setString(3, r.version());
      ps.setLong(4, r.minuteEpochMillis());
      ps.setInt(5, r.status());
      ps.setString(6, r.writer());
      ps.setLong(7, r.requests());
      ps.setLong(8, r.items());
      ps.setLong(9, r.computeMicros());
      long[] latency = r.latency();
      for (int i = 0; i < latency.length; i++) {
        ps.setLong(10 + i, latency[i]);
      }
    });
  }

  /**
   * Upserts resident samples taken in the UTC minute starting at {@code minuteEpochMillis}, in one transaction:
   * a (minute, worker, version) row keeps the largest bytes written to it, so writing a sample again, or
   * another node's sample of the same worker in the same minute, never adds.
   */
  public void writeResident(long minuteEpochMillis, List<ResidentSample> samples) throws SQLException {
    if (minuteEpochMillis % 60_000L != 0) {
      throw new IllegalArgumentException("minuteEpochMillis must start a UTC minute, was " + minuteEpochMillis);
    }
    upsert(dialect.residentUpsert, samples, (ps, r) -> {
      ps.setString(1, r.tenant());
      ps.setString(2, r.model());
      ps.setString(3, r.version());
      ps.setLong(4, minuteEpochMillis);
      ps.setString(5, r.worker());
      ps.setLong(6, r.bytes());
    });
  }

  private interface Binder<T> {
    void bind(PreparedStatement ps, T row) throws SQLException;
  }

  /** Runs {@code sql} once per row, all in one transaction. */
  private <T> void upsert(String sql, List<T> rows, Binder<T> binder) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (T row : rows) {
          binder.bind(ps, row);
          ps.addBatch();
        }
        ps.executeBatch();
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /**
   * The tenant's rows whose minute lies in [from, to), summed over writers and statuses and
   * bucketed by {@code step} (UTC), ordered by start, model, version.
   */
  public List<UsageRow> query(String tenant, Instant from, Instant to, Step step) throws SQLException {
    Map<BucketKey, Sums> buckets = sums(List.of("model", "version"), tenant, from, to, step);
    List<UsageRow> rows = new ArrayList<>(buckets.size());
    buckets.forEach((k, s) -> rows.add(new UsageRow(Instant.ofEpochMilli(k.start()), k.first(), k.second(),
        s.requests, s.items, s.errors, s.computeMicros / 1000.0, s.statuses)));
    // sorted here, not in SQL: PostgreSQL's collation would order model names differently from H2's
    rows.sort(Comparator.comparing(UsageRow::start).thenComparing(UsageRow::model).thenComparing(UsageRow::version));
    return rows;
  }

  /**
   * Every tenant's rows whose minute lies in [from, to), summed per tenant over models, versions,
   * writers and statuses and bucketed by {@code step} (UTC), ordered by start and tenant: what the
   * platform bills.
   */
  public List<TenantUsageRow> queryTenants(Instant from, Instant to, Step step) throws SQLException {
    Map<BucketKey, Sums> buckets = sums(List.of("tenant"), null, from, to, step);
    List<TenantUsageRow> rows = new ArrayList<>(buckets.size());
    buckets.forEach((k, s) -> rows.add(new TenantUsageRow(Instant.ofEpochMilli(k.start()), k.first(),
        s.requests, s.items, s.errors, s.computeMicros / 1000.0, s.statuses)));
    rows.sort(Comparator.comparing(TenantUsageRow::start).thenComparing(TenantUsageRow::tenant));
    return rows;
  }

  /** Sums per (bucket, {@code columns}) and status, of one tenant or (null) of all. */
  private Map<BucketKey, Sums> sums(List<String> columns, String tenant, Instant from, Instant to, Step step)
      throws SQLException {
    // the step is one of three constants and the columns are this class's, so inlining them is safe;
    // a bind parameter in both SELECT and GROUP BY would count as two different expressions on PostgreSQL
    long width = step.millis();
    String bucket = "(minute_start / " + width + ") * " + width;
    String keys = String.join(", ", columns);
    String sql = "SELECT " + bucket + " AS bucket, " + keys + ", status, SUM(requests) AS requests, "
        + "SUM(items) AS items, SUM(compute_micros) AS compute_micros FROM usage_minute "
        + "WHERE " + (tenant == null ? "" : "tenant = ? AND ") + "minute_start >= ? AND minute_start < ? "
        + "GROUP BY " + bucket + ", " + keys + ", status";
    Map<BucketKey, Sums> buckets = new LinkedHashMap<>();
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      int p = 1;
      if (tenant != null) {
        ps.setString(p++, tenant);
      }
      ps.setLong(p++, from.toEpochMilli());
      ps.setLong(p, to.toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          BucketKey key = new BucketKey(rs.getLong("bucket"), rs.getString(columns.get(0)),
              columns.size() > 1 ? rs.getString(columns.get(1)) : "");
          buckets.computeIfAbsent(key, k -> new Sums())
              .add(rs.getInt("status"), rs.getLong("requests"), rs.getLong("items"), rs.getLong("compute_micros"));
        }
      }
    }
    return buckets;
  }

  /**
   * Per tenant (one tenant, or null: every tenant with usage), the exact totals of the minutes in [from, to):
   * requests, errors, items and compute from the usage rows, resident byte-minutes from the resident samples.
   */
  public Map<String, BillableUsage> billableUsage(String tenant, Instant from, Instant to) throws SQLException {
    String where = "WHERE " + (tenant == null ? "" : "tenant = ? AND ") + "minute_start >= ? AND minute_start < ? ";
    Map<String, long[]> sums = new TreeMap<>();
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT tenant, SUM(requests), "
          + "SUM(CASE WHEN status >= 400 THEN requests ELSE 0 END), SUM(items), SUM(compute_micros) "
          + "FROM usage_minute " + where + "GROUP BY tenant")) {
        bindRange(ps, tenant, from, to);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long[] s = sums.computeIfAbsent(rs.getString(1), t -> new long[5]);
            for (int i = 0; i < 4; i++) {
              s[i] = rs.getLong(2 + i);
            }
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT tenant, SUM(bytes) FROM resident_minute " + where + "GROUP BY tenant")) {
        bindRange(ps, tenant, from, to);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            sums.computeIfAbsent(rs.getString(1), t -> new long[5])[4] = rs.getLong(2);
          }
        }
      }
    }
    Map<String, BillableUsage> usage = new TreeMap<>();
    sums.forEach((t, s) -> usage.put(t, new BillableUsage(t, s[0], s[1], s[2], s[3], s[4])));
    return usage;
  }

  /**
   * Every tenant with calls in the minutes of [from, to): requests, errors, compute and the merged latency
   * buckets of the calls not refused as the caller's fault (statuses 4xx leave them out), ordered by tenant.
   */
  public List<TenantActivity> activity(Instant from, Instant to) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT tenant, SUM(requests), "
        + "SUM(CASE WHEN status >= 400 THEN requests ELSE 0 END), SUM(compute_micros)");
    for (int i = 0; i < LatencyBuckets.COUNT; i++) {
      sql.append(", SUM(CASE WHEN status >= 400 AND status < 500 THEN 0 ELSE ")
          .append(LatencyBuckets.column(i)).append(" END)");
    }
    sql.append(" FROM usage_minute WHERE minute_start >= ? AND minute_start < ? GROUP BY tenant");
    List<TenantActivity> rows = new ArrayList<>();
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
      bindRange(ps, null, from, to);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long[] latency = new long[LatencyBuckets.COUNT];
          for (int i = 0; i < latency.length; i++) {
            latency[i] = rs.getLong(5 + i);
          }
          rows.add(new TenantActivity(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), latency));
        }
      }
    }
    rows.sort(Comparator.comparing(TenantActivity::tenant));
    return rows;
  }

  private static void bindRange(PreparedStatement ps, String tenant, Instant from, Instant to) throws SQLException {
    int p = 1;
    if (tenant != null) {
      ps.setString(p++, tenant);
    }
    ps.setLong(p++, from.toEpochMilli());
    ps.setLong(p, to.toEpochMilli());
  }

  /** Total compute microseconds of the tenant in the minutes starting at or after {@code from} (for monthly budgets). */
  public long computeMicrosSince(String tenant, Instant from) throws SQLException {
    String sql = "SELECT COALESCE(SUM(compute_micros), 0) FROM usage_minute WHERE tenant = ? AND minute_start >= ?";
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, tenant);
      ps.setLong(2, from.toEpochMilli());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** A setting of this store's database sessions, e.g. {@code synchronous_commit}. */
  String sessionSetting(String name) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement p = c.prepareStatement("SELECT current_setting(?)")) {
      p.setString(1, name);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        return r.getString(1);
      }
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  private record BucketKey(long start, String first, String second) {}

  private static final class Sums {
    long requests;
    long items;
    long errors;
    long computeMicros;
    final Map<Integer, Long> statuses = new TreeMap<>();

    void add(int status, long requests, long items, long computeMicros) {
      this.requests += requests;
      this.items += items;
      this.computeMicros += computeMicros;
      if (status >= 400) {
        errors += requests;
      }
      statuses.merge(status, requests, Long::sum);
    }
  }
}
