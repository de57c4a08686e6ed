package io.modelplane.control.readside;

import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.japi.Pair;
import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.Offset;
import akka.persistence.query.PersistenceQuery;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.SourceProvider;
import akka.stream.javadsl.Source;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The events of one tag, live: the journal's current events by tag, queried again each time the
 * {@link JournalHead} moves. The same events, in the same order and with the same offsets, as the
 * plugin's polling {@code eventsByTag}, without a tag query per interval while the journal is idle.
 */
final class TagSource extends SourceProvider<Offset, EventEnvelope<Object>> {
  private final JdbcReadJournal journal;
  private final JournalHead head;
  private final String tag;
  private final java.util.concurrent.atomic.AtomicLong queries = new java.util.concurrent.atomic.AtomicLong();

  TagSource(ActorSystem<?> system, JournalHead head, String tag) {
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.head = head;
    this.tag = tag;
  }

  @Override
  public CompletionStage<Source<EventEnvelope<Object>, NotUsed>> source(
      Supplier<CompletionStage<Optional<Offset>>> storedOffset) {
    return storedOffset.get().thenApply(stored -> {
      // flatMapConcat asks for the next round only once the previous one completed, so the last
      // offset it delivered is in `next` when the round is built
      AtomicReference<Offset> next = new AtomicReference<>(stored.orElse(Offset.noOffset()));
      return Source.unfoldAsync(Long.MIN_VALUE,
              seen -> head.changedFrom(seen).thenApply(now -> Optional.of(Pair.create(now, now))))
          .flatMapConcat(round -> {
            queries.incrementAndGet();
            return journal.currentEventsByTag(tag, next.get()).map(event -> {
              next.set(event.offset());
              return EventEnvelope.create(event.offset(), event.persistenceId(), event.sequenceNr(), event.event(),
                  event.timestamp());
            });
          });
    });
  }

  /** How many tag queries this source ran: what an idle journal must not raise. */
  long queries() {
    return queries.get();
  }

  @Override
  public Offset extractOffset(EventEnvelope<Object> envelope) {
    return envelope.offset();
  }

  @Override
  public long extractCreationTime(EventEnvelope<Object> envelope) {
    return envelope.timestamp();
  }
}
