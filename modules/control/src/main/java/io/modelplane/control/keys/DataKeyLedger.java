package io.modelplane.control.keys;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.HistoryEntry;
import io.modelplane.common.SlicedTags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The journal of facts about data keys: created, re-wrapped under a new KEK, destroyed, with KEK
 * ids and who did it. It never holds key bytes, wrapped or not (a journal keeps everything forever,
 * which would defeat crypto-shredding): those live in {@link StoredTenantKeys}' table. One entity
 * for the platform; its events go to the audit log with the tenants' and plans'.
 */
public final class DataKeyLedger
    extends EventSourcedBehaviorWithEnforcedReplies<DataKeyLedger.Command, DataKeyLedger.Event, DataKeyLedger.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "DataKeys");
  static final String ENTITY_ID = "platform";

  /** Starts the ledger's shard region on the control-plane nodes. */
  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(Clock.systemUTC())).withRole("control"));
  }

  /** The ledger as {@link StoredTenantKeys} records to it, through sharding. */
  public static KeyLedger ledger(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Duration timeout = Duration.ofSeconds(10);
    return new KeyLedger() {
      @Override
      public CompletionStage<Done> created(String tenant, String keyId, String kekId) {
        return sharding.entityRefFor(ENTITY_KEY, ENTITY_ID).ask(r -> new Record(new KeyCreated(tenant, keyId, kekId,
            null, "platform"), r), timeout);
      }

      @Override
      public CompletionStage<Done> destroyed(String tenant, String keyId, String actor) {
        return sharding.entityRefFor(ENTITY_KEY, ENTITY_ID).ask(r -> new Record(new KeyDestroyed(tenant, keyId,
            null, actor), r), timeout);
      }

      @Override
      public CompletionStage<Done> rewrapped(String previousKek, String activeKek, int count, String actor) {
        return sharding.entityRefFor(ENTITY_KEY, ENTITY_ID).ask(r -> new Record(new KeysRewrapped(previousKek,
            activeKek, count, null, actor), r), timeout);
      }
    };
  }

  public static Behavior<Command> create(Clock clock) {
    return new DataKeyLedger(clock);
  }

  private final Clock clock;

  private DataKeyLedger(Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), ENTITY_ID),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.clock = clock;
  }

  /** What the ledger can be asked to do. */
  public sealed interface Command extends CborSerializable {}

  /** Journals {@code fact} (its {@code at} is set here). */
  public record Record(Event fact, ActorRef<Done> replyTo) implements Command {}

  /** A fact about data keys; every one says when and by whom (typed: {@link Record} carries one across nodes). */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "fact")
  @JsonSubTypes({
      @JsonSubTypes.Type(value = KeyCreated.class, name = "created"),
      @JsonSubTypes.Type(value = KeyDestroyed.class, name = "destroyed"),
      @JsonSubTypes.Type(value = KeysRewrapped.class, name = "rewrapped")})
  public sealed interface Event extends CborSerializable {
    Instant at();

    String actor();
  }

  public record KeyCreated(String tenant, String keyId, String kekId, Instant at, String actor) implements Event {}

  public record KeyDestroyed(String tenant, String keyId, Instant at, String actor) implements Event {}

  public record KeysRewrapped(String previousKek, String activeKek, int count, Instant at, String actor)
      implements Event {}

  /** How many facts were recorded (the ledger keeps no other state). */
  public record State(long facts) implements CborSerializable {}

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(SlicedTags.CONTROL_PLANE.tagFor("data-keys/" + ENTITY_ID));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Record.class, (state, record) -> Effect().persist(stamped(record.fact()))
            .thenReply(record.replyTo(), s -> Done.getInstance()))
        .build();
  }

  private Event stamped(Event fact) {
    Instant now = clock.instant();
    if (fact instanceof KeyCreated e) {
      return new KeyCreated(e.tenant(), e.keyId(), e.kekId(), now, e.actor());
    }
    if (fact instanceof KeyDestroyed e) {
      return new KeyDestroyed(e.tenant(), e.keyId(), now, e.actor());
    }
    KeysRewrapped e = (KeysRewrapped) fact;
    return new KeysRewrapped(e.previousKek(), e.activeKek(), e.count(), now, e.actor());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> new State(state.facts() + 1));
  }

  /** The fact as the audit log shows it (under {@link #tenantOf} its tenant, when it has one). */
  public static HistoryEntry describe(long sequenceNr, Event event) {
    Map<String, Object> details = new LinkedHashMap<>();
    String type;
    if (event instanceof KeyCreated e) {
      details.put("keyId", e.keyId());
      details.put("kekId", e.kekId());
      type = "data_key_created";
    } else if (event instanceof KeyDestroyed e) {
      details.put("keyId", e.keyId());
      type = "data_key_destroyed";
    } else {
      KeysRewrapped e = (KeysRewrapped) event;
      details.put("previousKek", e.previousKek());
      details.put("activeKek", e.activeKek());
      details.put("rewrapped", e.count());
      type = "data_keys_rewrapped";
    }
    return new HistoryEntry(sequenceNr, type, event.at(), event.actor(), details);
  }

  /** The tenant the fact is about; null for a platform-wide one (a rotation). */
  public static String tenantOf(Event event) {
    if (event instanceof KeyCreated e) {
      return e.tenant();
    }
    return event instanceof KeyDestroyed e ? e.tenant() : null;
  }
}
