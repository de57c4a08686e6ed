package io.modelplane.control;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real embedded PostgreSQL for one test class ({@code @RegisterExtension static}), started before its
 * tests and stopped after them, with a fresh database per test.
 */
public final class TestPostgres implements BeforeAllCallback, AfterAllCallback {
  public static final String USER = "postgres";
  public static final String PASSWORD = "postgres";

  private final AtomicInteger databases = new AtomicInteger();
  private EmbeddedPostgres pg;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    pg = EmbeddedPostgres.builder().start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    pg.close();
  }

  /** Creates a new database named {@code prefix} and a number; its JDBC URL. */
  public String newDatabase(String prefix) throws SQLException {
    String name = prefix + databases.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + name;
  }
}
