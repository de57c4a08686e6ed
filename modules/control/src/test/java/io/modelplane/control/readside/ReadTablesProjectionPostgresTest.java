package io.modelplane.control.readside;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The read-tables projection on a real PostgreSQL journal (production's database); a fresh database per test. */
class ReadTablesProjectionPostgresTest extends ReadTablesProjectionContract {
  static EmbeddedPostgres pg;
  static int databases;

  @BeforeAll
  static void startPostgres() throws Exception {
    pg = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    pg.close();
  }

  @Override
  ReadSideFixture openFixture() throws Exception {
    String name = "readside" + (++databases);
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return new ReadSideFixture("jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + name, "postgres", "postgres", true);
  }
}
