package io.modelplane.control.placement;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelplane.registry.ModelEntity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The desired placement, kept durably by the placement feed: the versions and deployment revisions it has
 * seen (to build a deployment from the journal alone), each model's current deployment and each tenant's
 * limit and worker pool. Every row of the last two carries the journal order of the change it reflects
 * and its slice tag. Also the workers an operator is draining.
 */
final class PlacementTables {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PlacementTables() {}

  static final List<String> DDL = List.of(
      "CREATE TABLE IF NOT EXISTS placement_versions (model_key VARCHAR(255) NOT NULL, version INT NOT NULL,"
          + " spec VARCHAR(1000000) NOT NULL, PRIMARY KEY (model_key, version))",
      "CREATE TABLE IF NOT EXISTS placement_revisions (model_key VARCHAR(255) NOT NULL, revision BIGINT NOT NULL,"
          + " spec VARCHAR(1000000) NOT NULL, PRIMARY KEY (model_key, revision))",
      // desired NULL: no deployment (kept, with its journal order)
      "CREATE TABLE IF NOT EXISTS placement_deployments (model_key VARCHAR(255) NOT NULL PRIMARY KEY,"
          + " tenant VARCHAR(255) NOT NULL, slice VARCHAR(64) NOT NULL, revision BIGINT NOT NULL,"
          + " journal_order BIGINT NOT NULL, desired VARCHAR(1000000))",
      "CREATE INDEX IF NOT EXISTS placement_deployments_tenant ON placement_deployments (tenant)",
      "CREATE INDEX IF NOT EXISTS placement_deployments_slice ON placement_deployments (slice)",
      "CREATE TABLE IF NOT EXISTS placement_tenants (tenant VARCHAR(255) NOT NULL PRIMARY KEY,"
          + " slice VARCHAR(64) NOT NULL, max_resident_bytes BIGINT, worker_pool VARCHAR(255),"
          + " journal_order BIGINT NOT NULL)",
      // written by the placement singleton itself (an operator's drain), not by the feed
      "CREATE TABLE IF NOT EXISTS placement_draining_workers (worker_id VARCHAR(255) NOT NULL PRIMARY KEY)");

  /** A tenant's row: limit (null: unlimited), pool (null: shared workers). */
  record TenantRow(String tenant, String slice, Long maxResidentBytes, String workerPool, long journalOrder) {}

  /** A model's row: {@code desired} null when it has no deployment. */
  record DeploymentRow(String modelKey, String tenant, String slice, long revision, long journalOrder,
      DesiredSpec desired) {}

