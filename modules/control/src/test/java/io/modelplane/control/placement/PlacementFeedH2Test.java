package io.modelplane.control.placement;

import java.util.Map;
import java.util.UUID;

/** The placement feed on H2 (the embedded default's journal). */
class PlacementFeedH2Test extends PlacementFeedContract {
  private final String url = "jdbc:h2:mem:feed-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";

  @Override
  Map<String, Object> database() {
    return Map.of(
        "akka-persistence-jdbc.shared-databases.slick.profile", "slick.jdbc.H2Profile$",
        "akka-persistence-jdbc.shared-databases.slick.db.url", url,
        "akka-persistence-jdbc.shared-databases.slick.db.user", "",
        "akka-persistence-jdbc.shared-databases.slick.db.password", "",
        "akka-persistence-jdbc.shared-databases.slick.db.driver", "org.h2.Driver",
        "akka.projection.jdbc.dialect", "h2-dialect");
  }

  @Override
  String jdbcUrl() {
    return url;
  }

  @Override
  String user() {
    return "";
  }

  @Override
  String password() {
    return "";
  }
}
