package io.modelplane.control.readside;

import io.modelplane.common.Quota;
import io.modelplane.common.TenantId;
import io.modelplane.tenancy.TenantEntity;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/** The tenants as the read tables hold them: paged by id, and every id (for the caches that need them). */
public final class TenantDirectory {

  /** One tenant; {@code models} are the names it holds (as its own view lists them), sorted. */
  public record TenantRow(String id, String displayName, TenantEntity.Status status, Quota quota, String workerPool,
      String organizationId, Instant createdAt, Instant updatedAt, int modelCount, int apiKeyCount,
      List<String> models) {}

  private final Reads reads;

  TenantDirectory(Reads reads) {
    this.reads = reads;
  }

  /** Tenants ordered by id. */
  public CompletionStage<Page<TenantRow>> page(PageRequest request) {
    return reads.read(c -> {
      String after = request.afterKey(TenantId::isValid);
      List<TenantRow> rows = Reads.list(c, "SELECT * FROM tenants WHERE id > ? ORDER BY id FETCH FIRST "
          + (request.limit() + 1) + " ROWS ONLY", rs -> row(rs, List.of()), after == null ? "" : after);
      Page<TenantRow> page = Reads.page(rows, request.limit(), TenantRow::id);
      return new Page<>(withModels(c, page.items()), page.next());
    });
  }

  /** Every tenant id, sorted. */
  public CompletionStage<List<String>> allIds() {
    return reads.read(c -> Reads.list(c, "SELECT id FROM tenants ORDER BY id", rs -> rs.getString(1)));
  }

  /** Every tenant id with when it was created, sorted by id (suspended tenants too): whom the platform bills. */
  public CompletionStage<Map<String, Instant>> createdAt() {
    return reads.read(c -> {
      Map<String, Instant> created = new java.util.LinkedHashMap<>();
      Reads.list(c, "SELECT id, created_ns FROM tenants ORDER BY id",
          rs -> created.put(rs.getString(1), ReadTables.instant(rs, "created_ns")));
      return created;
    });
  }

  /** How many tenants there are in each status (a status without tenants is left out). */
  public CompletionStage<Map<TenantEntity.Status, Long>> countByStatus() {
    return reads.read(c -> {
      Map<TenantEntity.Status, Long> counts = new java.util.EnumMap<>(TenantEntity.Status.class);
      Reads.list(c, "SELECT status, COUNT(*) FROM tenants GROUP BY status", rs -> counts.put(
          TenantEntity.Status.valueOf(rs.getString(1).toUpperCase(Locale.ROOT)), rs.getLong(2)));
      return counts;
    });
  }

  private static List<TenantRow> withModels(Connection c, List<TenantRow> tenants) throws SQLException {
    if (tenants.isEmpty()) {
      return tenants;
    }
    Map<String, List<String>> names = new HashMap<>();
    Reads.list(c, "SELECT tenant, model FROM models WHERE tenant >= ? AND tenant <= ? ORDER BY tenant, model",
        rs -> names.computeIfAbsent(rs.getString(1), t -> new ArrayList<>()).add(rs.getString(2)),
        tenants.get(0).id(), tenants.get(tenants.size() - 1).id());
    return tenants.stream().map(t -> new TenantRow(t.id(), t.displayName(), t.status(), t.quota(), t.workerPool(),
        t.organizationId(), t.createdAt(), t.updatedAt(), t.modelCount(), t.apiKeyCount(),
        names.getOrDefault(t.id(), List.of()))).toList();
  }

  private static TenantRow row(ResultSet rs, List<String> models) throws SQLException {
    return new TenantRow(rs.getString("id"), rs.getString("display_name"),
        TenantEntity.Status.valueOf(rs.getString("status").toUpperCase(Locale.ROOT)),
        ReadTables.json(rs.getString("quota"), Quota.class), rs.getString("worker_pool"),
        rs.getString("organization_id"), ReadTables.instant(rs, "created_ns"), ReadTables.instant(rs, "updated_ns"),
        rs.getInt("model_count"), rs.getInt("api_key_count"), models);
  }
}
