package io.modelplane.control.readside;

import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.common.QuotaOverrides;
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

  /**
   * One tenant; {@code quota} is its effective quota (its plan's as the plans table holds it, each override
   * replacing a limit); {@code models} are the names it holds (as its own view lists them), sorted.
   */
  public record TenantRow(String id, String displayName, TenantEntity.Status status, Quota quota, String workerPool,
      String organizationId, Instant createdAt, Instant updatedAt, int modelCount, int apiKeyCount,
      List<String> models, String plan, QuotaOverrides quotaOverrides) {}

  /**
   * What listed tenants must match; null fields match anything. {@code text}: a substring of the id or display
   * name, in any case.
   */
  public record Filter(String plan, TenantEntity.Status status, String text) {
    public static final Filter ALL = new Filter(null, null, null);
  }

  private final Reads reads;

  TenantDirectory(Reads reads) {
    this.reads = reads;
  }

  /** Tenants ordered by id. */
  public CompletionStage<Page<TenantRow>> page(PageRequest request) {
    return page(Filter.ALL, request);
  }

  /**
   * The tenants matching {@code filter}, ordered by id (the plan and status filters use an index); deleted tenants
   * only when the filter asks for status deleted.
   */
  public CompletionStage<Page<TenantRow>> page(Filter filter, PageRequest request) {
    return reads.read(c -> {
      String after = request.afterKey(TenantId::isValid);
      StringBuilder sql = new StringBuilder(
          "SELECT t.*, p.quota AS plan_quota FROM tenants t LEFT JOIN plans p ON p.id = t.plan WHERE t.id > ?");
      List<Object> params = new ArrayList<>();
      params.add(after == null ? "" : after);
      if (filter.plan() != null) {
        sql.append(" AND t.plan = ?");
        params.add(filter.plan());
      }
      if (filter.status() != null) {
        sql.append(" AND t.status = ?");
        params.add(filter.status().wireName());
      } else {
        // deleted tenants only when asked for
        sql.append(" AND t.status <> ?");
        params.add(TenantEntity.Status.DELETED.wireName());
      }
      if (filter.text() != null && !filter.text().isEmpty()) {
        sql.append(" AND (t.id LIKE ? ESCAPE '!' OR LOWER(t.display_name) LIKE ? ESCAPE '!')");
        String pattern = "%" + filter.text().toLowerCase(Locale.ROOT)
            .replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
        params.add(pattern);
        params.add(pattern);
      }
      sql.append(" ORDER BY t.id FETCH FIRST ").append(request.limit() + 1).append(" ROWS ONLY");
      List<TenantRow> rows = Reads.list(c, sql.toString(), rs -> row(rs, List.of()), params.toArray());
      Page<TenantRow> page = Reads.page(rows, request.limit(), TenantRow::id);
      return new Page<>(withModels(c, page.items()), page.next());
    });
  }

  /** Every tenant id, sorted. */
  public CompletionStage<List<String>> allIds() {
    return reads.read(c -> Reads.list(c, "SELECT id FROM tenants ORDER BY id", rs -> rs.getString(1)));
  }

  /** The ids of the tenants on {@code plan}, sorted. */
  public CompletionStage<List<String>> idsOnPlan(String plan) {
    return reads.read(c -> Reads.list(c, "SELECT id FROM tenants WHERE plan = ? ORDER BY id", rs -> rs.getString(1),
        plan));
  }

  /** How many tenants are on each of {@code plans} (0 for a plan with none). */
  public CompletionStage<Map<String, Long>> countOnPlans(List<String> plans) {
    return reads.read(c -> countOnPlans(c, plans));
  }

  static Map<String, Long> countOnPlans(Connection c, List<String> plans) throws SQLException {
    Map<String, Long> counts = new HashMap<>();
    plans.forEach(p -> counts.put(p, 0L));
    if (plans.isEmpty()) {
      return counts;
    }
    String marks = String.join(", ", java.util.Collections.nCopies(plans.size(), "?"));
    Reads.list(c, "SELECT plan, COUNT(*) FROM tenants WHERE plan IN (" + marks + ") GROUP BY plan",
        rs -> counts.put(rs.getString(1), rs.getLong(2)), plans.toArray());
    return counts;
  }

  /** A tenant as billing sees it: when it was created (and deleted: null while it is not) and its plan now. */
  public record Billed(String id, Instant createdAt, Plan plan, Instant deletedAt) {
    public Billed(String id, Instant createdAt, Plan plan) {
      this(id, createdAt, plan, null);
    }
  }

  /**
   * Every tenant, sorted by id (suspended and deleted ones too), with its plan as the plans table holds it: whom the
   * platform bills. A deleted tenant's row changes no more after its deletion, so its last update is when it was.
   */
  public CompletionStage<List<Billed>> billed() {
    return reads.read(c -> Reads.list(c, "SELECT t.id AS tenant_id, t.created_ns AS tenant_created_ns, p.id AS p_id,"
            + " t.status AS tenant_status, t.updated_ns AS tenant_updated_ns,"
            + " p.display_name AS p_display_name, p.quota AS p_quota, p.prices AS p_prices, p.currency AS p_currency"
            + " FROM tenants t LEFT JOIN plans p ON p.id = COALESCE(t.plan, '" + Plan.DEFAULT_ID + "') ORDER BY t.id",
        rs -> new Billed(rs.getString("tenant_id"), ReadTables.instant(rs, "tenant_created_ns"),
            // a plan deleted while a tenant moved onto it: the default plan, as the control plane answers
            rs.getString("p_id") == null ? Plan.builtInDefault() : PlanDirectory.plan(rs, "p_"),
            TenantEntity.Status.DELETED.wireName().equals(rs.getString("tenant_status"))
                ? ReadTables.instant(rs, "tenant_updated_ns") : null)));
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
        names.getOrDefault(t.id(), List.of()), t.plan(), t.quotaOverrides())).toList();
  }

  private static TenantRow row(ResultSet rs, List<String> models) throws SQLException {
    Quota recorded = ReadTables.json(rs.getString("quota"), Quota.class);
    String overridesJson = rs.getString("quota_overrides");
    // rows projected before plans existed: the limits that differ from the defaults
    QuotaOverrides overrides = overridesJson == null ? QuotaOverrides.differences(Quota.defaults(), recorded)
        : ReadTables.json(overridesJson, QuotaOverrides.class);
    String planQuota = rs.getString("plan_quota");
    String plan = rs.getString("plan");
    // a plan deleted while a tenant moved onto it: the quota recorded with the tenant's last change of terms
    Quota effective = planQuota == null ? recorded : overrides.over(ReadTables.json(planQuota, Quota.class));
    return new TenantRow(rs.getString("id"), rs.getString("display_name"),
        TenantEntity.Status.valueOf(rs.getString("status").toUpperCase(Locale.ROOT)),
        effective, rs.getString("worker_pool"),
        rs.getString("organization_id"), ReadTables.instant(rs, "created_ns"), ReadTables.instant(rs, "updated_ns"),
        rs.getInt("model_count"), rs.getInt("api_key_count"), models, plan == null ? Plan.DEFAULT_ID : plan, overrides);
  }
}
