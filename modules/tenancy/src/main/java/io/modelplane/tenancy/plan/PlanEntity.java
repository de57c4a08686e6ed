package io.modelplane.tenancy.plan;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventHandlerBuilder;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.Plan;
import io.modelplane.common.Rejection;
import io.modelplane.common.SlicedTags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * One plan (a named quota template with prices), event sourced. The built-in plan {@value Plan#DEFAULT_ID} exists
 * without any event (as {@link Plan#builtInDefault()} until it is first changed) and cannot be deleted.
 */
public final class PlanEntity
    extends EventSourcedBehaviorWithEnforcedReplies<PlanEntity.Command, PlanEntity.Event, PlanEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Plan");

  /** Starts the plan shard region on the control-plane nodes (a proxy elsewhere). */
  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole("control"));
  }

  public static Behavior<Command> create(String planId) {
    return create(planId, Clock.systemUTC());
  }

  public static Behavior<Command> create(String planId, Clock clock) {
    return new PlanEntity(planId, clock);
  }

  private final String planId;
  private final Clock clock;

  private PlanEntity(String planId, Clock clock) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), planId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.planId = planId;
    this.clock = clock;
  }

  // ---------------------------------------------------------------------------------------------
  // Protocol

  /** What the plan entity can be asked to do. */
  public sealed interface Command extends CborSerializable {}

  /** Creates the plan; its id must be this entity's. */
  public record Create(Plan plan, String actor, ActorRef<Reply> replyTo) implements Command {}

  /** Replaces the plan's name, quota, prices and currency (the id stays). */
  public record Update(Plan plan, String actor, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Deletes the plan unless tenants are on it: {@code tenantsOnPlan} is how many the caller counted (the plan
   * itself does not follow its tenants).
   */
  public record Delete(long tenantsOnPlan, String actor, ActorRef<Reply> replyTo) implements Command {}

  /** Asks for the plan as it is now. */
  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** What the plan entity answers. */
  public sealed interface Reply extends CborSerializable {}

  /** The plan; {@code createdAt} and {@code updatedAt} null for the built-in plan never changed. */
  public record Details(Plan plan, Instant createdAt, Instant updatedAt) implements Reply {}

  public record Deleted(String planId) implements Reply {}

  /** The command was refused; nothing changed. */
  public record Rejected(Rejection rejection) implements Reply {}

  /** What happened to a plan; every event says when and by whom. */
  public sealed interface Event extends CborSerializable {}

  public record PlanCreated(Plan plan, Instant at, String actor) implements Event {}

  public record PlanUpdated(Plan plan, Instant at, String actor) implements Event {}

  public record PlanDeleted(String planId, Instant at, String actor) implements Event {}

  /** The plan's state: absent (never created, or deleted) or active. */
  public sealed interface State extends CborSerializable {}

  public record Absent() implements State {}

  public record Active(Plan plan, Instant createdAt, Instant updatedAt) implements State {
    Details details() {
      return new Details(plan, createdAt, updatedAt);
    }
  }

  @Override
  public State emptyState() {
    return Plan.DEFAULT_ID.equals(planId) ? new Active(Plan.builtInDefault(), null, null) : new Absent();
  }

  /** Plans share the control plane's tags, so the read side projects them with the tenants. */
  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(SlicedTags.CONTROL_PLANE.tagFor("plan/" + planId));
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(Absent.class)
        .onCommand(Create.class, this::onCreate)
        .onCommand(Update.class, cmd -> reject(cmd.replyTo(), notFound()))
        .onCommand(Delete.class, cmd -> reject(cmd.replyTo(), notFound()))
        .onCommand(Get.class, cmd -> reject(cmd.replyTo(), notFound()));
    builder
        .forStateType(Active.class)
        .onCommand(Create.class, cmd -> reject(cmd.replyTo(),
            Rejection.conflict("plan_exists", "plan " + planId + " already exists")))
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Get.class, (active, cmd) -> Effect().reply(cmd.replyTo(), active.details()));
    return builder.build();
  }

  private ReplyEffect<Event, State> onCreate(Create cmd) {
    Rejection invalid = problem(cmd.plan());
    if (invalid != null) {
      return reject(cmd.replyTo(), invalid);
    }
    return Effect()
        .persist(new PlanCreated(cmd.plan(), clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Active) state).details());
  }

  private ReplyEffect<Event, State> onUpdate(Active active, Update cmd) {
    Rejection invalid = problem(cmd.plan());
    if (invalid != null) {
      return reject(cmd.replyTo(), invalid);
    }
    if (cmd.plan().equals(active.plan())) {
      return Effect().reply(cmd.replyTo(), active.details());
    }
    return Effect()
        .persist(new PlanUpdated(cmd.plan(), clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Active) state).details());
  }

  private ReplyEffect<Event, State> onDelete(Active active, Delete cmd) {
    if (Plan.DEFAULT_ID.equals(planId)) {
      return reject(cmd.replyTo(), Rejection.conflict("plan_protected",
          "plan " + planId + " is built in: every tenant without another plan is on it"));
    }
    if (cmd.tenantsOnPlan() > 0) {
      return reject(cmd.replyTo(), Rejection.conflict("plan_in_use", "plan " + planId + " has " + cmd.tenantsOnPlan()
          + (cmd.tenantsOnPlan() == 1 ? " tenant" : " tenants") + " on it: move them to another plan first"));
    }
    return Effect()
        .persist(new PlanDeleted(planId, clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> new Deleted(planId));
  }

  private Rejection problem(Plan plan) {
    if (plan == null) {
      return Rejection.invalid("invalid_plan", "plan is required");
    }
    if (!planId.equals(plan.id())) {
      return Rejection.invalid("invalid_plan", "plan id " + plan.id() + " is not " + planId);
    }
    String violation = plan.violation();
    return violation == null ? null : Rejection.invalid("invalid_plan", violation);
  }

  private Rejection notFound() {
    return Rejection.notFound("plan_not_found", "plan " + planId + " does not exist");
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, Rejection rejection) {
    return Effect().reply(replyTo, new Rejected(rejection));
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  @Override
  public EventHandler<State, Event> eventHandler() {
    EventHandlerBuilder<State, Event> builder = newEventHandlerBuilder();
    builder
        .forStateType(Absent.class)
        .onEvent(PlanCreated.class, (absent, e) -> new Active(e.plan(), e.at(), e.at()));
    builder
        .forStateType(Active.class)
        .onEvent(PlanUpdated.class, (active, e) -> new Active(e.plan(),
            active.createdAt() == null ? e.at() : active.createdAt(), e.at()))
        .onEvent(PlanDeleted.class, (active, e) -> new Absent());
    return builder.build();
  }
}
