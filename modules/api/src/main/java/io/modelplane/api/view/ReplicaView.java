package io.modelplane.api.view;

import io.modelplane.inference.placement.PlacementCoordinator;
import java.util.List;

/** One replica of a deployed version: where it runs (null: nowhere yet), its state and why. */
public record ReplicaView(int version, String worker, String state, String reason) {

  public static ReplicaView from(PlacementCoordinator.ReplicaView r) {
    return new ReplicaView(r.version(), r.worker(), r.state().name(), r.reason());
  }

  /** Null for null (placement not asked). */
  public static List<ReplicaView> from(List<PlacementCoordinator.ReplicaView> replicas) {
    return replicas == null ? null : replicas.stream().map(ReplicaView::from).toList();
  }
}
