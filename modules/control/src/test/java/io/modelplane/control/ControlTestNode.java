package io.modelplane.control;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.persistence.jdbc.testkit.javadsl.SchemaUtils;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real control node for the services' tests: an ActorSystem with the cluster provider on a loopback
 * port, the JDBC journal on an in-memory H2 database, and the tenant and model entities sharded on it.
 */
final class ControlTestNode implements AutoCloseable {
  static final String READ_JOURNAL = "jdbc-read-journal";

  final ActorTestKit kit;
  private final String database;

  private ControlTestNode(ActorTestKit kit, String database) {
    this.kit = kit;
    this.database = database;
  }

  /** The journal's database as the read side connects to it. */
  String jdbcUrl() {
    return "jdbc:h2:mem:%s;DB_CLOSE_DELAY=-1".formatted(database);
  }

  /**
   * A node on the H2 database {@code database} (shared by nodes in this JVM that name the same one);
   * {@code join}: it forms its own cluster now, else it stays out (asks to entities then go unanswered
   * until {@link #join()}).
   */
  static ControlTestNode start(String database, boolean join) {
    ActorTestKit kit = ActorTestKit.create("control", config(database));
    try {
      SchemaUtils.createIfNotExists(kit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      kit.shutdownTestKit();
      throw new IllegalStateException("journal schema not created", e);
    }
    TenantEntity.init(kit.system());
    ModelEntity.init(kit.system());
    io.modelplane.tenancy.plan.PlanEntity.init(kit.system());
    ControlTestNode node = new ControlTestNode(kit, database);
    if (join) {
      node.join();
    }
    return node;
  }

  /** The node founds its own cluster. */
  void join() {
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
  }

  ControlPlane controlPlane(Duration askTimeout, int readAttempts) {
    return new ControlPlane(kit.system(), askTimeout, readAttempts);
  }

  static Config config(String database) {
    return ConfigFactory.parseString("""
        akka.actor.provider = cluster
        akka.remote.artery.canonical.hostname = "127.0.0.1"
        akka.remote.artery.canonical.port = 0
        akka.cluster.roles = [control]
        akka.cluster.jmx.multi-mbeans-in-same-jvm = on
        akka.cluster.sharding.retry-interval = 200ms
        akka.loglevel = WARNING
        akka.loggers = ["akka.event.slf4j.Slf4jLogger"]
        akka.logging-filter = "akka.event.slf4j.Slf4jLoggingFilter"
        akka.projection.jdbc.dialect = "h2-dialect"
        akka.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size = 2
        jdbc-read-journal.refresh-interval = 100ms
        akka.persistence.journal.plugin = "jdbc-journal"
        akka.persistence.snapshot-store.plugin = "jdbc-snapshot-store"
        jdbc-journal.use-shared-db = "slick"
        jdbc-snapshot-store.use-shared-db = "slick"
        jdbc-read-journal.use-shared-db = "slick"
        akka-persistence-jdbc.shared-databases.slick {
          profile = "slick.jdbc.H2Profile$"
          db {
            url = "jdbc:h2:mem:%s;DB_CLOSE_DELAY=-1"
            driver = "org.h2.Driver"
            numThreads = 2
            maxConnections = 2
            minConnections = 1
          }
        }
        """.formatted(database)).withFallback(ConfigFactory.load());
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
