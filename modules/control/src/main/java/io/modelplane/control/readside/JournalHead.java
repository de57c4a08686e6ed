package io.modelplane.control.readside;

import akka.actor.Cancellable;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's highest ordering id, read once per interval for the whole node. The projections' tag
 * queries run only when it moved, so an idle journal costs one indexed {@code MAX} per interval
 * instead of one tag query per projection and slice.
 */
public final class JournalHead implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JournalHead.class);
  private static final String SQL = "SELECT MAX(\"ordering\") FROM \"event_journal\"";

  private final ReadSideDatabase db;
  private final Cancellable poll;
  private final AtomicBoolean reading = new AtomicBoolean();
  private final List<Waiter> waiters = new ArrayList<>();
  private long head = -1; // not read yet
  private boolean failing;

  private record Waiter(long seen, CompletableFuture<Long> moved) {}

  JournalHead(ActorSystem<?> system, ReadSideDatabase db, Duration interval) {
    this.db = db;
    var executor = system.dispatchers().lookup(DispatcherSelector.blocking());
    this.poll = system.scheduler().scheduleWithFixedDelay(Duration.ZERO, interval, () -> {
      if (reading.compareAndSet(false, true)) {
        try {
          read();
        } finally {
          reading.set(false);
        }
      }
    }, executor);
  }

  /**
   * Completes with the head once it differs from {@code seen}: at once if it already does. Any change
   * counts, not only a rise: a journal recreated by hand restarts its ordering ids.
   */
  public CompletionStage<Long> changedFrom(long seen) {
    synchronized (waiters) {
      if (head != seen) {
        return CompletableFuture.completedFuture(head);
      }
      Waiter waiter = new Waiter(seen, new CompletableFuture<>());
      waiters.add(waiter);
      return waiter.moved();
    }
  }

  private void read() {
    long now;
    try (Connection connection = db.connection(); Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(SQL)) {
      now = row.next() ? row.getLong(1) : 0; // NULL (an empty journal) reads as 0
      connection.rollback();
      if (failing) {
        log.info("the journal is readable again");
        failing = false;
      }
    } catch (SQLException e) {
      if (!failing) {
        log.warn("cannot read the journal's head, the read side waits: {}", e.getMessage());
        failing = true;
      }
      return;
    }
    List<Waiter> moved = new ArrayList<>();
    synchronized (waiters) {
      if (now == head) {
        return;
      }
      head = now;
      waiters.removeIf(w -> w.seen() != now && moved.add(w));
    }
    moved.forEach(w -> w.moved().complete(now));
  }

  @Override
  public void close() {
    poll.cancel();
  }
}
