package io.modelplane.control.readside;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import akka.projection.HandlerRecoveryStrategy;
import akka.projection.ProjectionBehavior;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.ExactlyOnceProjection;
import akka.projection.jdbc.javadsl.JdbcHandler;
import akka.projection.jdbc.javadsl.JdbcProjection;
import io.modelplane.common.SlicedTags;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs a projection of the control plane's journal: one instance per slice tag, spread over the
 * {@code control} nodes by a sharded daemon process. Exactly once: the handler's writes and the
 * offset commit in one transaction. A failing handler is retried with backoff and never skipped: after
 * a few attempts the projection restarts from its last committed offset, again with backoff.
 */
public final class ControlProjections {
  private ControlProjections() {}

  /** How a failing handler is retried, then its projection restarted. */
  public record Settings(Duration retryDelay, int retries, Duration minBackoff, Duration maxBackoff) {
    public static Settings defaults() {
      return new Settings(Duration.ofMillis(200), 5, Duration.ofMillis(500), Duration.ofSeconds(30));
    }
  }

  /** The projection of one tag: for tests that drive a single slice. */
  public static ExactlyOnceProjection<akka.persistence.query.Offset, EventEnvelope<Object>> projection(
      ActorSystem<?> system, String name, String tag, ReadSideDatabase db,
      Supplier<JdbcHandler<EventEnvelope<Object>, ReadSideDatabase.Session>> handler, Settings settings) {
    return JdbcProjection.exactlyOnce(ProjectionId.of(name, tag),
            new TagSource(system, db.journalHead(system), tag),
            db.sessions(), handler, system)
        .withRecoveryStrategy(HandlerRecoveryStrategy.retryAndFail(settings.retries(), settings.retryDelay()))
        .withRestartBackoff(settings.minBackoff(), settings.maxBackoff(), 0.2);
  }

  /** Creates the offset tables if they do not exist yet. */
  public static java.util.concurrent.CompletionStage<akka.Done> createTables(ActorSystem<?> system, ReadSideDatabase db) {
    return JdbcProjection.createTablesIfNotExists(db.sessions(), system);
  }

  /** Starts the projection {@code name} over every slice of the control plane's tags, on nodes with role control. */
  public static void start(ActorSystem<?> system, String name, ReadSideDatabase db,
      Function<String, Supplier<JdbcHandler<EventEnvelope<Object>, ReadSideDatabase.Session>>> handlerForTag,
      Settings settings) {
    List<String> tags = SlicedTags.CONTROL_PLANE.all();
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, name, tags.size(),
        i -> ProjectionBehavior.create(projection(system, name, tags.get(i), db, handlerForTag.apply(tags.get(i)), settings)),
        ShardedDaemonProcessSettings.create(system).withRole("control"),
        Optional.of(ProjectionBehavior.stopMessage()));
  }
}
