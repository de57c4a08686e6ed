package io.modelplane.control.readside;

import akka.projection.eventsourced.EventEnvelope;
import akka.projection.jdbc.javadsl.JdbcHandler;
import com.fasterxml.jackson.core.type.TypeReference;
import io.modelplane.common.HistoryEntry;
import io.modelplane.control.keys.DataKeyLedger;
import io.modelplane.registry.ModelEntity;
import io.modelplane.registry.ModelHistory;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.TenantHistory;
import io.modelplane.tenancy.plan.PlanEntity;
import io.modelplane.tenancy.plan.PlanHistory;
import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.common.QuotaOverrides;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies the tenant and model events of one tag to the read tables and the audit log, in the
 * projection's transaction. State one event does not carry is read from the rows themselves, never
 * from the entities, so a replay from the start wakes no entity. An event already applied (the entity's
 * last applied sequence number is kept) is skipped whole, so a redelivery changes nothing.
 */
public final class ReadTablesHandler extends JdbcHandler<EventEnvelope<Object>, ReadSideDatabase.Session> {
  static final TypeReference<List<ModelEntity.VersionInfo>> VERSIONS = new TypeReference<>() {};
  static final TypeReference<List<ModelEntity.DeploymentRevision>> REVISIONS = new TypeReference<>() {};
  static final TypeReference<List<Long>> APPLIED = new TypeReference<>() {};

  private static final String TENANT_PREFIX = TenantEntity.ENTITY_KEY.name() + "|";
  private static final String MODEL_PREFIX = ModelEntity.ENTITY_KEY.name() + "|";
  private static final String PLAN_PREFIX = PlanEntity.ENTITY_KEY.name() + "|";
  private static final String KEYS_PREFIX = DataKeyLedger.ENTITY_KEY.name() + "|";

  @Override
  public void process(ReadSideDatabase.Session session, EventEnvelope<Object> envelope) throws Exception {
    session.withConnection(c -> {
      apply(c, envelope.persistenceId(), envelope.sequenceNr(), envelope.event());
      return null;
    });
  }

  /** Applies one event unless this entity's events up to {@code sequenceNr} are applied already. */
  static void apply(Connection c, String persistenceId, long sequenceNr, Object event) throws SQLException {
    Long applied = queryLong(c, "SELECT sequence_nr FROM projected_events WHERE persistence_id = ?", persistenceId);
    if (applied != null && applied >= sequenceNr) {
      return;
    }
    if (event instanceof TenantEntity.Event e && persistenceId.startsWith(TENANT_PREFIX)) {
      String tenant = persistenceId.substring(TENANT_PREFIX.length());
      applyTenant(c, tenant, e);
      Optional<HistoryEntry> entry = TenantHistory.describe(sequenceNr, e);
      if (entry.isPresent()) {
        audit(c, tenant, modelOf(e), entry.get(), persistenceId);
      }
    } else if (event instanceof ModelEntity.Event e && persistenceId.startsWith(MODEL_PREFIX)) {
      String entityId = persistenceId.substring(MODEL_PREFIX.length());
      int slash = entityId.indexOf('/');
      String tenant = entityId.substring(0, slash);
      String model = entityId.substring(slash + 1);
      applyModel(c, tenant, model, e);
      // a released reservation is bookkeeping of a name, not a change of a model
      if (!(e instanceof ModelEntity.ReservationReleased)) {
        audit(c, tenant, model, ModelHistory.describe(sequenceNr, e), persistenceId);
      }
    } else if (event instanceof PlanEntity.Event e && persistenceId.startsWith(PLAN_PREFIX)) {
      applyPlan(c, persistenceId.substring(PLAN_PREFIX.length()), e);
      // a plan belongs to no tenant
      audit(c, null, null, PlanHistory.describe(sequenceNr, e), persistenceId);
    } else if (event instanceof DataKeyLedger.Event e && persistenceId.startsWith(KEYS_PREFIX)) {
      // facts about data keys only: the keys themselves are never in the journal
      audit(c, DataKeyLedger.tenantOf(e), null, DataKeyLedger.describe(sequenceNr, e), persistenceId);
    }
    if (applied == null) {
      update(c, "INSERT INTO projected_events (persistence_id, sequence_nr) VALUES (?, ?)", persistenceId, sequenceNr);
    } else {
      update(c, "UPDATE projected_events SET sequence_nr = ? WHERE persistence_id = ?", sequenceNr, persistenceId);
    }
  }

