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

  /**
   * {@code overQuota}: why the version has no replica, loading or ready, and will get none while the
   * tenant's maxResidentBytes stays as it is (null when that is not the case).
   */
  public record VersionRoute(List<TensorSpec> inputs, List<TensorSpec> outputs,
      List<ActorRef<WorkerActor.Command>> ready, String overQuota) implements CborSerializable {}
}
