package io.modelplane.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The PostgreSQL the benchmark's nodes journal to: an embedded one (io.zonky, started by this JVM)
 * whose data directory survives the run when one is given, so a seeded database can be reused; or
 * one named by {@code --db-url} (then nothing is started or stopped here).
 */
final class BenchDatabase implements AutoCloseable {

  private final EmbeddedPostgres embedded;
  private final String url;
  private final String user;
  private final String password;

  private BenchDatabase(EmbeddedPostgres embedded, String url, String user, String password) {
    this.embedded = embedded;
    this.url = url;
    this.user = user;
    this.password = password;
  }

  /** An embedded PostgreSQL over {@code dataDir} (kept between runs; created when empty). */
  static BenchDatabase embedded(Path dataDir) throws IOException {
    Files.createDirectories(dataDir.getParent());
    EmbeddedPostgres pg = EmbeddedPostgres.builder()
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        // a few thousand tenants make a journal of some hundred MB: the defaults are for unit tests
        .setServerConfig("shared_buffers", "256MB")
        .setServerConfig("max_connections", "200")
        .setServerConfig("fsync", "on")
        .start();
    return new BenchDatabase(pg, "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres", "postgres", "postgres");
  }

  static BenchDatabase external(String url, String user, String password) {
    return new BenchDatabase(null, url, user, password);
  }

  /** The node's settings for this database. */
  Map<String, String> env() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MODELPLANE_DB_URL", url);
    env.put("MODELPLANE_DB_USER", user);
    env.put("MODELPLANE_DB_PASSWORD", password);
    return env;
  }

  String describe() {
    return embedded != null ? "embedded PostgreSQL (io.zonky, 16.4) on port " + embedded.getPort() : url;
  }

  @Override
  public void close() throws IOException {
    if (embedded != null) {
      embedded.close();
    }
  }
}
