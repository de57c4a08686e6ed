package io.modelplane.api.view;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.modelplane.control.readside.AuditLog;
import java.time.Instant;
import java.util.Map;

/** One entry of {@code GET /api/v1/admin/audit}; {@code model} absent for a change of the tenant itself. */
public record AuditEntryView(Instant time, String tenant, @JsonInclude(JsonInclude.Include.NON_NULL) String model,
    String actor, String type, Map<String, Object> summary) {

  public static AuditEntryView of(AuditLog.AuditEntry e) {
    return new AuditEntryView(e.time(), e.tenant(), e.model(), e.actor(), e.type(), e.summary());
  }
}
