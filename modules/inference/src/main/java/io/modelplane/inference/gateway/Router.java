package io.modelplane.inference.gateway;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import io.modelplane.common.CborSerializable;

/** One per gateway node: receives placement's routing tables and hands them to the node's {@link InferenceGateway}. */
public final class Router {
  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "modelplane-router");

  public sealed interface Command extends CborSerializable {}

  public record TableUpdated(RoutingTable table) implements Command {}

  private Router() {}

  public static Behavior<Command> create(InferenceGateway gateway) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(msg -> {
        if (msg instanceof TableUpdated updated) {
          gateway.update(updated.table());
        }
        return Behaviors.same();
      });
    });
  }
}
