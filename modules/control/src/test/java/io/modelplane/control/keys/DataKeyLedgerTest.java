package io.modelplane.control.keys;

import static org.assertj.core.api.Assertions.assertThat;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import io.modelplane.common.HistoryEntry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class DataKeyLedgerTest {
  private static final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void journalsTheFactsStampedAndRecoversThem() {
    EventSourcedBehaviorTestKit<DataKeyLedger.Command, DataKeyLedger.Event, DataKeyLedger.State> ledger =
        EventSourcedBehaviorTestKit.create(testKit.system(), DataKeyLedger.create(Clock.fixed(NOW, ZoneOffset.UTC)),
            EventSourcedBehaviorTestKit.enabledSerializationSettings());

    var created = ledger.<Done>runCommand(r -> new DataKeyLedger.Record(
        new DataKeyLedger.KeyCreated("acme", "acme/1", "k1", null, "platform"), r));
    var rotated = ledger.<Done>runCommand(r -> new DataKeyLedger.Record(
        new DataKeyLedger.KeysRewrapped("k1", "k2", 3, null, "operator"), r));

    assertThat(created.event()).isEqualTo(new DataKeyLedger.KeyCreated("acme", "acme/1", "k1", NOW, "platform"));
    assertThat(rotated.reply()).isEqualTo(Done.getInstance());
    HistoryEntry entry = DataKeyLedger.describe(2, rotated.event());
    assertThat(entry.type()).isEqualTo("data_keys_rewrapped");
    assertThat(entry.details()).containsEntry("previousKek", "k1").containsEntry("activeKek", "k2")
        .containsEntry("rewrapped", 3);
    assertThat(DataKeyLedger.tenantOf(rotated.event())).isNull();
    assertThat(DataKeyLedger.tenantOf(created.event())).isEqualTo("acme");
    ledger.restart();
    assertThat(ledger.getState().facts()).isEqualTo(2);
  }
}
