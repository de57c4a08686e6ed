package io.modelplane.app;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The node's settings from {@code modelplane.*} (API.md's environment variables land here). */
record NodeSettings(
    String httpHost, int httpPort, Path dataDir, String dbUrl, String dbUser, String dbPassword,
    boolean createSchema, String operatorKey, String clusterHost, int clusterPort, List<String> seedNodes,
    List<String> roles) {

  static NodeSettings fromConfig(Config root) {
    Config c = root.getConfig("modelplane");
    return new NodeSettings(
        c.getString("http.host"),
        c.getInt("http.port"),
        Path.of(c.getString("data-dir")).toAbsolutePath().normalize(),
        c.getString("db.url").trim(),
        c.getString("db.user"),
        c.getString("db.password"),
        c.getBoolean("db.create-schema"),
        c.getString("operator-key"),
        c.getString("cluster.host"),
        c.getInt("cluster.port"),
        split(c.getString("cluster.seed-nodes")),
        split(c.getString("cluster.roles")));
  }

  private static List<String> split(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * A node with the worker role only: it runs tenants' models and never touches the journal, the usage
   * tables or Keycloak, so it is given no credential for them.
   */
  boolean workerOnly() {
    return roles.contains("worker") && !roles.contains("control") && !roles.contains("gateway");
  }

  boolean usesPostgres() {
    return dbUrl.startsWith("jdbc:postgresql:");
  }

  /**
   * The journal's database. H2 writes a commit to its file only after a background delay (500 ms by
   * default), so a process killed in between loses changes already acknowledged: {@code WRITE_DELAY=0}
   * writes each commit to the file before the commit returns (an operating-system crash or power loss
   * can still lose what the kernel has not flushed; PostgreSQL syncs every commit).
   */
  String jdbcUrl() {
    if (dbUrl.isEmpty()) {
      // DB_CLOSE_ON_EXIT=FALSE: the actor system, not a JVM shutdown hook, closes the database last
      return "jdbc:h2:file:" + dataDir.resolve("journal").resolve("modelplane") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    }
    return withoutWriteDelay(dbUrl);
  }

  /** An H2 URL given by the operator gets {@code WRITE_DELAY=0} too, unless it names a write delay itself. */
  static String withoutWriteDelay(String url) {
    boolean h2File = url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:h2:mem:");
    return h2File && !url.toUpperCase(java.util.Locale.ROOT).contains(";WRITE_DELAY=") ? url + ";WRITE_DELAY=0" : url;
  }
}
