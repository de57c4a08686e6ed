package io.modelplane.inference.gateway;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.VersionKey;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One per gateway node: receives placement's routing tables and hands them to the node's
 * {@link InferenceGateway}, and tells it at once when a node leaves or becomes unreachable (the
 * table follows only once placement has moved that node's replicas).
 */
public final class Router {
  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "modelplane-router");

  public sealed interface Command extends CborSerializable {}

  public record TableUpdated(RoutingTable table) implements Command {}

  /**
   * Placement asks for this node's load since the last report (answered to {@code replyTo}) and says where
   * to ask for a version scaled to zero ({@code wakeTo}).
   */
  public record ReportLoad(ActorRef<LoadReport> replyTo, ActorRef<Wake> wakeTo) implements Command {}

  /** Each version's requests on this node since the last report: average in flight and how many arrived. */
  public record LoadReport(List<InferenceGateway.VersionLoad> versions) implements CborSerializable {}

  /** A request arrived for a version scaled to zero: load it. */
  public record Wake(VersionKey version) implements CborSerializable {}

  /** The node's gateway has a request for a version scaled to zero (never sent between nodes). */
  record Demand(VersionKey version) implements Command {}

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
      gateway.onDemand(version -> ctx.getSelf().tell(new Demand(version)));
      AtomicReference<ActorRef<Wake>> wakeTo = new AtomicReference<>();
      return Behaviors.receiveMessage(msg -> {
        if (msg instanceof TableUpdated updated) {
          gateway.update(updated.table());
        } else if (msg instanceof MembershipChanged changed) {
          membership(gateway, changed.event());
        } else if (msg instanceof ReportLoad report) {
          wakeTo.set(report.wakeTo());
          report.replyTo().tell(new LoadReport(gateway.takeLoad()));
        } else if (msg instanceof Demand demand && wakeTo.get() != null) {
          wakeTo.get().tell(new Wake(demand.version()));
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
