package io.modelplane.control;

import akka.actor.typed.ActorRef;
import io.modelplane.common.ModelKey;
import io.modelplane.common.Quota;
import io.modelplane.common.TenantId;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.runtime.ModelFootprint;
import io.modelplane.inference.worker.VersionToLoad;
import io.modelplane.registry.ArtifactStore;
import io.modelplane.registry.ModelEntity;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds placement the desired deployments read from the model entities, and each tenant's
 * resident-bytes limit read from its tenant entity: after every deploy, rollback or archive,
 * after a tenant's quota changes, and for all models at start and periodically (so nothing missed
 * stays missed, e.g. a change acknowledged just before the placement singleton moved).
 */
public final class DeploymentFeed {
  private static final Logger log = LoggerFactory.getLogger(DeploymentFeed.class);
  static final long DEFAULT_FOOTPRINT_CAP = 64L * 1024 * 1024 * 1024;

  private final ControlPlane controlPlane;
  private final ArtifactStore artifacts;
  private final ActorRef<PlacementCoordinator.Command> placement;
  private final int queueCapacity;
  private final akka.actor.typed.Scheduler scheduler;
  /** sha256 → resident estimate; an artifact's bytes never change under its address */
  private final Map<String, Long> footprints = new ConcurrentHashMap<>();
  private final long footprintCap;

  public DeploymentFeed(ControlPlane controlPlane, ArtifactStore artifacts,
      ActorRef<PlacementCoordinator.Command> placement, int queueCapacity, akka.actor.typed.Scheduler scheduler) {
    this(controlPlane, artifacts, placement, queueCapacity, scheduler, DEFAULT_FOOTPRINT_CAP);
  }

  /** Estimates stop counting past {@code footprintCap} bytes (the largest worker budget will do: more never fits). */
  public DeploymentFeed(ControlPlane controlPlane, ArtifactStore artifacts,
      ActorRef<PlacementCoordinator.Command> placement, int queueCapacity, akka.actor.typed.Scheduler scheduler,
      long footprintCap) {
    this.footprintCap = footprintCap;
    this.scheduler = scheduler;
    this.controlPlane = controlPlane;
    this.artifacts = artifacts;
    this.placement = placement;
    this.queueCapacity = queueCapacity;
  }

  /**
   * Sends placement the model's current deployment, preceded by its tenant's limit as read now
   * (told from one callback, so they arrive in that order and a new tenant's deployment is never
   * placed before its limit is known). A limit read just before a concurrent quota PATCH can
   * arrive after that PATCH's own message; the periodic resync corrects it.
   */
  public CompletionStage<Void> modelChanged(ModelKey key) {
    return controlPlane.tenantSummary(key.tenant())
        .thenCombine(controlPlane.readModel(key, ModelEntity.Get::new, ModelEntity.Summary.class), (tenant, model) -> {
          tenantQuotaChanged(key.tenant(), tenant.quota());
          placement.tell(new PlacementCoordinator.SetDeployment(key, desired(key, model, tenant.workerPool())));
          return null;
        });
  }

  /** Tells placement the tenant's new resident-bytes limit (null quota or field: unlimited); call after the quota changed. */
  public void tenantQuotaChanged(TenantId tenant, Quota quota) {
    placement.tell(new PlacementCoordinator.SetTenantQuota(tenant, quota == null ? null : quota.maxResidentBytes()));
  }

  /**
   * Sends placement every deployment of the tenant again; call after its worker pool changed (its
   * replicas then move to the pool's workers, or back to the shared ones).
   */
  public CompletionStage<Void> tenantPoolChanged(TenantId tenant) {
    return controlPlane.tenantSummary(tenant).thenCompose(summary ->
        resyncTenant(tenant, summary.models().stream().map(model -> ModelKey.of(tenant.value(), model)).toList()));
  }

