package io.modelplane.api;

import akka.actor.typed.ActorRef;
import io.modelplane.common.ModelKey;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.runtime.BatchSettings;
import io.modelplane.inference.worker.VersionToLoad;
import io.modelplane.registry.ArtifactStore;
import io.modelplane.registry.ModelEntity;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds placement the desired deployments read from the model entities: after every deploy,
 * rollback or archive, and for all models at start and periodically (so nothing missed stays
 * missed, e.g. a change acknowledged just before the placement singleton moved).
 */
public final class DeploymentFeed {
  private static final Logger log = LoggerFactory.getLogger(DeploymentFeed.class);

  private final ControlPlane controlPlane;
  private final ArtifactStore artifacts;
  private final ActorRef<PlacementCoordinator.Command> placement;
  private final int queueCapacity;
  private final akka.actor.typed.Scheduler scheduler;

  public DeploymentFeed(ControlPlane controlPlane, ArtifactStore artifacts,
      ActorRef<PlacementCoordinator.Command> placement, int queueCapacity, akka.actor.typed.Scheduler scheduler) {
    this.scheduler = scheduler;
    this.controlPlane = controlPlane;
    this.artifacts = artifacts;
    this.placement = placement;
    this.queueCapacity = queueCapacity;
  }

  public CompletionStage<Void> modelChanged(ModelKey key) {
    return controlPlane.readModel(key, ModelEntity.Get::new, ModelEntity.Summary.class)
        .thenAccept(summary -> placement.tell(new PlacementCoordinator.SetDeployment(key.entityId(), desired(key, summary))));
  }

  /** Each replica of the model's deployed versions and its state (empty if placement does not answer quickly). */
  public CompletionStage<List<PlacementCoordinator.ReplicaView>> replicas(ModelKey key) {
    return akka.actor.typed.javadsl.AskPattern.<PlacementCoordinator.Command, PlacementCoordinator.Replicas>ask(placement,
            replyTo -> new PlacementCoordinator.GetReplicas(key.entityId(), replyTo), java.time.Duration.ofSeconds(2), scheduler)
        .thenApply(PlacementCoordinator.Replicas::replicas)
        .exceptionally(failure -> List.of());
  }

  public CompletionStage<Void> resyncAll() {
    return controlPlane.modelIds().thenCompose(ids -> {
      List<CompletableFuture<Void>> each = ids.stream()
          .map(id -> modelChanged(ModelKey.parse(id)).toCompletableFuture()
              .exceptionally(failure -> {
                log.warn("could not read model {} for placement: {}", id, failure.getMessage());
                return null;
              }))
          .toList();
      return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    });
  }

  private PlacementCoordinator.DesiredDeployment desired(ModelKey key, ModelEntity.Summary summary) {
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
      versions.put(number, new VersionToLoad(VersionToLoad.key(key.entityId(), number), path, v.format(),
          v.inputs(), v.outputs(), v.sizeBytes()));
    }
    ModelEntity.DeploymentSpec spec = current.spec();
    return new PlacementCoordinator.DesiredDeployment(current.revision(), spec.traffic(), spec.replicas(),
        new BatchSettings(spec.maxBatchSize(), spec.maxBatchDelayMs(), queueCapacity), versions);
  }
}