  static void create(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String ddl : DDL) {
        s.execute(ddl);
      }
    }
  }

  static void putVersion(Connection c, String modelKey, int version, DesiredSpec.Version spec) throws SQLException {
    putSpec(c, "placement_versions", "version", modelKey, version, spec);
  }

  static DesiredSpec.Version version(Connection c, String modelKey, int version) throws SQLException {
    return spec(c, "placement_versions", "version", modelKey, version, new TypeReference<>() {});
  }

  static void putRevision(Connection c, String modelKey, long revision, ModelEntity.DeploymentSpec spec)
      throws SQLException {
    putSpec(c, "placement_revisions", "revision", modelKey, revision, spec);
  }

  static ModelEntity.DeploymentSpec revision(Connection c, String modelKey, long revision) throws SQLException {
    return spec(c, "placement_revisions", "revision", modelKey, revision, new TypeReference<>() {});
  }

  /** One spec of placement_versions or placement_revisions, keyed by model and {@code column}. */
  private static void putSpec(Connection c, String table, String column, String modelKey, Number key, Object spec)
      throws SQLException {
    // registered once; a replay writes the same row again
    delete(c, "DELETE FROM " + table + " WHERE model_key = ? AND " + column + " = ?", modelKey, key);
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO " + table + " (model_key, " + column + ", spec) VALUES (?, ?, ?)")) {
      bind(s, modelKey, key, write(spec));
      s.executeUpdate();
    }
  }

  private static <T> T spec(Connection c, String table, String column, String modelKey, Number key,
      TypeReference<T> type) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT spec FROM " + table + " WHERE model_key = ? AND " + column + " = ?")) {
      bind(s, modelKey, key);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw new IllegalStateException(column + " " + key + " of " + modelKey + " is not in " + table);
        }
        return read(r.getString(1), type);
      }
    }
  }

  static Optional<DeploymentRow> deployment(Connection c, String modelKey) throws SQLException {
    List<DeploymentRow> rows = deployments(c, "WHERE model_key = ?", modelKey);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  /** The deployed models (desired not null) of a tenant. */
  static List<DeploymentRow> deployedOf(Connection c, String tenant) throws SQLException {
    return deployments(c, "WHERE tenant = ? AND desired IS NOT NULL ORDER BY model_key", tenant);
  }

  /** The deployed models of a slice. */
  static List<DeploymentRow> deployedIn(Connection c, String slice) throws SQLException {
    return deployments(c, "WHERE slice = ? AND desired IS NOT NULL ORDER BY model_key", slice);
  }

  /** Every deployed model. */
  static List<DeploymentRow> deployed(Connection c) throws SQLException {
    return deployments(c, "WHERE desired IS NOT NULL ORDER BY model_key");
  }

  static void putDeployment(Connection c, DeploymentRow row) throws SQLException {
    delete(c, "DELETE FROM placement_deployments WHERE model_key = ?", row.modelKey());
    try (PreparedStatement s = c.prepareStatement("INSERT INTO placement_deployments"
        + " (model_key, tenant, slice, revision, journal_order, desired) VALUES (?, ?, ?, ?, ?, ?)")) {
      s.setString(1, row.modelKey());
      s.setString(2, row.tenant());
      s.setString(3, row.slice());
      s.setLong(4, row.revision());
      s.setLong(5, row.journalOrder());
      s.setString(6, row.desired() == null ? null : write(row.desired()));
      s.executeUpdate();
    }
  }

  static Optional<TenantRow> tenant(Connection c, String tenant) throws SQLException {
    List<TenantRow> rows = tenants(c, "WHERE tenant = ?", tenant);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  /** The tenants with at least one deployed model: the only limits placement needs at start. */
  static List<TenantRow> tenantsWithDeployments(Connection c) throws SQLException {
    return tenants(c, "WHERE tenant IN (SELECT tenant FROM placement_deployments WHERE desired IS NOT NULL) ORDER BY tenant");
  }

  static void putTenant(Connection c, TenantRow row) throws SQLException {
    delete(c, "DELETE FROM placement_tenants WHERE tenant = ?", row.tenant());
    try (PreparedStatement s = c.prepareStatement("INSERT INTO placement_tenants"
        + " (tenant, slice, max_resident_bytes, worker_pool, journal_order) VALUES (?, ?, ?, ?, ?)")) {
      s.setString(1, row.tenant());
      s.setString(2, row.slice());
      if (row.maxResidentBytes() == null) {
        s.setNull(3, Types.BIGINT);
      } else {
        s.setLong(3, row.maxResidentBytes());
      }
      s.setString(4, row.workerPool());
      s.setLong(5, row.journalOrder());
      s.executeUpdate();
    }
  }

  static void putDraining(Connection c, String workerId, boolean draining) throws SQLException {
    delete(c, "DELETE FROM placement_draining_workers WHERE worker_id = ?", workerId);
    if (draining) {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO placement_draining_workers (worker_id) VALUES (?)")) {
        s.setString(1, workerId);
        s.executeUpdate();
      }
    }
  }

  static java.util.Set<String> drainingWorkers(Connection c) throws SQLException {
    java.util.Set<String> ids = new java.util.TreeSet<>();
    try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT worker_id FROM placement_draining_workers")) {
      while (r.next()) {
        ids.add(r.getString(1));
      }
    }
    return ids;
  }

  private static List<DeploymentRow> deployments(Connection c, String where, Object... args) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT model_key, tenant, slice, revision, journal_order, desired FROM placement_deployments " + where)) {
      bind(s, args);
      List<DeploymentRow> rows = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          String desired = r.getString(6);
          rows.add(new DeploymentRow(r.getString(1), r.getString(2), r.getString(3), r.getLong(4), r.getLong(5),
              desired == null ? null : read(desired, new TypeReference<DesiredSpec>() {})));
        }
      }
      return rows;
    }
  }

  private static List<TenantRow> tenants(Connection c, String where, Object... args) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT tenant, slice, max_resident_bytes, worker_pool, journal_order FROM placement_tenants " + where)) {
      bind(s, args);
      List<TenantRow> rows = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          long bytes = r.getLong(3);
          rows.add(new TenantRow(r.getString(1), r.getString(2), r.wasNull() ? null : bytes, r.getString(4),
              r.getLong(5)));
        }
      }
      return rows;
    }
  }

  private static void delete(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      bind(s, args);
      s.executeUpdate();
    }
  }

  private static void bind(PreparedStatement s, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      s.setObject(i + 1, args[i]);
    }
  }

  private static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  private static <T> T read(String json, TypeReference<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable placement row: " + e.getOriginalMessage(), e);
    }
  }
}
