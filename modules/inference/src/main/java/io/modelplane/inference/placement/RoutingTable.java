package io.modelplane.inference.placement;

import akka.actor.typed.ActorRef;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.worker.WorkerActor;
import java.util.List;
import java.util.Map;

/**
 * What gateways need to route a predict call, published by placement on every change: per model
 * its current deployment revision, traffic split and, per version, signature and ready replicas.
 */
public record RoutingTable(long generation, Map<String, ModelRoute> models) implements CborSerializable {

  public static final RoutingTable EMPTY = new RoutingTable(0, Map.of());

  public record ModelRoute(long revision, Map<Integer, Integer> traffic, Map<Integer, VersionRoute> versions)
      implements CborSerializable {}

  /** {@code unservable}: null while the version has or may get a ready replica. */
  public record VersionRoute(List<TensorSpec> inputs, List<TensorSpec> outputs,
      List<ActorRef<WorkerActor.Command>> ready, Unservable unservable) implements CborSerializable {}

  /**
   * Why a version has no ready replica and will get none until its deployment or the tenant's quota
   * changes: {@code quota_exceeded} (the tenant's maxResidentBytes leaves no room for any replica) or
   * {@code model_failed} (every replica failed to load).
   */
  public record Unservable(String code, String reason) implements CborSerializable {}
}
