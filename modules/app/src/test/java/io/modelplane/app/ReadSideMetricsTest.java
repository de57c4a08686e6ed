package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.control.readside.ReadSide;
import io.modelplane.control.readside.ReadSideDatabase;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The projection lag gauge over a real H2 journal: the figure, caught up, and absent while the database fails. */
class ReadSideMetricsTest {
  static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

  @Test
  void reportsTheOldestUnappliedEventsAgeAndNothingWhileTheDatabaseFails() throws Exception {
    ReadSideDatabase db = ReadSideDatabase.open("jdbc:h2:mem:lag-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
        "sa", "", 2, null);
    PrometheusRegistry registry = new PrometheusRegistry();
    ReadSideMetrics metrics = new ReadSideMetrics(ReadSide.over(db, Runnable::run), Clock.fixed(NOW, ZoneOffset.UTC));
    metrics.register(registry);

    // no journal tables: the query fails, the gauge says nothing rather than a wrong figure
    metrics.sample();
    assertThat(scrape(registry)).doesNotContain("modelplane_projection_lag_seconds ");

    journal(db);
    execute(db, "INSERT INTO \"event_journal\" (\"ordering\", \"persistence_id\", \"sequence_number\", \"writer\","
        + " \"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\")"
        + " VALUES (1, 'Tenant|acme', 1, 'w', " + (NOW.toEpochMilli() - 90_000) + ", '', X'00', 1, '')",
        "INSERT INTO \"event_tag\" (\"event_id\", \"tag\") VALUES (1, 'control-1')");
    metrics.sample();
    assertThat(scrape(registry)).contains("modelplane_projection_lag_seconds 90.0");

    // the projection applied it
    execute(db, "INSERT INTO \"akka_projection_offset_store\" VALUES ('" + ReadSide.PROJECTION + "', 'control-1', '1')");
    metrics.sample();
    assertThat(scrape(registry)).contains("modelplane_projection_lag_seconds 0.0");

    db.close();
    metrics.sample();
    assertThat(scrape(registry)).doesNotContain("modelplane_projection_lag_seconds ");
  }

  /** The journal plugin's own H2 tables, and the offset columns the lag reads. */
  private static void journal(ReadSideDatabase db) throws Exception {
    String schema;
    try (InputStream in = ReadSideMetricsTest.class.getResourceAsStream("/schema/h2/h2-create-schema.sql")) {
      schema = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    execute(db, schema.split(";"));
    execute(db, "CREATE TABLE \"akka_projection_offset_store\" (\"projection_name\" VARCHAR(255),"
        + " \"projection_key\" VARCHAR(255), \"current_offset\" VARCHAR(255))");
  }

  private static void execute(ReadSideDatabase db, String... statements) throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      for (String sql : statements) {
        if (!sql.isBlank()) {
          s.execute(sql);
        }
      }
      c.commit();
    }
  }

  private static String scrape(PrometheusRegistry registry) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }
}