  private static String modelOf(TenantEntity.Event e) {
    if (e instanceof TenantEntity.ModelAdded m) {
      return m.modelId();
    }
    if (e instanceof TenantEntity.ModelReleased m) {
      return m.modelId();
    }
    return null;
  }

  private static void audit(Connection c, String tenant, String model, HistoryEntry entry, String persistenceId)
      throws SQLException {
    // besides projected_events, the unique (persistence_id, sequence_nr) makes a second row of one event impossible
    update(c, "INSERT INTO audit_log (time_ns, tenant, model, actor, event_type, summary, persistence_id, sequence_nr)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ReadTables.nanos(entry.at()), tenant, model, entry.actor(), entry.type(), ReadTables.json(entry.details()),
        persistenceId, entry.sequenceNr());
  }

  private static void applyPlan(Connection c, String planId, PlanEntity.Event event) throws SQLException {
    if (event instanceof PlanEntity.PlanCreated e) {
      update(c, "DELETE FROM plans WHERE id = ?", planId);
      update(c, "INSERT INTO plans (id, display_name, quota, prices, currency, created_ns, updated_ns)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?)", planId, e.plan().displayName(), ReadTables.json(e.plan().quota()),
          ReadTables.json(e.plan().prices()), e.plan().currency(), ReadTables.nanos(e.at()), ReadTables.nanos(e.at()));
    } else if (event instanceof PlanEntity.PlanUpdated e) {
      // the built-in plan's first change sets its creation time too (its entity counts it from then)
      update(c, "UPDATE plans SET display_name = ?, quota = ?, prices = ?, currency = ?,"
              + " created_ns = COALESCE(created_ns, ?), updated_ns = ? WHERE id = ?", e.plan().displayName(),
          ReadTables.json(e.plan().quota()), ReadTables.json(e.plan().prices()), e.plan().currency(),
          ReadTables.nanos(e.at()), ReadTables.nanos(e.at()), planId);
    } else if (event instanceof PlanEntity.PlanDeleted) {
      update(c, "DELETE FROM plans WHERE id = ?", planId);
    }
  }

