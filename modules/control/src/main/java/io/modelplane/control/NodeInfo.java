package io.modelplane.control;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.typed.Cluster;
import io.modelplane.common.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One per node: says when the node started and what it uses of its machine, so that any node's cluster view
 * shows every node's up-since and resources (cluster membership carries neither). Resources are sampled every
 * {@code interval} off the actor's thread (a data directory on a slow disk must not stall it) and answered from
 * the last sample, so that a polled view changes at most once per interval.
 */
public final class NodeInfo {
  public static final ServiceKey<Get> SERVICE_KEY = ServiceKey.create(Get.class, "modelplane-node");

  public sealed interface Command extends CborSerializable {}

  public record Get(ActorRef<Node> replyTo) implements Command {}

  /**
   * {@code address} as cluster membership names the node; {@code resources} its last sample (null before the
   * first, or from a node that does not sample).
   */
  public record Node(String address, Instant upSince, NodeResources.Sample resources) implements CborSerializable {
    public Node(String address, Instant upSince) {
      this(address, upSince, null);
    }
  }

  private record Sampled(NodeResources.Sample sample) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private NodeInfo() {}

  /** A node that does not sample its resources. */
  public static Behavior<Command> create() {
    return create(null, Duration.ZERO, null);
  }

  /** Samples {@code resources} (null: none) every {@code interval} on {@code sampling}. */
  public static Behavior<Command> create(NodeResources resources, Duration interval, Executor sampling) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf().narrow()));
      String address = Cluster.get(ctx.getSystem()).selfMember().address().toString();
      Instant upSince = Instant.ofEpochMilli(ctx.getSystem().startTime());
      if (resources != null) {
        ctx.getSelf().tell(Tick.INSTANCE);
        // on the wall clock's multiples of the interval: every node's figures change at about the same moment
        long millis = interval.toMillis();
        timers.startTimerAtFixedRate(Tick.INSTANCE, Duration.ofMillis(millis - System.currentTimeMillis() % millis),
            interval);
      }
      NodeResources.Sample[] last = new NodeResources.Sample[1];
      return Behaviors.receive(Command.class)
          .onMessage(Get.class, get -> {
            get.replyTo().tell(new Node(address, upSince, last[0]));
            return Behaviors.same();
          })
          .onMessageEquals(Tick.INSTANCE, () -> {
            ctx.pipeToSelf(CompletableFuture.supplyAsync(resources::sample, sampling), (sample, failure) ->
                new Sampled(failure == null ? sample : last[0]));
            return Behaviors.same();
          })
          .onMessage(Sampled.class, sampled -> {
            last[0] = sampled.sample();
            return Behaviors.same();
          })
          .build();
    }));
  }
}
