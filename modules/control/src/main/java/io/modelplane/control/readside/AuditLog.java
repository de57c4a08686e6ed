package io.modelplane.control.readside;

import com.fasterxml.jackson.core.type.TypeReference;
import io.modelplane.common.HistoryEntry;
import io.modelplane.common.ModelKey;
import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import io.modelplane.common.TenantId;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The audit log: every change of every tenant and model, as projected from the journal, oldest first.
 * It also answers the per-tenant and per-model history.
 */
public final class AuditLog {
  private static final TypeReference<Map<String, Object>> SUMMARY = new TypeReference<>() {};

  /** One change; {@code model} null for a change of the tenant itself. */
  public record AuditEntry(long seqId, Instant time, String tenant, String model, String actor, String type,
      Map<String, Object> summary) {}

  /** What the entries must match; null fields match anything; {@code from} inclusive, {@code to} exclusive. */
  public record Filter(String tenant, String model, String actor, String type, Instant from, Instant to) {
    public static final Filter ALL = new Filter(null, null, null, null, null, null);

    /** From the query parameters as given (null when absent); unreadable times or from after to are refused (400). */
    public static Filter parse(String tenant, String model, String actor, String type, String from, String to) {
      Instant since = time("from", from);
      Instant until = time("to", to);
      if (since != null && until != null && since.isAfter(until)) {
        throw new Rejected(Rejection.invalid("invalid_range", "from must not be after to"));
      }
      return new Filter(tenant, model, actor, type, since, until);
    }

    private static Instant time(String name, String value) {
      if (value == null) {
        return null;
      }
      try {
        // 2026-11-26T08:00:00Z, or with an offset: 2026-11-26T09:00:00+01:00
        return OffsetDateTime.parse(value).toInstant();
      } catch (DateTimeParseException e) {
        throw new Rejected(Rejection.invalid("invalid_time", name + " must be an ISO-8601 instant such as 2026-11-26T08:00:00Z"));
      }
    }
  }

  private final Reads reads;

  AuditLog(Reads reads) {
    this.reads = reads;
  }

  /** The entries matching {@code filter}, oldest first (by sequence id). */
  public CompletionStage<Page<AuditEntry>> page(Filter filter, PageRequest request) {
    return reads.read(c -> {
      String after = request.afterKey(key -> key.matches("[0-9]{1,18}"));
      StringBuilder sql = new StringBuilder("SELECT * FROM audit_log WHERE seq_id > ?");
      List<Object> params = new ArrayList<>();
      params.add(after == null ? 0L : Long.parseLong(after));
      condition(sql, params, "tenant = ?", filter.tenant());
      condition(sql, params, "model = ?", filter.model());
      condition(sql, params, "actor = ?", filter.actor());
      condition(sql, params, "event_type = ?", filter.type());
      condition(sql, params, "time_ns >= ?", filter.from() == null ? null : ReadTables.nanosSaturated(filter.from()));
      condition(sql, params, "time_ns < ?", filter.to() == null ? null : ReadTables.nanosSaturated(filter.to()));
      sql.append(" ORDER BY seq_id FETCH FIRST ").append(request.limit() + 1).append(" ROWS ONLY");
      List<AuditEntry> rows = Reads.list(c, sql.toString(), AuditLog::entry, params.toArray());
      return Reads.page(rows, request.limit(), e -> String.valueOf(e.seqId()));
    });
  }

  /** Every recorded change of the tenant itself, oldest first. */
  public CompletionStage<List<HistoryEntry>> tenantHistory(TenantId tenant) {
    return history(TenantEntity.ENTITY_KEY.name() + "|" + tenant.value());
  }

  /** Every change of the model, oldest first; empty when the model has none (it does not exist). */
  public CompletionStage<List<HistoryEntry>> modelHistory(ModelKey key) {
    return history(ModelEntity.ENTITY_KEY.name() + "|" + key.entityId());
  }

  private CompletionStage<List<HistoryEntry>> history(String persistenceId) {
    return reads.read(c -> Reads.list(c, "SELECT * FROM audit_log WHERE persistence_id = ? ORDER BY sequence_nr",
        rs -> new HistoryEntry(rs.getLong("sequence_nr"), rs.getString("event_type"), ReadTables.instant(rs, "time_ns"),
            rs.getString("actor"), ReadTables.json(rs.getString("summary"), SUMMARY)), persistenceId));
  }

  private static void condition(StringBuilder sql, List<Object> params, String condition, Object value) {
    if (value != null) {
      sql.append(" AND ").append(condition);
      params.add(value);
    }
  }

  private static AuditEntry entry(ResultSet rs) throws SQLException {
    return new AuditEntry(rs.getLong("seq_id"), ReadTables.instant(rs, "time_ns"), rs.getString("tenant"),
        rs.getString("model"), rs.getString("actor"), rs.getString("event_type"),
        ReadTables.json(rs.getString("summary"), SUMMARY));
  }
}
