package io.modelplane.control.placement;

import io.modelplane.control.TestPostgres;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The placement feed on a real PostgreSQL (production's journal), a fresh database per test. */
class PlacementFeedPostgresTest extends PlacementFeedContract {
  @RegisterExtension
  static final TestPostgres pg = new TestPostgres();
  private String url;

  @Override
  Map<String, Object> database() {
    try {
      url = pg.newDatabase("feed");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return Map.of(
        "akka-persistence-jdbc.shared-databases.slick.profile", "slick.jdbc.PostgresProfile$",
        "akka-persistence-jdbc.shared-databases.slick.db.url", url,
        "akka-persistence-jdbc.shared-databases.slick.db.user", TestPostgres.USER,
        "akka-persistence-jdbc.shared-databases.slick.db.password", TestPostgres.PASSWORD,
        "akka-persistence-jdbc.shared-databases.slick.db.driver", "org.postgresql.Driver",
        "akka.projection.jdbc.dialect", "postgres-dialect");
  }

  @Override
  String jdbcUrl() {
    return url;
  }

  @Override
  String user() {
    return TestPostgres.USER;
  }

  @Override
  String password() {
    return TestPostgres.PASSWORD;
  }
}
