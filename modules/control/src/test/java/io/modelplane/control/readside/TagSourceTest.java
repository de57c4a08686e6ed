package io.modelplane.control.readside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.Offset;
import akka.persistence.query.PersistenceQuery;
import akka.projection.eventsourced.EventEnvelope;
import akka.stream.javadsl.Sink;
import io.modelplane.common.testing.Eventually;
import io.modelplane.common.SlicedTags;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The projections' live source: the plugin's events by tag, queried only when the journal moved. */
class TagSourceTest {
  private ReadSideFixture fixture;

  @BeforeEach
  void open() throws Exception {
    fixture = new ReadSideFixture("jdbc:h2:mem:tagsource-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "",
        false);
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  @Test
  void deliversWhatThePluginHasInOrderThenLiveChangesAndQueriesNothingWhileIdle() throws Exception {
    fixture.writeHistory();
    String tag = SlicedTags.CONTROL_PLANE.tagFor("acme");
    TagSource source = new TagSource(fixture.testKit.system(), fixture.db.journalHead(fixture.testKit.system()), tag);
    ConcurrentLinkedQueue<EventEnvelope<Object>> seen = new ConcurrentLinkedQueue<>();
    var stream = source.source(() -> CompletableFuture.completedFuture(Optional.empty())).toCompletableFuture()
        .get(10, TimeUnit.SECONDS)
        .viaMat(akka.stream.KillSwitches.single(), akka.stream.javadsl.Keep.right())
        .to(Sink.foreach(seen::add)).run(fixture.testKit.system());
    try {
      List<String> expected = pluginEvents(tag, Offset.noOffset());
      assertTrue(expected.size() > 5, "the history writes events under " + tag);
      Eventually.eventually(Duration.ofSeconds(10), () -> expected.equals(keys(seen)), "the history arrives in order");

      // idle: the head is polled, the tag is not queried
      long queries = source.queries();
      Thread.sleep(1000);
      assertEquals(queries, source.queries(), "no tag query while the journal does not move");

      fixture.createTenant("acme-2"); // may or may not fall under the same tag
      fixture.expect(io.modelplane.tenancy.TenantEntity.Summary.class,
          fixture.toTenant("acme", r -> new io.modelplane.tenancy.TenantEntity.Update("Acme 2", null, "op", r)));
      List<String> after = pluginEvents(tag, Offset.noOffset());
      assertTrue(after.size() > expected.size());
      Eventually.eventually(Duration.ofSeconds(10), () -> after.equals(keys(seen)), "the new events arrive");
      assertEquals(after, keys(seen));
      assertTrue(source.queries() > queries, "the write was seen by a new query");
    } finally {
      stream.shutdown();
    }
  }

  @Test
  void resumesAfterTheStoredOffset() throws Exception {
    fixture.writeHistory();
    String tag = SlicedTags.CONTROL_PLANE.tagFor("acme");
    JdbcReadJournal journal = readJournal();
    List<akka.persistence.query.EventEnvelope> all = journal.currentEventsByTag(tag, Offset.noOffset())
        .runWith(Sink.seq(), fixture.testKit.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    Offset third = all.get(2).offset();
    TagSource source = new TagSource(fixture.testKit.system(), fixture.db.journalHead(fixture.testKit.system()), tag);
    List<EventEnvelope<Object>> resumed = source.source(() -> CompletableFuture.completedFuture(Optional.of(third)))
        .toCompletableFuture().get(10, TimeUnit.SECONDS)
        .take(all.size() - 3)
        .runWith(Sink.seq(), fixture.testKit.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(pluginEvents(tag, third), keys(resumed));
  }

  private JdbcReadJournal readJournal() {
    return PersistenceQuery.get(fixture.testKit.system()).getReadJournalFor(JdbcReadJournal.class,
        JdbcReadJournal.Identifier());
  }

  private List<String> pluginEvents(String tag, Offset from) throws Exception {
    return readJournal().currentEventsByTag(tag, from)
        .map(e -> e.offset() + " " + e.persistenceId() + "#" + e.sequenceNr())
        .runWith(Sink.seq(), fixture.testKit.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static List<String> keys(Iterable<EventEnvelope<Object>> envelopes) {
    List<String> keys = new java.util.ArrayList<>();
    envelopes.forEach(e -> keys.add(e.offset() + " " + e.persistenceId() + "#" + e.sequenceNr()));
    return keys;
  }
}
