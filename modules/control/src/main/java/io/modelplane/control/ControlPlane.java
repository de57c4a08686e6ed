package io.modelplane.control;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import io.modelplane.common.Rejected;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.Plan;
import io.modelplane.common.TenantId;
import io.modelplane.identity.ApiKeyAuthenticator;
import io.modelplane.identity.ApiKeyCredential;
import io.modelplane.identity.token.TenantAccess;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.plan.PlanEntity;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The API layer's door to the event-sourced control plane: asks to sharded entities with short
 * timeouts (reads are retried, since asks to a just-removed node's entities are lost for a few
 * seconds) and entity refusals thrown as {@link Rejected}.
 */
public final class ControlPlane {
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final int readAttempts;

  public ControlPlane(ActorSystem<?> system, Duration askTimeout, int readAttempts) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.readAttempts = readAttempts;
  }

  public ActorSystem<?> system() {
    return system;
  }

  /**
   * Sends a state-changing command to a tenant: one attempt, so a write is never applied twice by us. A
   * {@link TenantEntity.Summary} answered carries the tenant's effective quota on its plan as it is now.
   */
  public <T extends TenantEntity.Reply> CompletionStage<T> tenant(
      TenantId id, Function<ActorRef<TenantEntity.Reply>, TenantEntity.Command> command, Class<T> expected) {
    return expect(sharding.entityRefFor(TenantEntity.ENTITY_KEY, id.value()).ask(command::apply, askTimeout), expected)
        .thenCompose(this::onPlanNow);
  }

  /** Asks a tenant a question that changes nothing, retrying on timeout (a summary as {@link #tenant} answers it). */
  public <T extends TenantEntity.Reply> CompletionStage<T> readTenant(
      TenantId id, Function<ActorRef<TenantEntity.Reply>, TenantEntity.Command> query, Class<T> expected) {
    return rawReadTenant(id, query, expected).thenCompose(this::onPlanNow);
  }

  private <T extends TenantEntity.Reply> CompletionStage<T> rawReadTenant(
      TenantId id, Function<ActorRef<TenantEntity.Reply>, TenantEntity.Command> query, Class<T> expected) {
    return expect(retrying(() -> sharding.entityRefFor(TenantEntity.ENTITY_KEY, id.value()).ask(query::apply, askTimeout), readAttempts), expected);
  }

  /** Sends a state-changing command to a plan: one attempt. */
  public <T extends PlanEntity.Reply> CompletionStage<T> plan(
      String planId, Function<ActorRef<PlanEntity.Reply>, PlanEntity.Command> command, Class<T> expected) {
    return expect(sharding.entityRefFor(PlanEntity.ENTITY_KEY, planId).ask(command::apply, askTimeout), expected);
  }

  /** The plan as it is now; fails with {@code plan_not_found} when it does not exist. */
  public CompletionStage<PlanEntity.Details> planDetails(String planId) {
    return expect(retrying(() -> sharding.entityRefFor(PlanEntity.ENTITY_KEY, planId)
        .<PlanEntity.Reply>ask(PlanEntity.Get::new, askTimeout), readAttempts), PlanEntity.Details.class);
  }

  /** The tenant's plan as it is now (what it is billed by). */
  public CompletionStage<Plan> planOf(TenantId tenant) {
    return rawReadTenant(tenant, TenantEntity.Get::new, TenantEntity.Summary.class)
        .thenCompose(s -> currentPlan(s.plan()));
  }

  /**
   * The plan, or the built-in default plan when it was deleted (only a tenant moved onto a plan while it was being
   * deleted can be on a plan that no longer exists).
   */
  private CompletionStage<Plan> currentPlan(String planId) {
    return planDetails(planId).handle((details, failure) -> {
      if (failure == null) {
        return CompletableFuture.completedFuture(details.plan());
      }
      if (!Plan.DEFAULT_ID.equals(planId) && Rejected.unwrap(failure) instanceof Rejected e
          && e.rejection().reason() == io.modelplane.common.Rejection.Reason.NOT_FOUND) {
        return planDetails(Plan.DEFAULT_ID).thenApply(PlanEntity.Details::plan);
      }
      return CompletableFuture.<Plan>failedFuture(Rejected.unwrap(failure));
    }).thenCompose(Function.identity());
  }

  @SuppressWarnings("unchecked")
  private <T> CompletionStage<T> onPlanNow(T reply) {
    if (reply instanceof TenantEntity.Summary s) {
      return currentPlan(s.plan()).thenApply(plan -> (T) s.onPlanQuota(plan.quota()));
    }
    return CompletableFuture.completedFuture(reply);
  }

  public <T extends ModelEntity.Reply> CompletionStage<T> model(
      ModelKey key, Function<ActorRef<ModelEntity.Reply>, ModelEntity.Command> command, Class<T> expected) {
    return expect(sharding.entityRefFor(ModelEntity.ENTITY_KEY, key.entityId()).ask(command::apply, askTimeout), expected);
  }

  public <T extends ModelEntity.Reply> CompletionStage<T> readModel(
      ModelKey key, Function<ActorRef<ModelEntity.Reply>, ModelEntity.Command> query, Class<T> expected) {
    return expect(retrying(() -> sharding.entityRefFor(ModelEntity.ENTITY_KEY, key.entityId()).ask(query::apply, askTimeout), readAttempts), expected);
  }

  public CompletionStage<TenantEntity.Summary> tenantSummary(TenantId id) {
    return readTenant(id, TenantEntity.Get::new, TenantEntity.Summary.class);
  }

  /**
   * Gives up the tenant's reservation of a model name when the model has no version (its upload failed or
   * was cut short by a crash): the model releases the reservation first, so that an upload still under way
   * with it can no longer create the model, then the tenant drops the name if it still holds this
   * reservation. True when released; false when the model has versions.
   */
  public CompletionStage<Boolean> releaseIfVacant(ModelKey key, long reservation, String actor) {
    return model(key, r -> new ModelEntity.ReleaseReservation(reservation, actor, r), ModelEntity.Reply.class)
        .thenCompose(reply -> reply instanceof ModelEntity.Vacant
            ? tenant(key.tenant(), r -> new TenantEntity.ReleaseModel(key.model().value(), reservation, actor, r),
                TenantEntity.Summary.class).thenApply(s -> true)
            : CompletableFuture.completedFuture(false));
  }

  /** Releases each model name of the tenant whose model has no version; answers the tenant as it is then. */
  public CompletionStage<TenantEntity.Summary> releaseVacantModels(TenantEntity.Summary tenant, String actor) {
    TenantId id = TenantId.of(tenant.id());
    List<CompletableFuture<Boolean>> releases = tenant.models().stream()
        .map(name -> releaseIfVacant(new ModelKey(id, ModelId.of(name)),
            tenant.modelReservations().getOrDefault(name, 0L), actor).toCompletableFuture())
        .toList();
    return CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new))
        .thenCompose(done -> releases.stream().anyMatch(CompletableFuture::join)
            ? tenantSummary(id) : CompletableFuture.completedFuture(tenant));
  }

  /**
   * Completes when the tenant exists and is not being deleted; else fails with {@code tenant_deleting} (409) or
   * {@code tenant_not_found}: nothing new may be deployed for a tenant on its way out.
   */
  public CompletionStage<TenantEntity.Summary> unlessDeleting(TenantId id) {
    return tenantSummary(id).thenApply(s -> {
      if (s.status() == TenantEntity.Status.DELETING) {
        throw new Rejected(io.modelplane.common.Rejection.conflict("tenant_deleting", "tenant " + id + " is being deleted"));
      }
      if (s.status() == TenantEntity.Status.DELETED) {
        throw new Rejected(io.modelplane.common.Rejection.notFound("tenant_not_found", "tenant " + id + " does not exist"));
      }
      return s;
    });
  }

  /**
   * Whether the tenant is active (false: suspended or being deleted) and whose tokens it revoked; empty when it does
   * not exist or was deleted.
   */
  public CompletionStage<Optional<TenantAccess>> tenantAccess(TenantId id) {
    return rawReadTenant(id, TenantEntity.Get::new, TenantEntity.Summary.class).handle((s, failure) -> {
      if (failure == null && s.status() == TenantEntity.Status.DELETED) {
        return Optional.<TenantAccess>empty();
      }
      if (failure == null) {
        return Optional.of(new TenantAccess(s.status() == TenantEntity.Status.ACTIVE, s.tokensRevokedBefore()));
      }
      if (Rejected.unwrap(failure) instanceof Rejected e
          && e.rejection().reason() == io.modelplane.common.Rejection.Reason.NOT_FOUND) {
        return Optional.empty();
      }
      throw failure instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(failure);
    });
  }

  /** The lookup behind API key authentication: the key's tenant entity is the source of truth. */
  public CompletionStage<Optional<ApiKeyAuthenticator.StoredKey>> findApiKey(ApiKeyCredential key) {
    return retrying(() -> sharding.entityRefFor(TenantEntity.ENTITY_KEY, key.tenant().value())
            .<TenantEntity.Reply>ask(replyTo -> new TenantEntity.LookupApiKey(key.keyId(), replyTo), askTimeout), readAttempts)
        .thenApply(reply -> reply instanceof TenantEntity.ApiKeyMatch m
            ? Optional.of(new ApiKeyAuthenticator.StoredKey(m.keyId(), m.role(), m.secretHash(),
                m.tenantStatus() == TenantEntity.Status.ACTIVE))
            : Optional.empty());
  }

  private <R> CompletionStage<R> retrying(java.util.function.Supplier<CompletionStage<R>> ask, int attempts) {
    return ask.get().handle((reply, failure) -> {
      if (failure == null) {
        return CompletableFuture.completedFuture(reply);
      }
      Throwable cause = Rejected.unwrap(failure);
      boolean timedOut = cause instanceof java.util.concurrent.TimeoutException
          || cause instanceof akka.pattern.AskTimeoutException;
      return timedOut && attempts > 1 ? retrying(ask, attempts - 1) : CompletableFuture.<R>failedFuture(cause);
    }).thenCompose(Function.identity());
  }

  @SuppressWarnings("unchecked")
  private static <R, T> CompletionStage<T> expect(CompletionStage<R> reply, Class<T> expected) {
    return reply.thenApply(r -> {
      if (expected.isInstance(r)) {
        return (T) r;
      }
      if (r instanceof TenantEntity.Rejected rejected) {
        throw new Rejected(rejected.rejection());
      }
      if (r instanceof ModelEntity.Rejected rejected) {
        throw new Rejected(rejected.rejection());
      }
      if (r instanceof PlanEntity.Rejected rejected) {
        throw new Rejected(rejected.rejection());
      }
      throw new IllegalStateException("unexpected reply " + r.getClass().getSimpleName());
    });
  }
}