  /** Each replica of the model's deployed versions and its state (empty if placement does not answer quickly). */
  public CompletionStage<List<PlacementCoordinator.ReplicaView>> replicas(ModelKey key) {
    return akka.actor.typed.javadsl.AskPattern.<PlacementCoordinator.Command, PlacementCoordinator.Replicas>ask(placement,
            replyTo -> new PlacementCoordinator.GetReplicas(key, replyTo), java.time.Duration.ofSeconds(2), scheduler)
        .thenApply(PlacementCoordinator.Replicas::replicas)
        .exceptionally(failure -> List.of());
  }

  /** Every model's deployment, each tenant's limit sent before its models' deployments (one tenant read per tenant). */
  public CompletionStage<Void> resyncAll() {
    return controlPlane.modelIds().thenCompose(ids -> {
      Map<TenantId, List<ModelKey>> byTenant = new TreeMap<>(Comparator.comparing(TenantId::value));
      ids.stream().map(ModelKey::parse).forEach(key -> byTenant.computeIfAbsent(key.tenant(), t -> new ArrayList<>()).add(key));
      List<CompletableFuture<Void>> each = byTenant.entrySet().stream()
          .map(e -> resyncTenant(e.getKey(), e.getValue()).toCompletableFuture())
          .toList();
      return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    });
  }

  private CompletionStage<Void> resyncTenant(TenantId tenant, List<ModelKey> models) {
    return controlPlane.tenantSummary(tenant)
        .thenCompose(summary -> {
          tenantQuotaChanged(tenant, summary.quota());
          List<CompletableFuture<Void>> each = models.stream()
              .map(key -> controlPlane.readModel(key, ModelEntity.Get::new, ModelEntity.Summary.class)
                  .thenAccept(model -> placement.tell(new PlacementCoordinator.SetDeployment(key,
                      desired(key, model, summary.workerPool()))))
                  .toCompletableFuture()
                  .exceptionally(failure -> {
                    log.warn("could not read model {} for placement: {}", key, failure.getMessage());
                    return null;
                  }))
              .toList();
          return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
        })
        .exceptionally(failure -> {
          // its models wait for the next resync rather than be placed without their limit
          log.warn("could not read tenant {} for placement: {}", tenant, failure.getMessage());
          return null;
        });
  }

  /**
   * What the version will hold once loaded ({@link ModelFootprint}), counted once per artifact: the
   * archive inflated, never the compressed upload. A file that cannot be read counts its registered
   * size (its load fails with the reason).
   */
  private long residentEstimate(ModelEntity.VersionInfo v) {
    Long known = footprints.get(v.sha256());
    if (known != null) {
      return known;
    }
    return artifacts.find(v.sha256()).map(path -> {
      try {
        long estimate = ModelFootprint.estimate(path, footprintCap);
        footprints.put(v.sha256(), estimate);
        return estimate;
      } catch (IOException e) {
        log.warn("cannot size artifact {}: {}", v.sha256(), e.getMessage());
        return v.sizeBytes();
      }
    }).orElse(v.sizeBytes());
  }

  /** {@code workerPool}: the tenant's dedicated pool (null: shared workers), part of every deployment placement gets. */
  private PlacementCoordinator.DesiredDeployment desired(ModelKey key, ModelEntity.Summary summary, String workerPool) {
    ModelEntity.DeploymentRevision current = summary.deployment();
    if (current == null) {
      return null;
    }
    Map<Integer, VersionToLoad> versions = new HashMap<>();
    for (Integer number : current.spec().traffic().keySet()) {
      ModelEntity.VersionInfo v = summary.versions().stream().filter(i -> i.version() == number).findFirst().orElseThrow();
      // a missing file fails that replica's load with a reason the deployment then shows
      String path = artifacts.find(v.sha256()).map(Object::toString)
          .orElse("artifact " + v.sha256() + " is missing from the artifact store");
      versions.put(number, new VersionToLoad(new VersionKey(key, number), path, v.format(),
          v.inputs(), v.outputs(), residentEstimate(v), v.sha256()));
    }
    ModelEntity.DeploymentSpec spec = current.spec();
    return new PlacementCoordinator.DesiredDeployment(current.revision(), spec.traffic(), spec.replicas(),
        new BatchSettings(spec.maxBatchSize(), spec.maxBatchDelayMs(), queueCapacity, spec.engineThreads()), versions,
        workerPool);
  }
}
