package io.modelplane.control.offboarding;

import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.control.ControlPlane;
import io.modelplane.control.IdentityProvisioning;
import io.modelplane.control.changes.TenantChanges;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes a tenant for good, in steps that can each be run again: the tenant turns {@code deleting} (the first durable
 * step: from then on its keys and tokens are refused and nothing new is accepted, and its API keys are revoked), its
 * models are purged (placement unloads their replicas), its Keycloak organization and groups are removed, its
 * artifacts are deleted and its data key destroyed (crypto-shredding), and last it turns {@code deleted}. A deletion
 * cut short by a crash or an outage leaves the tenant {@code deleting}; deleting it again carries on. The journal
 * (the audit log) and the usage rows (what was billed) are kept.
 */
public final class TenantOffboarding {
  private static final Logger log = LoggerFactory.getLogger(TenantOffboarding.class);

  /** Deletes every stored artifact of a tenant and then destroys its data key; answers how many were deleted. */
  @FunctionalInterface
  public interface Shredder {
    CompletionStage<Integer> shred(TenantId tenant);
  }

  private final ControlPlane controlPlane;
  private final TenantChanges changes;
  private final IdentityProvisioning provisioning;
  private final Shredder shredder;

  /** {@code provisioning} null when Keycloak is off. */
  public TenantOffboarding(ControlPlane controlPlane, TenantChanges changes, IdentityProvisioning provisioning,
      Shredder shredder) {
    this.controlPlane = controlPlane;
    this.changes = changes;
    this.provisioning = provisioning;
    this.shredder = shredder;
  }

  /**
   * Deletes (or carries on deleting) the tenant on behalf of {@code actor}; {@code releaseId}: its id may be created
   * again afterwards. A tenant deleted already answers how it was deleted.
   */
  public CompletionStage<TenantEntity.Deletion> delete(TenantId tenant, boolean releaseId, String actor) {
    return controlPlane.tenant(tenant, r -> new TenantEntity.StartDeletion(releaseId, actor, r), TenantEntity.Summary.class)
        .thenCompose(summary -> summary.status() == TenantEntity.Status.DELETED
            ? finish(tenant, releaseId, 0, actor)
            : changes.changedHere(tenant)
                .thenCompose(told -> purgeModels(tenant, summary, actor))
                .thenCompose(done -> removeIdentity(tenant))
                .thenCompose(done -> shredder.shred(tenant))
                .thenCompose(artifacts -> finish(tenant, releaseId, artifacts, actor)))
        .whenComplete((deletion, failure) -> {
          if (failure == null) {
            log.info("tenant {} deleted by {}: {} artifacts deleted, data key destroyed, id {}", tenant, actor,
                deletion.artifactsDeleted(), deletion.idReleased() ? "released" : "kept");
          } else {
            log.warn("deletion of tenant {} stopped, it stays deleting until deleted again: {}", tenant,
                failure.getClass().getSimpleName());
          }
        });
  }

  private CompletionStage<TenantEntity.Deletion> finish(TenantId tenant, boolean releaseId, int artifacts, String actor) {
    return controlPlane.tenant(tenant, r -> new TenantEntity.FinishDeletion(releaseId, artifacts, actor, r),
            TenantEntity.Deletion.class)
        .thenCompose(deletion -> changes.changedHere(tenant).thenApply(told -> deletion));
  }

  /** Each model name the tenant holds, purged under its reservation (a later upload under it is refused). */
  private CompletionStage<Void> purgeModels(TenantId tenant, TenantEntity.Summary summary, String actor) {
    List<CompletableFuture<ModelEntity.Vacant>> purges = summary.models().stream()
        .map(name -> controlPlane.model(new ModelKey(tenant, ModelId.of(name)),
            r -> new ModelEntity.Purge(summary.modelReservations().getOrDefault(name, 0L), actor, r),
            ModelEntity.Vacant.class).toCompletableFuture())
        .toList();
    return CompletableFuture.allOf(purges.toArray(CompletableFuture[]::new));
  }

  private CompletionStage<Void> removeIdentity(TenantId tenant) {
    return provisioning == null ? CompletableFuture.completedFuture(null) : provisioning.removeTenant(tenant);
  }
}
