package io.modelplane.api.view;

import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.placement.PlacementCoordinator.ReplicaState;
import io.modelplane.registry.ModelEntity;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model with its versions and current deployment; {@code status} and {@code replicas} only when placement
 * was asked (GET of one model), else null.
 */
public record ModelView(String name, Instant createdAt, List<VersionView> versions, DeploymentView deployment,
    String status, List<ReplicaView> replicas) {
  /** What a not-ready version shows first: the cause a user can act on before the transient ones. */
  private static final List<ReplicaState> HOLD_BACK =
      List.of(ReplicaState.QUOTA_EXCEEDED, ReplicaState.FAILED, ReplicaState.DEGRADED, ReplicaState.PENDING,
          ReplicaState.LOADING, ReplicaState.SCALED_TO_ZERO);

  /** {@code replicas} null: placement not asked. */
  public static ModelView from(ModelEntity.Summary s, List<PlacementCoordinator.ReplicaView> replicas) {
    DeploymentView deployment = DeploymentView.current(s);
    return new ModelView(s.model(), s.createdAt(), VersionView.from(s.versions()), deployment,
        status(deployment, replicas), ReplicaView.from(replicas));
  }

  /** A model in a list (read side): no placement, and the deployment's rollback fields unknown (null). */
  public static ModelView listed(ModelEntity.Summary s) {
    return new ModelView(s.model(), s.createdAt(), VersionView.from(s.versions()), DeploymentView.from(s.deployment()),
        null, null);
  }

  /**
   * The deployment at a glance (GET of one model): {@code ready} when every version with traffic has a
   * ready replica, else what holds the first one back that is not: {@code quota_exceeded}, {@code failed},
   * {@code pending}, {@code loading} or {@code scaled_to_zero}; {@code not_deployed} without a deployment.
   */
  static String status(DeploymentView deployment, List<PlacementCoordinator.ReplicaView> replicas) {
    if (replicas == null) {
      return null;
    }
    if (deployment == null) {
      return "not_deployed";
    }
    ReplicaState worst = null;
    for (Map.Entry<String, Integer> split : deployment.traffic().entrySet()) {
      int version = Integer.parseInt(split.getKey());
      List<ReplicaState> states =
          replicas.stream().filter(r -> r.version() == version).map(PlacementCoordinator.ReplicaView::state).toList();
      if (split.getValue() == 0 || states.contains(ReplicaState.READY)) {
        continue;
      }
      for (ReplicaState state : states.isEmpty() ? List.of(ReplicaState.LOADING) : states) {
        if (worst == null || HOLD_BACK.indexOf(state) < HOLD_BACK.indexOf(worst)) {
          worst = state;
        }
      }
    }
    return worst == null ? "ready" : worst.name().toLowerCase(Locale.ROOT);
  }
}
