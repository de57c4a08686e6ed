package io.modelplane.control;

import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import io.modelplane.common.TenantId;
import io.modelplane.control.changes.TenantChanges;
import io.modelplane.control.readside.Page;
import io.modelplane.control.readside.PageRequest;
import io.modelplane.control.readside.PlanDirectory;
import io.modelplane.control.readside.ReadSide;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.plan.PlanEntity;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans for the API: changes go to the plan entities, lists and tenant counts come from the read side, and a
 * plan's new quota is pushed to the admission of every tenant on it.
 */
public final class Plans {
  private static final Logger log = LoggerFactory.getLogger(Plans.class);
  /** How long a delete waits for the read side to apply every change before counting the plan's tenants. */
  private static final Duration CATCH_UP = Duration.ofSeconds(5);

  private final ControlPlane controlPlane;
  private final ReadSide readSide;
  private final TenantChanges changes;

  public Plans(ControlPlane controlPlane, ReadSide readSide, TenantChanges changes) {
    this.controlPlane = controlPlane;
    this.readSide = readSide;
    this.changes = changes;
  }

  public CompletionStage<PlanDirectory.PlanRow> create(Plan plan, String actor) {
    return controlPlane.plan(plan.id(), r -> new PlanEntity.Create(plan, actor, r), PlanEntity.Details.class)
        .thenApply(d -> new PlanDirectory.PlanRow(d.plan(), d.createdAt(), d.updatedAt(), 0));
  }

  /** The plan with its tenant count; {@code plan_not_found} when it does not exist. */
  public CompletionStage<PlanDirectory.PlanRow> get(String planId) {
    return controlPlane.planDetails(validId(planId)).thenCompose(this::withTenants);
  }

  public CompletionStage<Page<PlanDirectory.PlanRow>> page(PageRequest request) {
    return readSide.plans().page(request);
  }

  /**
   * Changes the plan as {@code change} says (given the plan as it is now); a new quota reaches the admission of
   * its tenants at once (the quota entities read it again), not only at their next periodic read.
   */
  public CompletionStage<PlanDirectory.PlanRow> update(String planId, UnaryOperator<Plan> change, String actor) {
    return controlPlane.planDetails(validId(planId)).thenCompose(current -> {
      Plan changed = change.apply(current.plan());
      return controlPlane.plan(planId, r -> new PlanEntity.Update(changed, actor, r), PlanEntity.Details.class)
          .thenApply(updated -> {
            if (!updated.plan().quota().equals(current.plan().quota())) {
              refreshTenantsOn(planId, updated.plan().quota(), actor);
            }
            return updated;
          });
    }).thenCompose(this::withTenants);
  }

  /** Deletes the plan unless it is built in or tenants are on it (counted once the read side caught up). */
  public CompletionStage<Void> delete(String planId, String actor) {
    validId(planId);
    return caughtUp(System.nanoTime() + CATCH_UP.toNanos())
        .thenCompose(done -> readSide.plans().tenantsOn(planId))
        .thenCompose(count -> controlPlane.plan(planId, r -> new PlanEntity.Delete(count, actor, r),
            PlanEntity.Deleted.class))
        .thenApply(deleted -> null);
  }

  /**
   * The plan a tenant is to be put on; 400 {@code unknown_plan} when there is no such plan (null: the default plan).
   */
  public CompletionStage<Plan> forTenant(String planId) {
    String id = planId == null ? Plan.DEFAULT_ID : planId;
    if (!Plan.isValidId(id)) {
      return CompletableFuture.failedFuture(unknownPlan(id));
    }
    return controlPlane.planDetails(id).handle((details, failure) -> {
      if (failure == null) {
        return details.plan();
      }
      Throwable cause = Rejected.unwrap(failure);
      if (cause instanceof Rejected r && r.rejection().reason() == Rejection.Reason.NOT_FOUND) {
        throw unknownPlan(id);
      }
      throw cause instanceof RuntimeException e ? e : new java.util.concurrent.CompletionException(cause);
    });
  }

  private static Rejected unknownPlan(String id) {
    return new Rejected(Rejection.invalid("unknown_plan", "plan " + id + " does not exist"));
  }

  private static String validId(String planId) {
    if (!Plan.isValidId(planId)) {
      // no plan can have this id
      throw new Rejected(Rejection.notFound("plan_not_found", "plan " + planId + " does not exist"));
    }
    return planId;
  }

  private CompletionStage<PlanDirectory.PlanRow> withTenants(PlanEntity.Details d) {
    return readSide.plans().tenantsOn(d.plan().id())
        .thenApply(count -> new PlanDirectory.PlanRow(d.plan(), d.createdAt(), d.updatedAt(), count));
  }

  private CompletionStage<Boolean> caughtUp(long deadline) {
    return readSide.caughtUp().thenCompose(caughtUp -> {
      if (caughtUp) {
        return CompletableFuture.completedFuture(true);
      }
      if (System.nanoTime() > deadline) {
        throw new Rejected(Rejection.unavailable("read_side_behind",
            "the platform is still recording recent changes; try again in a few seconds"), 2);
      }
      return akka.pattern.Patterns.after(Duration.ofMillis(100), controlPlane.system().classicSystem().scheduler(),
          controlPlane.system().executionContext(), () -> caughtUp(deadline));
    });
  }

  /**
   * Tells the quota entity of every tenant on the plan to read its quota again (and every node to drop leases), and
   * each tenant to record its new effective quota (what placement reads the resident-bytes limit from).
   */
  private void refreshTenantsOn(String planId, Quota planQuota, String actor) {
    readSide.tenants().idsOnPlan(planId)
        .thenCompose(ids -> Source.from(ids)
            .mapAsyncUnordered(16, id -> changes.changed(TenantId.of(id)))
            .runWith(Sink.ignore(), controlPlane.system())
            .thenCompose(told -> Source.from(ids)
                .mapAsyncUnordered(16, id -> controlPlane.tenant(TenantId.of(id),
                    r -> new TenantEntity.FollowPlan(planId, planQuota, actor, r), TenantEntity.Summary.class))
                .runWith(Sink.ignore(), controlPlane.system())))
        .whenComplete((done, failure) -> {
          if (failure != null) {
            // each quota entity still reads the plan again within a second; placement follows at the tenant's next change
            log.warn("could not tell every tenant of plan {} of its new quota: {}", planId, failure.toString());
          }
        });
  }
}
