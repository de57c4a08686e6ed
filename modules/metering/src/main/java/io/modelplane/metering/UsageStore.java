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
 * The {@code usage_minute} table on H2 or PostgreSQL: per-writer cumulative minute counts in,
 * per-tenant aggregates out. Plain JDBC over a small Hikari pool; every method blocks, so callers
 * on an actor must run it on a dedicated dispatcher.
 */
public final class UsageStore implements AutoCloseable {

  private static final String KEY = "tenant, minute_start, model, version, status, writer";
  private static final String COLUMNS =
      "tenant, model, version, minute_start, status, writer, requests, items, compute_micros";

  // The primary key leads with (tenant, minute_start): the index of a tenant's queries; the platform's
  // query over all tenants reads by time alone.
  private static final String CREATE_TABLE = "CREATE TABLE IF NOT EXISTS usage_minute ("
      + "tenant VARCHAR(40) NOT NULL, model VARCHAR(64) NOT NULL, version VARCHAR(16) NOT NULL, "
      + "minute_start BIGINT NOT NULL, status INT NOT NULL, writer VARCHAR(64) NOT NULL, "
      + "requests BIGINT NOT NULL, items BIGINT NOT NULL, compute_micros BIGINT NOT NULL, "
      + "PRIMARY KEY (" + KEY + "))";
  private static final String CREATE_TIME_INDEX =
      "CREATE INDEX IF NOT EXISTS usage_minute_by_time ON usage_minute (minute_start)";

  private enum Dialect {
    H2("org.h2.Driver",
        "MERGE INTO usage_minute (" + COLUMNS + ") KEY (" + KEY + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    POSTGRES("org.postgresql.Driver",
        "INSERT INTO usage_minute (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (" + KEY + ")"
            + " DO UPDATE SET requests = EXCLUDED.requests, items = EXCLUDED.items,"
            + " compute_micros = EXCLUDED.compute_micros");

    final String driver;
    final String upsert;

    Dialect(String driver, String upsert) {
      this.driver = driver;
      this.upsert = upsert;
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
      } catch (SQLException e) {
        // two nodes starting together race on PostgreSQL's IF NOT EXISTS; the loser finds the table there
        // (and the index comes with the next start)
        if (!tableExists(c)) {
          throw e;
        }
      }
    }
  }

  private static boolean tableExists(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeQuery("SELECT 1 FROM usage_minute WHERE 1 = 0").close();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Upserts the rows in one transaction: each is the cumulative count of its writer, so writing
   * it again overwrites instead of adding and a retried flush never double-counts.
   */
  public void write(List<MinuteCount> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(dialect.upsert)) {
        for (MinuteCount r : rows) {
          ps.setString(1, r.tenant());
          ps.setString(2, r.model());
          ps.setString(3, r.version());
          ps.setLong(4, r.minuteEpochMillis());
          ps.setInt(5, r.status());
          ps.setString(6, r.writer());
          ps.setLong(7, r.requests());
          ps.setLong(8, r.items());
          ps.setLong(9, r.computeMicros());
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
