package io.modelplane.control.readside;

import io.modelplane.common.ModelId;
import io.modelplane.common.TenantId;
import io.modelplane.registry.ArtifactAddress;
import io.modelplane.registry.ModelEntity;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;

/** The models as the read tables hold them: a tenant's models paged by name, and every registered artifact. */
public final class ModelDirectory {

  /**
   * One model name of a tenant: its versions (oldest first) and current deployment (null: none). A name
   * with no version was reserved by an upload that never registered one; {@code reservation} numbers it.
   */
  public record ModelRow(String tenant, String model, long reservation, Instant createdAt, Instant updatedAt,
      List<ModelEntity.VersionInfo> versions, ModelEntity.DeploymentRevision deployment) {}

  private final Reads reads;

  ModelDirectory(Reads reads) {
    this.reads = reads;
  }

  /** The tenant's models (names with at least one version), ordered by name. */
  public CompletionStage<Page<ModelRow>> page(TenantId tenant, PageRequest request) {
    return reads.read(c -> {
      String after = request.afterKey(ModelId::isValid);
      List<ModelRow> rows = Reads.list(c, "SELECT * FROM models WHERE tenant = ? AND version_count > 0 AND model > ?"
          + " ORDER BY model FETCH FIRST " + (request.limit() + 1) + " ROWS ONLY", ModelDirectory::row,
          tenant.value(), after == null ? "" : after);
      return Reads.page(rows, request.limit(), ModelRow::model);
    });
  }

  /** The tenant's names without a version (reservations an upload left behind). */
  public CompletionStage<List<ModelRow>> vacant(TenantId tenant) {
    return reads.read(c -> Reads.list(c, "SELECT * FROM models WHERE tenant = ? AND version_count = 0 ORDER BY model",
        ModelDirectory::row, tenant.value()));
  }

  /**
   * How many models (names with at least one version) there are by status: {@code deployed} (with a current
   * deployment) or {@code not_deployed}; a status without models is left out.
   */
  public CompletionStage<Map<String, Long>> countByStatus() {
    return reads.read(c -> {
      Map<String, Long> counts = new TreeMap<>();
      Reads.list(c, "SELECT CASE WHEN current_revision IS NULL THEN 'not_deployed' ELSE 'deployed' END AS status,"
          + " COUNT(*) FROM models WHERE version_count > 0"
          + " GROUP BY CASE WHEN current_revision IS NULL THEN 'not_deployed' ELSE 'deployed' END",
          rs -> counts.put(rs.getString(1), rs.getLong(2)));
      return counts;
    });
  }

  /** The artifact of every version of every model (archived ones included), by tenant. */
  public CompletionStage<Set<ArtifactAddress>> registeredArtifacts() {
    return reads.read(c -> {
      Set<ArtifactAddress> all = new HashSet<>();
      Reads.list(c, "SELECT tenant, versions FROM models WHERE version_count > 0",
              rs -> Map.entry(rs.getString(1), rs.getString(2)))
          .forEach(row -> ReadTables.json(row.getValue(), ReadTablesHandler.VERSIONS)
              .forEach(v -> all.add(new ArtifactAddress(new TenantId(row.getKey()), v.sha256()))));
      return all;
    });
  }

  private static ModelRow row(ResultSet rs) throws SQLException {
    List<ModelEntity.DeploymentRevision> revisions = ReadTables.json(rs.getString("revisions"), ReadTablesHandler.REVISIONS);
    long current = rs.getLong("current_revision");
    boolean deployed = !rs.wasNull();
    return new ModelRow(rs.getString("tenant"), rs.getString("model"), rs.getLong("reservation"),
        ReadTables.instant(rs, "created_ns"), ReadTables.instant(rs, "updated_ns"),
        ReadTables.json(rs.getString("versions"), ReadTablesHandler.VERSIONS),
        deployed ? revisions.stream().filter(r -> r.revision() == current).findFirst().orElse(null) : null);
  }
}
