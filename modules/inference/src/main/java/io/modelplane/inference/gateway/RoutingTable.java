package io.modelplane.inference.gateway;

import akka.actor.typed.ActorRef;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.worker.WorkerActor;
import java.util.List;
import java.util.Map;

/**
 * What gateways need to route a predict call, published by placement on every change: per model
 * its current deployment revision, traffic split and, per version, signature and ready replicas.
 * A list, not a map by model: its elements carry their keys, so the table crosses nodes as plain records.
 */
public record RoutingTable(long generation, List<ModelRoute> models) implements CborSerializable {

  public static final RoutingTable EMPTY = new RoutingTable(0, List.of());

  public record ModelRoute(ModelKey model, long revision, Map<Integer, Integer> traffic,
      Map<Integer, VersionRoute> versions) implements CborSerializable {}

  /**
   * {@code unservable}: null while the version has or may get a ready replica; {@code scaledToZero}: the
   * autoscaler unloaded it while idle, and a request for it asks placement to load it again.
   */
  public record VersionRoute(List<TensorSpec> inputs, List<TensorSpec> outputs,
      List<ActorRef<WorkerActor.Command>> ready, Unservable unservable, boolean scaledToZero) implements CborSerializable {
    public VersionRoute(List<TensorSpec> inputs, List<TensorSpec> outputs, List<ActorRef<WorkerActor.Command>> ready,
        Unservable unservable) {
      this(inputs, outputs, ready, unservable, false);
    }
  }

  /** Why a version will get no ready replica until its deployment or the tenant's quota changes. */
  public enum UnservableReason {
    /** the tenant's maxResidentBytes leaves no room for any replica */
    QUOTA_EXCEEDED,
    /** every replica failed to load */
    MODEL_FAILED
  }

  public record Unservable(UnservableReason reason, String message) implements CborSerializable {}
}
