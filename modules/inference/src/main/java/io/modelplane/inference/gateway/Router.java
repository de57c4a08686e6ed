package io.modelplane.inference.gateway;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import io.modelplane.common.CborSerializable;

/**
 * One per gateway node: receives placement's routing tables and hands them to the node's
 * {@link InferenceGateway}, and tells it at once when a node leaves or becomes unreachable (the
 * table follows only once placement has moved that node's replicas).
 */
public final class Router {
  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "modelplane-router");

  public sealed interface Command extends CborSerializable {}

  public record TableUpdated(RoutingTable table) implements Command {}

  /** This node's own view of cluster membership (never sent between nodes). */
  record MembershipChanged(ClusterEvent.ClusterDomainEvent event) implements Command {}

  private Router() {}

  public static Behavior<Command> create(InferenceGateway gateway) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      if (Adapter.toClassic(ctx.getSystem()).provider() instanceof akka.cluster.ClusterActorRefProvider) {
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
            ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new), ClusterEvent.MemberEvent.class));
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
            ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, MembershipChanged::new),
            ClusterEvent.ReachabilityEvent.class));
      }
      return Behaviors.receiveMessage(msg -> {
        if (msg instanceof TableUpdated updated) {
          gateway.update(updated.table());
        } else if (msg instanceof MembershipChanged changed) {
          membership(gateway, changed.event());
        }
        return Behaviors.same();
      });
    });
  }

  private static void membership(InferenceGateway gateway, ClusterEvent.ClusterDomainEvent event) {
    if (event instanceof ClusterEvent.UnreachableMember e) {
      gateway.nodeGone(e.member().address());
    } else if (event instanceof ClusterEvent.MemberRemoved e) {
      gateway.nodeGone(e.member().address());
    } else if (event instanceof ClusterEvent.ReachableMember e) {
      gateway.nodeBack(e.member().address());
    } else if (event instanceof ClusterEvent.MemberJoined e) {
      gateway.nodeBack(e.member().address()); // a node restarted at the same address
    }
  }
}