  private static void applyTenant(Connection c, String tenant, TenantEntity.Event event) throws SQLException {
    if (event instanceof TenantEntity.TenantCreated e) {
      // a released id created again: its model reservations number on after the deleted tenant's (as its entity's do)
      Long before = queryLong(c, "SELECT reservations_made FROM tenants WHERE id = ?", tenant);
      update(c, "DELETE FROM tenants WHERE id = ?", tenant);
      QuotaOverrides overrides = e.overrides() != null ? e.overrides()
          : QuotaOverrides.differences(Quota.defaults(), e.quota());
      update(c, "INSERT INTO tenants (id, display_name, status, quota, worker_pool, organization_id, created_ns,"
              + " updated_ns, model_count, api_key_count, reservations_made, plan, quota_overrides)"
              + " VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, 0, 0, ?, ?, ?)",
          tenant, e.displayName(), TenantEntity.Status.ACTIVE.wireName(), ReadTables.json(e.quota()),
          ReadTables.nanos(e.at()), ReadTables.nanos(e.at()), before == null ? 0L : before,
          e.plan() == null ? Plan.DEFAULT_ID : e.plan(),
          ReadTables.json(overrides));
    } else if (event instanceof TenantEntity.DisplayNameChanged e) {
      tenantSet(c, tenant, "display_name = ?", e.at(), e.displayName());
    } else if (event instanceof TenantEntity.QuotaChanged e) {
      tenantSet(c, tenant, "quota = ?, plan = ?, quota_overrides = ?", e.at(), ReadTables.json(e.quota()),
          Plan.DEFAULT_ID, ReadTables.json(QuotaOverrides.differences(Quota.defaults(), e.quota())));
    } else if (event instanceof TenantEntity.PlanTermsChanged e) {
      tenantSet(c, tenant, "quota = ?, plan = ?, quota_overrides = ?", e.at(), ReadTables.json(e.quota()),
          e.plan(), ReadTables.json(e.overrides()));
    } else if (event instanceof TenantEntity.TenantSuspended e) {
      tenantSet(c, tenant, "status = ?", e.at(), TenantEntity.Status.SUSPENDED.wireName());
    } else if (event instanceof TenantEntity.TenantResumed e) {
      tenantSet(c, tenant, "status = ?", e.at(), TenantEntity.Status.ACTIVE.wireName());
    } else if (event instanceof TenantEntity.DeletionStarted e) {
      tenantSet(c, tenant, "status = ?", e.at(), TenantEntity.Status.DELETING.wireName());
    } else if (event instanceof TenantEntity.TenantDeleted e) {
      tenantSet(c, tenant, "status = ?, model_count = 0", e.at(), TenantEntity.Status.DELETED.wireName());
      update(c, "DELETE FROM models WHERE tenant = ?", tenant);
    } else if (event instanceof TenantEntity.WorkerPoolChanged e) {
      tenantSet(c, tenant, "worker_pool = ?", e.at(), e.workerPool());
    } else if (event instanceof TenantEntity.IdentityProvisioned e) {
      tenantSet(c, tenant, "organization_id = ?", e.at(), e.identity().organizationId());
    } else if (event instanceof TenantEntity.ApiKeyAdded e) {
      // never the secret's hash
      update(c, "INSERT INTO api_keys (tenant, key_id, name, role, created_by, created_ns, revoked_ns)"
          + " VALUES (?, ?, ?, ?, ?, ?, NULL)", tenant, e.keyId(), e.name(), e.role().wireName(), e.actor(),
          ReadTables.nanos(e.at()));
      tenantSet(c, tenant, "api_key_count = api_key_count + 1", e.at());
    } else if (event instanceof TenantEntity.ApiKeyRevoked e) {
      int revoked = update(c, "UPDATE api_keys SET revoked_ns = ? WHERE tenant = ? AND key_id = ? AND revoked_ns IS NULL",
          ReadTables.nanos(e.at()), tenant, e.keyId());
      tenantSet(c, tenant, "api_key_count = api_key_count - " + revoked, e.at());
    } else if (event instanceof TenantEntity.ModelAdded e) {
      // its reservation number is the count of reservations the tenant made so far
      tenantSet(c, tenant, "model_count = model_count + 1, reservations_made = reservations_made + 1", e.at());
      Long reservation = queryLong(c, "SELECT reservations_made FROM tenants WHERE id = ?", tenant);
      long number = reservation == null ? 0 : reservation;
      if (update(c, "UPDATE models SET reservation = ? WHERE tenant = ? AND model = ?", number, tenant, e.modelId()) == 0) {
        update(c, "INSERT INTO models (tenant, model, reservation, version_count, versions, revisions, applied,"
                + " current_revision, traffic, created_ns, updated_ns) VALUES (?, ?, ?, 0, '[]', '[]', '[]', NULL, NULL, NULL, ?)",
            tenant, e.modelId(), number, ReadTables.nanos(e.at()));
      }
    } else if (event instanceof TenantEntity.ModelReleased e) {
      tenantSet(c, tenant, "model_count = model_count - 1", e.at());
      update(c, "DELETE FROM models WHERE tenant = ? AND model = ? AND version_count = 0", tenant, e.modelId());
    }
    // ApiKeysUsed (last use is no change) and AccessChanged (Keycloak holds members) leave the tables as they are
  }

  private static void tenantSet(Connection c, String tenant, String assignments, Instant at, Object... values)
      throws SQLException {
    Object[] params = new Object[values.length + 2];
    System.arraycopy(values, 0, params, 0, values.length);
    params[values.length] = ReadTables.nanos(at);
    params[values.length + 1] = tenant;
    update(c, "UPDATE tenants SET " + assignments + ", updated_ns = ? WHERE id = ?", params);
  }

