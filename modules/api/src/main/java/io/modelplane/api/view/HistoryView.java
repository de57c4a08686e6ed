package io.modelplane.api.view;

import io.modelplane.common.HistoryEntry;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One recorded change of a tenant or model: sequence number, type, when, by whom, what changed. */
public record HistoryView(long sequenceNr, String type, Instant at, String actor, Map<String, Object> details) {

  public static HistoryView from(HistoryEntry e) {
    return new HistoryView(e.sequenceNr(), e.type(), e.at(), e.actor(), new LinkedHashMap<>(e.details()));
  }

  public static List<HistoryView> from(List<HistoryEntry> entries) {
    return entries.stream().map(HistoryView::from).toList();
  }

  /** {@code GET /tenants/{tenant}/history}. */
  public record OfTenant(String tenant, List<HistoryView> events) {}

  /** {@code GET /tenants/{tenant}/models/{model}/history}. */
  public record OfModel(String model, List<HistoryView> events) {}
}
