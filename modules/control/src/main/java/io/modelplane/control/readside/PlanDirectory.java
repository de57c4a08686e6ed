package io.modelplane.control.readside;

import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/** The plans as the read tables hold them, each with how many tenants are on it. */
public final class PlanDirectory {

  /** One plan; {@code createdAt}/{@code updatedAt} null for the built-in plan never changed. */
  public record PlanRow(Plan plan, Instant createdAt, Instant updatedAt, long tenants) {}

  private final Reads reads;

  PlanDirectory(Reads reads) {
    this.reads = reads;
  }

  /** Plans ordered by id. */
  public CompletionStage<Page<PlanRow>> page(PageRequest request) {
    return reads.read(c -> {
      String after = request.afterKey(Plan::isValidId);
      List<PlanRow> rows = Reads.list(c, "SELECT * FROM plans WHERE id > ? ORDER BY id FETCH FIRST "
          + (request.limit() + 1) + " ROWS ONLY", PlanDirectory::row, after == null ? "" : after);
      Page<PlanRow> page = Reads.page(rows, request.limit(), r -> r.plan().id());
      Map<String, Long> counts = TenantDirectory.countOnPlans(c,
          page.items().stream().map(r -> r.plan().id()).toList());
      return new Page<>(page.items().stream()
          .map(r -> new PlanRow(r.plan(), r.createdAt(), r.updatedAt(), counts.getOrDefault(r.plan().id(), 0L)))
          .toList(), page.next());
    });
  }

  /** How many tenants are on {@code plan}. */
  public CompletionStage<Long> tenantsOn(String plan) {
    return reads.read(c -> TenantDirectory.countOnPlans(c, List.of(plan)).get(plan));
  }

  private static PlanRow row(ResultSet rs) throws SQLException {
    return new PlanRow(plan(rs, ""), ReadTables.instant(rs, "created_ns"), ReadTables.instant(rs, "updated_ns"), 0);
  }

  /** The plan in a row of the plans table whose columns carry {@code prefix}. */
  static Plan plan(ResultSet rs, String prefix) throws SQLException {
    return new Plan(rs.getString(prefix + "id"), rs.getString(prefix + "display_name"),
        ReadTables.json(rs.getString(prefix + "quota"), Quota.class),
        ReadTables.json(rs.getString(prefix + "prices"), Plan.Prices.class), rs.getString(prefix + "currency"));
  }
}
