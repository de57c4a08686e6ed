package io.modelplane.control.readside;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import io.modelplane.common.SlicedTags;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The read side of the control plane: the {@value #PROJECTION} projection (journal events to the
 * tenants, plans, models, api_keys and audit_log tables) and the queries over those tables. A change the API
 * acknowledged is in the tables after the journal's poll interval plus the handler's time.
 */
public final class ReadSide implements AutoCloseable {
  public static final String PROJECTION = "read-tables";

  private final ReadSideDatabase db;
  private final Reads reads;
  private final TenantDirectory tenants;
  private final ModelDirectory models;
  private final AuditLog audit;
  private final PlanDirectory plans;

  ReadSide(ReadSideDatabase db, Executor executor) {
    this.db = db;
    this.reads = new Reads(db, executor);
    this.tenants = new TenantDirectory(reads);
    this.models = new ModelDirectory(reads);
    this.audit = new AuditLog(reads);
    this.plans = new PlanDirectory(reads);
  }

  /**
   * Opens the read side on the journal's database and creates its tables if absent; on a node with
   * role control ({@code project}) it also starts the projection. The caller closes it when the node stops.
   */
  public static ReadSide start(ActorSystem<?> system, String jdbcUrl, String user, String password,
      String connectionInitSql, boolean project) {
    ReadSideDatabase db = ReadSideDatabase.open(jdbcUrl, user, password, 8, connectionInitSql);
    try {
      try {
        ReadTables.create(db);
      } catch (SQLException raced) {
        // PostgreSQL: nodes starting together may race to create a table; the loser's second try finds it
        Thread.sleep(500);
        ReadTables.create(db);
      }
      ReadSide readSide = new ReadSide(db, system.dispatchers().lookup(DispatcherSelector.blocking()));
      if (project) {
        ControlProjections.createTables(system, db).toCompletableFuture().get(60, TimeUnit.SECONDS);
        ControlProjections.start(system, PROJECTION, db, tag -> ReadTablesHandler::new,
            ControlProjections.Settings.defaults());
      }
      return readSide;
    } catch (Exception e) {
      db.close();
      throw new IllegalStateException("the read side did not start: " + e.getMessage(), e);
    }
  }

  /** Over an open database, without a projection: for tests that drive one. */
  public static ReadSide over(ReadSideDatabase db, Executor executor) {
    return new ReadSide(db, executor);
  }

  /** The pool the read side shares with the other projections of the journal. */
  public ReadSideDatabase database() {
    return db;
  }

  public TenantDirectory tenants() {
    return tenants;
  }

  public ModelDirectory models() {
    return models;
  }

  public AuditLog audit() {
    return audit;
  }

  public PlanDirectory plans() {
    return plans;
  }

  /**
   * Whether the projection has applied every tagged event in the journal as of this call: what a
   * reader that must not miss a change (the artifact sweep) checks before trusting the tables.
   */
  public CompletionStage<Boolean> caughtUp() {
    List<String> tags = SlicedTags.CONTROL_PLANE.all();
    return reads.read(c -> {
      // the journal's and the offset store's default table names, lowercase (quoted for H2)
      Map<String, Long> written = new HashMap<>();
      Reads.list(c, "SELECT \"tag\", MAX(\"event_id\") FROM \"event_tag\" WHERE \"tag\" LIKE ? GROUP BY \"tag\"",
          rs -> written.put(rs.getString(1), rs.getLong(2)), SlicedTags.CONTROL_PLANE.prefix() + "-%");
      Map<String, Long> projected = new HashMap<>();
      Reads.list(c, "SELECT \"projection_key\", \"current_offset\" FROM \"akka_projection_offset_store\""
          + " WHERE \"projection_name\" = ?", rs -> projected.put(rs.getString(1), Long.parseLong(rs.getString(2))),
          PROJECTION);
      return tags.stream().allMatch(tag -> !written.containsKey(tag)
          || projected.getOrDefault(tag, -1L) >= written.get(tag));
    });
  }

  /**
   * How long the oldest tagged event the projection has not applied yet has waited, in seconds at
   * {@code nowMillis}; 0 when it has applied them all. What an operator alerts on: a projection that
   * stopped or fell behind keeps the tables (and the API's lists) stale.
   */
  public CompletionStage<Double> lagSeconds(long nowMillis) {
    return reads.read(c -> {
      Map<String, Long> projected = new HashMap<>();
      Reads.list(c, "SELECT \"projection_key\", \"current_offset\" FROM \"akka_projection_offset_store\""
          + " WHERE \"projection_name\" = ?", rs -> projected.put(rs.getString(1), Long.parseLong(rs.getString(2))),
          PROJECTION);
      long oldest = Long.MAX_VALUE;
      for (String tag : SlicedTags.CONTROL_PLANE.all()) {
        // a range over the event_tag key (event_id, tag): nothing to read when the projection is caught up
        List<Long> written = Reads.list(c, "SELECT MIN(j.\"write_timestamp\") FROM \"event_tag\" t"
            + " JOIN \"event_journal\" j ON j.\"ordering\" = t.\"event_id\""
            + " WHERE t.\"event_id\" > ? AND t.\"tag\" = ?",
            rs -> rs.getObject(1) == null ? null : rs.getLong(1), projected.getOrDefault(tag, -1L), tag);
        if (!written.isEmpty() && written.get(0) != null) {
          oldest = Math.min(oldest, written.get(0));
        }
      }
      return oldest == Long.MAX_VALUE ? 0.0 : Math.max(0, nowMillis - oldest) / 1000.0;
    });
  }

  /**
   * Every tenant id, read only once the read side has applied every change journaled so far (else the
   * stage fails): a read side still rebuilding must not make existing tenants look unknown.
   */
  public CompletionStage<List<String>> tenantIdsWhenCaughtUp() {
    return caughtUp().thenCompose(caughtUp -> caughtUp ? tenants.allIds()
        : CompletableFuture.failedFuture(new IllegalStateException("the read side has not applied every change yet")));
  }

  @Override
  public void close() {
    db.close();
  }
}
