package io.modelplane.control;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.typed.Cluster;
import io.modelplane.common.CborSerializable;
import java.time.Instant;

/**
 * One per node: says when the node started, so that any node's cluster view shows every node's up-since
 * (cluster membership carries no times).
 */
public final class NodeInfo {
  public static final ServiceKey<Get> SERVICE_KEY = ServiceKey.create(Get.class, "modelplane-node");

  public record Get(ActorRef<Node> replyTo) implements CborSerializable {}

  /** {@code address} as cluster membership names the node. */
  public record Node(String address, Instant upSince) implements CborSerializable {}

  private NodeInfo() {}

  public static Behavior<Get> create() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      Node self = new Node(Cluster.get(ctx.getSystem()).selfMember().address().toString(),
          Instant.ofEpochMilli(ctx.getSystem().startTime()));
      return Behaviors.receiveMessage(get -> {
        get.replyTo().tell(self);
        return Behaviors.same();
      });
    });
  }
}
