package io.modelplane.control.readside;

import akka.projection.jdbc.JdbcSession;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Supplier;

/**
 * The read side's connections to the journal's database (H2 or PostgreSQL): projections write their
 * tables and their offsets in one transaction on these, and the list and audit queries read them.
 */
public final class ReadSideDatabase implements AutoCloseable {
  private final HikariDataSource pool;
  private final boolean postgres;
  private JournalHead head;

  private ReadSideDatabase(HikariDataSource pool, boolean postgres) {
    this.pool = pool;
    this.postgres = postgres;
  }

  /** A pool of {@code size} connections; {@code connectionInitSql} may be null. */
  public static ReadSideDatabase open(String jdbcUrl, String user, String password, int size, String connectionInitSql) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(1);
    config.setAutoCommit(false);
    config.setPoolName("modelplane-read-side");
    if (connectionInitSql != null) {
      config.setConnectionInitSql(connectionInitSql);
    }
    return new ReadSideDatabase(new HikariDataSource(config), jdbcUrl.startsWith("jdbc:postgresql:"));
  }

  public boolean postgres() {
    return postgres;
  }

  /** akka-projection-jdbc's dialect name for this database. */
  public String dialect() {
    return postgres ? "postgres-dialect" : "h2-dialect";
  }

  /** A new session (one transaction) for each call: what exactly-once projections are given. */
  public Supplier<Session> sessions() {
    return () -> {
      try {
        return new Session(pool.getConnection());
      } catch (SQLException e) {
        throw new IllegalStateException("no read-side connection: " + e.getMessage(), e);
      }
    };
  }

  /** A connection for a read-only query, auto-commit off; the caller closes it. */
  public Connection connection() throws SQLException {
    return pool.getConnection();
  }

  /**
   * The journal's head, polled at the read journal's refresh interval: one per database, shared by
   * every projection reading it.
   */
  public synchronized JournalHead journalHead(akka.actor.typed.ActorSystem<?> system) {
    if (head == null) {
      head = new JournalHead(system, this,
          system.settings().config().getDuration("jdbc-read-journal.refresh-interval"));
    }
    return head;
  }

  @Override
  public synchronized void close() {
    if (head != null) {
      head.close();
    }
    pool.close();
  }

  /** One transaction on one pooled connection; closing gives the connection back. */
  public static final class Session implements JdbcSession {
    private final Connection connection;
    private final java.util.List<Runnable> afterCommit = new java.util.ArrayList<>();

    Session(Connection connection) {
      this.connection = connection;
    }

    @Override
    public <R> R withConnection(akka.japi.function.Function<Connection, R> use) throws Exception {
      return use.apply(connection);
    }

    /** Runs {@code action} once this transaction committed (never if it rolls back): to tell others of what it wrote. */
    public void afterCommit(Runnable action) {
      afterCommit.add(action);
    }

    @Override
    public void commit() throws SQLException {
      connection.commit();
      java.util.List<Runnable> actions = java.util.List.copyOf(afterCommit);
      afterCommit.clear();
      actions.forEach(Runnable::run);
    }

    @Override
    public void rollback() throws SQLException {
      afterCommit.clear();
      connection.rollback();
    }

    @Override
    public void close() throws SQLException {
      connection.close();
    }
  }
}
