package io.modelplane.control.readside;

import io.modelplane.common.InvalidIdException;
import io.modelplane.common.ModelKey;
import io.modelplane.common.SlicedTags;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tags the tenant and model events that releases before slice tags journaled untagged, so that the read
 * side's projections (over {@code eventsByTag}) see them: one {@code event_tag} row per event with
 * {@link SlicedTags#CONTROL_PLANE}'s tag of the event's tenant, exactly what the entities tag new events
 * with. Idempotent and safe to run on several nodes at once (an existing row is left as it is); must
 * finish before the projections start. Works on akka-persistence-jdbc 5.2's H2 and PostgreSQL schemas.
 */
public final class JournalTagBackfill {
  private static final Logger log = LoggerFactory.getLogger(JournalTagBackfill.class);
  static final int BATCH = 1000;

  private final SlicedTags tags;
  private final int batchSize;

  public JournalTagBackfill(SlicedTags tags, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be positive");
    }
    this.tags = tags;
    this.batchSize = batchSize;
  }

  /** Backfills the journal at {@code jdbcUrl}; the number of events tagged now (0 once done). */
  public static long run(String jdbcUrl, String user, String password) {
    try (Connection connection = DriverManager.getConnection(jdbcUrl, user, password)) {
      long tagged = new JournalTagBackfill(SlicedTags.CONTROL_PLANE, BATCH).run(connection);
      if (tagged > 0) {
        log.info("tagged {} events journaled before slice tags", tagged);
      }
      return tagged;
    } catch (SQLException e) {
      throw new IllegalStateException("could not tag the journal's older events: " + e.getMessage(), e);
    }
  }

  /** Backfills on {@code connection}, one transaction per batch; the number of events tagged. */
  public long run(Connection connection) throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    boolean postgres = connection.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT)
        .contains("postgres");
    // quoted lower-case names: H2's schema quotes them, and PostgreSQL folds its unquoted ones to these
    String untagged = "SELECT j.\"ordering\", j.\"persistence_id\" FROM \"event_journal\" j"
        + " WHERE j.\"ordering\" > ? AND (j.\"persistence_id\" LIKE 'Tenant|%' OR j.\"persistence_id\" LIKE 'Model|%')"
        + " AND NOT EXISTS (SELECT 1 FROM \"event_tag\" t WHERE t.\"event_id\" = j.\"ordering\" AND t.\"tag\" LIKE ?)"
        + " ORDER BY j.\"ordering\" LIMIT ?";
    String insert = postgres
        ? "INSERT INTO \"event_tag\" (\"event_id\", \"tag\") VALUES (?, ?) ON CONFLICT DO NOTHING"
        : "MERGE INTO \"event_tag\" (\"event_id\", \"tag\") KEY (\"event_id\", \"tag\") VALUES (?, ?)";
    long tagged = 0;
    long after = 0;
    try (PreparedStatement select = connection.prepareStatement(untagged);
         PreparedStatement write = connection.prepareStatement(insert)) {
      while (true) {
        List<Long> batch = new ArrayList<>();
        List<String> batchTags = new ArrayList<>();
        select.setLong(1, after);
        select.setString(2, tags.prefix() + "-%");
        select.setInt(3, batchSize);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            batch.add(rows.getLong(1));
            batchTags.add(tags.tagFor(tenantOf(rows.getString(2))));
          }
        }
        for (int i = 0; i < batch.size(); i++) {
          write.setLong(1, batch.get(i));
          write.setString(2, batchTags.get(i));
          write.addBatch();
        }
        if (!batch.isEmpty()) {
          write.executeBatch();
        }
        connection.commit();
        tagged += batch.size();
        if (batch.size() < batchSize) {
          break;
        }
        after = batch.get(batch.size() - 1);
      }
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
    return tagged;
  }

  /**
   * The tenant of a persistence id {@code Tenant|<tenant>} or {@code Model|<tenant>/<model>}: the id the
   * entities' {@code tagsFor} slices by.
   */
  static String tenantOf(String persistenceId) {
    String entityId = persistenceId.substring(persistenceId.indexOf('|') + 1);
    if (!persistenceId.startsWith("Model|")) {
      return entityId;
    }
    try {
      return ModelKey.parse(entityId).tenant().value();
    } catch (InvalidIdException e) {
      return entityId; // as ModelEntity tags a model whose id does not parse
    }
  }
}
