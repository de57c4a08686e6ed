package io.modelplane.control;

import io.modelplane.common.Plan;
import io.modelplane.common.TenantId;
import java.util.concurrent.CompletionStage;

/** The plan a tenant is on now: what its statements are priced at. */
@FunctionalInterface
public interface PlanLookup {
  CompletionStage<Plan> planOf(TenantId tenant);
}