  private static void applyModel(Connection c, String tenant, String model, ModelEntity.Event event) throws SQLException {
    if (event instanceof ModelEntity.ReservationReleased || event instanceof ModelEntity.ReplicasScaled) {
      return; // a scaling decision changes no deployment: history only
    }
    if (event instanceof ModelEntity.ModelPurged) {
      update(c, "DELETE FROM models WHERE tenant = ? AND model = ?", tenant, model);
      return;
    }
    ModelRowState row = ModelRowState.read(c, tenant, model);
    Instant at;
    if (event instanceof ModelEntity.VersionRegistered e) {
      row.versions.add(new ModelEntity.VersionInfo(e.version(), e.sha256(), e.sizeBytes(), e.format(), e.inputs(),
          e.outputs(), e.description(), e.at(), e.actor(), false));
      if (row.createdAt == null) {
        row.createdAt = e.at();
      }
      at = e.at();
    } else if (event instanceof ModelEntity.DeploymentRevised e) {
      row.revisions.add(new ModelEntity.DeploymentRevision(e.revision(), e.spec(), e.at(), e.actor()));
      row.applied.add(e.revision());
      at = e.at();
    } else if (event instanceof ModelEntity.DeploymentRolledBack e) {
      if (!row.applied.isEmpty()) {
        row.applied.remove(row.applied.size() - 1);
      }
      at = e.at();
    } else if (event instanceof ModelEntity.VersionArchived e) {
      row.versions.replaceAll(v -> v.version() == e.version()
          ? new ModelEntity.VersionInfo(v.version(), v.sha256(), v.sizeBytes(), v.format(), v.inputs(), v.outputs(),
              v.description(), v.createdAt(), v.createdBy(), true)
          : v);
      at = e.at();
    } else {
      throw new IllegalArgumentException("no read-table mapping for " + event.getClass().getName());
    }
    row.write(c, at);
  }

  /** A models row being changed: its JSON columns as lists. */
  private static final class ModelRowState {
    final String tenant;
    final String model;
    final boolean exists;
    long reservation;
    Instant createdAt;
    List<ModelEntity.VersionInfo> versions = new ArrayList<>();
    List<ModelEntity.DeploymentRevision> revisions = new ArrayList<>();
    List<Long> applied = new ArrayList<>();

    private ModelRowState(String tenant, String model, boolean exists) {
      this.tenant = tenant;
      this.model = model;
      this.exists = exists;
    }

    static ModelRowState read(Connection c, String tenant, String model) throws SQLException {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT reservation, versions, revisions, applied, created_ns FROM models WHERE tenant = ? AND model = ?")) {
        ps.setString(1, tenant);
        ps.setString(2, model);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return new ModelRowState(tenant, model, false);
          }
          ModelRowState row = new ModelRowState(tenant, model, true);
          row.reservation = rs.getLong("reservation");
          row.versions = new ArrayList<>(ReadTables.json(rs.getString("versions"), VERSIONS));
          row.revisions = new ArrayList<>(ReadTables.json(rs.getString("revisions"), REVISIONS));
          row.applied = new ArrayList<>(ReadTables.json(rs.getString("applied"), APPLIED));
          row.createdAt = ReadTables.instant(rs, "created_ns");
          return row;
        }
      }
    }

    void write(Connection c, Instant at) throws SQLException {
      ModelEntity.DeploymentRevision current = applied.isEmpty() ? null
          : revisions.stream().filter(r -> r.revision() == applied.get(applied.size() - 1)).findFirst().orElse(null);
      Object[] values = {reservation, versions.size(), ReadTables.json(versions), ReadTables.json(revisions),
          ReadTables.json(applied), current == null ? null : current.revision(),
          current == null ? null : ReadTables.json(current.spec().traffic()),
          createdAt == null ? null : ReadTables.nanos(createdAt), ReadTables.nanos(at), tenant, model};
      if (exists) {
        update(c, "UPDATE models SET reservation = ?, version_count = ?, versions = ?, revisions = ?, applied = ?,"
            + " current_revision = ?, traffic = ?, created_ns = ?, updated_ns = ? WHERE tenant = ? AND model = ?", values);
      } else {
        update(c, "INSERT INTO models (reservation, version_count, versions, revisions, applied, current_revision,"
            + " traffic, created_ns, updated_ns, tenant, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values);
      }
    }
  }

  static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      return ps.executeUpdate();
    }
  }

  static Long queryLong(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        long value = rs.getLong(1);
        return rs.wasNull() ? null : value;
      }
    }
  }

  static void bind(PreparedStatement ps, Object... params) throws SQLException {
    for (int i = 0; i < params.length; i++) {
      Object p = params[i];
      if (p == null) {
        ps.setNull(i + 1, Types.NULL); // the database infers the column's type
      } else if (p instanceof Long l) {
        ps.setLong(i + 1, l);
      } else if (p instanceof Integer n) {
        ps.setInt(i + 1, n);
      } else {
        ps.setString(i + 1, p.toString());
      }
    }
  }
}
