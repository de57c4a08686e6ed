package io.modelplane.tenancy.plan;

import io.modelplane.common.HistoryEntry;
import io.modelplane.common.Plan;
import io.modelplane.common.QuotaOverrides;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Describes a plan's events as audit log entries: what the plan became, who changed it and when. */
public final class PlanHistory {
  private PlanHistory() {}

  public static HistoryEntry describe(long sequenceNr, PlanEntity.Event event) {
    if (event instanceof PlanEntity.PlanCreated e) {
      return new HistoryEntry(sequenceNr, "plan_created", e.at(), e.actor(), details(e.plan()));
    }
    if (event instanceof PlanEntity.PlanUpdated e) {
      return new HistoryEntry(sequenceNr, "plan_updated", e.at(), e.actor(), details(e.plan()));
    }
    if (event instanceof PlanEntity.PlanDeleted e) {
      return new HistoryEntry(sequenceNr, "plan_deleted", e.at(), e.actor(), Map.of("plan", e.planId()));
    }
    throw new IllegalArgumentException("no history mapping for " + event.getClass().getName());
  }

  private static Map<String, Object> details(Plan plan) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("plan", plan.id());
    d.put("displayName", plan.displayName());
    d.put("quota", Collections.unmodifiableMap(new QuotaOverrides(plan.quota(), QuotaOverrides.LIMITS).asMap()));
    Map<String, Object> prices = new LinkedHashMap<>();
    prices.put("perMillionRequests", plan.prices().perMillionRequests());
    prices.put("perComputeHour", plan.prices().perComputeHour());
    prices.put("perGiBHourResident", plan.prices().perGiBHourResident());
    prices.put("monthlyBase", plan.prices().monthlyBase());
    d.put("prices", Collections.unmodifiableMap(prices));
    d.put("currency", plan.currency());
    return Collections.unmodifiableMap(d);
  }
}
