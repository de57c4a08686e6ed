package io.modelplane.control.placement;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The placement feed on a real PostgreSQL (production's journal), a fresh database per test. */
class PlacementFeedPostgresTest extends PlacementFeedContract {
  static EmbeddedPostgres pg;
  static final AtomicInteger databases = new AtomicInteger();
  private String url;

  @BeforeAll
  static void startPostgres() throws Exception {
    pg = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    pg.close();
  }

  @Override
  Map<String, Object> database() {
    String name = "feed" + databases.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    url = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + name;
    return Map.of(
        "akka-persistence-jdbc.shared-databases.slick.profile", "slick.jdbc.PostgresProfile$",
        "akka-persistence-jdbc.shared-databases.slick.db.url", url,
        "akka-persistence-jdbc.shared-databases.slick.db.user", "postgres",
        "akka-persistence-jdbc.shared-databases.slick.db.password", "postgres",
        "akka-persistence-jdbc.shared-databases.slick.db.driver", "org.postgresql.Driver",
        "akka.projection.jdbc.dialect", "postgres-dialect");
  }

  @Override
  String jdbcUrl() {
    return url;
  }

  @Override
  String user() {
    return "postgres";
  }

  @Override
  String password() {
    return "postgres";
  }
}
