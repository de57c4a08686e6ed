package io.modelplane.tenancy;

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
import akka.persistence.typed.javadsl.RetentionCriteria;
import com.fasterxml.jackson.annotation.JsonValue;
import io.modelplane.common.SlicedTags;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.ModelId;
import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.common.QuotaOverrides;
import io.modelplane.common.Rejection;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import io.modelplane.common.WorkerPool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * One tenant of the platform: its name, plan and quota overrides, status, API keys and model names, event sourced.
 * The quota it keeps is its effective quota as of its last change of plan or overrides; the control plane works
 * out the current one from the plan as it is now.
 */
public final class TenantEntity
    extends EventSourcedBehaviorWithEnforcedReplies<TenantEntity.Command, TenantEntity.Event, TenantEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Tenant");

  static final int MAX_DISPLAY_NAME_LENGTH = 200;
  static final int MAX_API_KEY_NAME_LENGTH = 100;
  static final int MAX_ACTIVE_API_KEYS = 100;

  /** Starts the tenant shard region on the control-plane nodes. */
  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole("control"));
  }

  public static Behavior<Command> create(String tenantId) {
    return create(tenantId, Clock.systemUTC());
  }

  public static Behavior<Command> create(String tenantId, Clock clock) {
    return new TenantEntity(tenantId, clock);
  }

  /**
   * How long a running export blocks another one: bounded, since its end may never be recorded (a node lost
   * mid-export); an export running longer than this no longer keeps a second one out.
   */
  static final Duration EXPORT_LEASE = Duration.ofMinutes(15);

  private final String tenantId;
  private final Clock clock;
  // the export under way, if any (see onStartExport)
  private String runningExport;
  private Instant runningExportSince;

  private TenantEntity(String tenantId, Clock clock) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), tenantId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.tenantId = tenantId;
    this.clock = clock;
  }

  // ---------------------------------------------------------------------------------------------
  // Protocol

  /** Whether a tenant may use the platform. */
  public enum Status {
    ACTIVE,
    SUSPENDED,
    /** Being offboarded: every key and token refused, nothing new accepted; a deletion resumes from here. */
    DELETING,
    /** Offboarded: models, artifacts and data key gone; its journal (audit) and usage rows are kept. */
    DELETED;

    @JsonValue
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What the tenant entity can be asked to do. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Creates the tenant on {@code plan} (null: the built-in default plan) whose quota is now {@code planQuota}
   * (the caller read it from the plan; null: {@link Quota#defaults()}), with {@code overrides} (null: none);
   * {@code workerPool} (null: the shared workers) is the dedicated pool its replicas are confined to.
   */
  public record Create(String displayName, String plan, Quota planQuota, QuotaOverrides overrides, String actor,
      ActorRef<Reply> replyTo, String workerPool) implements Command {
    /** On the default plan, overriding each limit of {@code quota} that differs from the default quota. */
    public Create(String displayName, Quota quota, String actor, ActorRef<Reply> replyTo, String workerPool) {
      this(displayName, null, null, quota == null ? null : QuotaOverrides.differences(Quota.defaults(), quota), actor,
          replyTo, workerPool);
    }

    public Create(String displayName, Quota quota, String actor, ActorRef<Reply> replyTo) {
      this(displayName, quota, actor, replyTo, null);
    }
  }

  /** Confines the tenant's replicas to a dedicated worker pool; null returns them to the shared workers. */
  public record SetWorkerPool(String workerPool, String actor, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Changes the display name, plan and/or quota overrides (the whole set); a null field is left unchanged.
   * {@code planQuota} is the quota of the plan the tenant will be on, as the caller read it (null: the default
   * quota).
   */
  public record Update(String displayName, String plan, Quota planQuota, QuotaOverrides overrides, String actor,
      ActorRef<Reply> replyTo) implements Command {
    /** On the default plan: overrides each limit of {@code quota} that differs from the default quota. */
    public Update(String displayName, Quota quota, String actor, ActorRef<Reply> replyTo) {
      this(displayName, null, null, quota == null ? null : QuotaOverrides.differences(Quota.defaults(), quota), actor,
          replyTo);
    }
  }

  /**
   * The tenant's plan {@code plan} now has {@code planQuota}: a tenant still on it records its new effective quota (so
   * placement, which reads quotas from tenant events, follows); a tenant that moved to another plan ignores it.
   */
  public record FollowPlan(String plan, Quota planQuota, String actor, ActorRef<Reply> replyTo) implements Command {}

  /** Suspends the tenant (idempotent). */
  public record Suspend(String actor, ActorRef<Reply> replyTo) implements Command {}

  /** Resumes a suspended tenant (idempotent). */
  public record Resume(String actor, ActorRef<Reply> replyTo) implements Command {}

  /** Asks for the tenant's {@link Summary}. */
  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** Registers an API key whose secret the caller generated and hashed. */
  public record CreateApiKey(
      String keyId, String name, Role role, String secretHash, String actor, ActorRef<Reply> replyTo)
      implements Command {}

  /** Revokes an active API key for good. */
  public record RevokeApiKey(String keyId, String actor, ActorRef<Reply> replyTo) implements Command {}

  /** Finds an active API key so the caller can check a presented secret against its hash. */
  public record LookupApiKey(String keyId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Reserves a model name for the tenant (counted against quota.maxModels) before its first version is
   * registered; idempotent. The reply's {@link Summary#modelReservations()} holds the name's reservation.
   */
  public record AddModel(String modelId, String actor, ActorRef<Reply> replyTo, Integer maxModels, boolean limitKnown)
      implements Command {
    /** Counted against the tenant's quota as of its last change of plan or overrides. */
    public AddModel(String modelId, String actor, ActorRef<Reply> replyTo) {
      this(modelId, actor, replyTo, null, false);
    }

    /** Counted against {@code quota} (the tenant's effective quota now, as the caller worked it out). */
    public AddModel(String modelId, String actor, ActorRef<Reply> replyTo, Quota quota) {
      this(modelId, actor, replyTo, quota.maxModels(), true);
    }
  }

  /**
   * Gives up a model name whose model entity has no version and has released this reservation (an
   * upload that failed or was cut short by a crash); a no-op when the name now holds another reservation.
   */
  public record ReleaseModel(String modelId, long reservation, String actor, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Keys used since the last report, with when (from the nodes, every ~30 s). Recorded to the minute:
   * a key's use is persisted only when it moves its last-used time on by a minute or more.
   */
  public record RecordKeyUse(Map<String, Instant> lastUsed, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Records a change made in Keycloak for the tenant (a service account or member added, changed or
   * removed) so the journal stays the audit log of who may call the tenant's models.
   *
   * @param kind e.g. {@code service_account_created}, {@code member_role_changed}
   * @param keycloakId the Keycloak id of the client or user
   * @param detail what changed, e.g. the client id and role (never a secret)
   * @param revokesTokensOf the token subject ({@code sub}, a Keycloak user id) whose tokens issued
   *     before now stop working (a member's role changed or they were removed, a service account
   *     deleted); null when the change revokes nothing
   */
  public record RecordAccessChange(String kind, String keycloakId, String detail, String revokesTokensOf, String actor,
      ActorRef<Reply> replyTo) implements Command {}

  /**
   * Starts offboarding (idempotent: a tenant already {@code deleting} answers its summary so the caller resumes): the
   * tenant turns {@code deleting} and every active API key is revoked, in one atomic write.
   */
  public record StartDeletion(boolean releaseId, String actor, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Ends offboarding once its models are purged and its artifacts and data key destroyed: the tenant turns
   * {@code deleted}; with {@code releaseId} its id may be created again as a fresh tenant. Answers {@link Deletion}.
   */
  public record FinishDeletion(boolean releaseId, int artifactsDeleted, String actor, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Starts an export of the tenant's data ({@code exportId} names it in the audit log); refused with
   * {@code export_in_progress} while another runs for the tenant. Answers the {@link Summary}.
   */
  public record StartExport(String exportId, String actor, ActorRef<Reply> replyTo) implements Command {}

  /** Ends the export {@code exportId} (complete or failed), so another may start. */
  public record FinishExport(String exportId, boolean complete, long artifacts, String actor, ActorRef<Reply> replyTo)
      implements Command {}

  /** Records what Keycloak holds for the tenant once provisioning there succeeded (idempotent). */
  public record RecordIdentity(Identity identity, String actor, ActorRef<Reply> replyTo) implements Command {}

  /** What the tenant entity answers. */
  public sealed interface Reply extends CborSerializable {}

  /** An API key as shown to users: never its secret hash. */
  /** @param lastUsedAt when a request last authenticated with it (to the minute; null: never) */
  public record ApiKeyInfo(String id, String name, Role role, Instant createdAt, String createdBy, Instant lastUsedAt)
      implements CborSerializable {
    public ApiKeyInfo(String id, String name, Role role, Instant createdAt, String createdBy) {
      this(id, name, role, createdAt, createdBy, null);
    }
  }

  /** The tenant's Keycloak resources: its Organization and one group per role. */
  public record Identity(String organizationId, Map<String, String> groupIds) implements CborSerializable {
    public Identity {
      groupIds = Map.copyOf(groupIds);
    }
  }

  /** The tenant as users see it: active keys oldest first, model names sorted. */
  public record Summary(
      String id,
      String displayName,
      Quota quota,
      Status status,
      Instant createdAt,
      Instant updatedAt,
      List<ApiKeyInfo> apiKeys,
      List<String> models,
      Identity identity,
      Map<String, Instant> tokensRevokedBefore,
      Map<String, Long> modelReservations,
      String workerPool,
      String plan,
      QuotaOverrides quotaOverrides)
      implements Reply {
    public Summary {
      apiKeys = List.copyOf(apiKeys);
      models = List.copyOf(models);
      tokensRevokedBefore = Map.copyOf(tokensRevokedBefore);
      modelReservations = modelReservations == null ? Map.of() : Map.copyOf(modelReservations);
      plan = plan == null ? Plan.DEFAULT_ID : plan;
      quotaOverrides = quotaOverrides == null ? QuotaOverrides.none() : quotaOverrides;
    }

    public Summary(String id, String displayName, Quota quota, Status status, Instant createdAt, Instant updatedAt,
        List<ApiKeyInfo> apiKeys, List<String> models, Identity identity, Map<String, Instant> tokensRevokedBefore) {
      this(id, displayName, quota, status, createdAt, updatedAt, apiKeys, models, identity, tokensRevokedBefore,
          Map.of(), null, null, QuotaOverrides.differences(Quota.defaults(), quota));
    }

    /** This tenant with its effective quota on a plan whose quota is now {@code planQuota}. */
    public Summary onPlanQuota(Quota planQuota) {
      return new Summary(id, displayName, quotaOverrides.over(planQuota), status, createdAt, updatedAt, apiKeys, models,
          identity, tokensRevokedBefore, modelReservations, workerPool, plan, quotaOverrides);
    }
  }

  /** A newly registered API key. */
  public record ApiKeyCreated(ApiKeyInfo key) implements Reply {}

  /** An active API key with what the caller needs to authenticate and authorize a request. */
  public record ApiKeyMatch(String tenantId, String keyId, Role role, String secretHash, Status tenantStatus)
      implements Reply {}

  /** The command was refused; nothing changed. */
  public record Rejected(Rejection rejection) implements Reply {}

  /** A deleted tenant: when, by whom, how many artifacts went with it and whether its id may be created again. */
  public record Deletion(String tenant, Instant deletedAt, String deletedBy, int artifactsDeleted, boolean idReleased)
      implements Reply {}

  /** What happened to a tenant; every event says when and by whom. */
  public sealed interface Event extends CborSerializable {}

  /**
   * {@code quota}: the effective quota at creation. {@code plan} and {@code overrides} are null in events journaled
   * before plans existed: such a tenant is on the default plan and overrides each limit of {@code quota} that differs
   * from {@link Quota#defaults()} (so its quota stays what it was).
   */
  public record TenantCreated(String tenantId, String displayName, Quota quota, Instant at, String actor, String plan,
      QuotaOverrides overrides) implements Event {
    public TenantCreated(String tenantId, String displayName, Quota quota, Instant at, String actor) {
      this(tenantId, displayName, quota, at, actor, null, null);
    }
  }

  public record DisplayNameChanged(String displayName, Instant at, String actor) implements Event {}

  /** Journaled before plans existed: the tenant (on the default plan) overrides each limit that differs from the default. */
  public record QuotaChanged(Quota quota, Instant at, String actor) implements Event {}

  /** The tenant's plan and/or overrides changed; {@code quota} is its effective quota then. */
  public record PlanTermsChanged(String plan, QuotaOverrides overrides, Quota quota, Instant at, String actor)
      implements Event {}

  public record TenantSuspended(Instant at, String actor) implements Event {}

  public record TenantResumed(Instant at, String actor) implements Event {}

  public record ApiKeyAdded(String keyId, String name, Role role, String secretHash, Instant at, String actor)
      implements Event {}

  public record ApiKeyRevoked(String keyId, Instant at, String actor) implements Event {}

  /** A model name was reserved; its reservation number is the count of reservations made so far. */
  public record ModelAdded(String modelId, Instant at, String actor) implements Event {}

  /** A reserved model name that never got a version was given up. */
  public record ModelReleased(String modelId, long reservation, Instant at, String actor) implements Event {}

  public record IdentityProvisioned(Identity identity, Instant at, String actor) implements Event {}

  public record ApiKeysUsed(Map<String, Instant> lastUsed) implements Event {}

  /** {@code workerPool} null: back on the shared workers. */
  public record WorkerPoolChanged(String workerPool, Instant at, String actor) implements Event {}

  /** Offboarding began: the tenant is {@code deleting} from here on (the first durable step). */
  public record DeletionStarted(boolean releaseId, Instant at, String actor) implements Event {}

  /** Offboarding ended: models purged, artifacts deleted, data key destroyed. */
  public record TenantDeleted(boolean idReleased, int artifactsDeleted, Instant at, String actor) implements Event {}

  /** The tenant's data was exported (the audit record of who took it out). */
  public record TenantExported(String exportId, Instant at, String actor) implements Event {}

  /** An export ended; {@code complete} false when it was cut short (its archive is truncated). */
  public record ExportFinished(String exportId, boolean complete, long artifacts, Instant at, String actor)
      implements Event {}

  /** {@code revokesTokensOf}: see {@link RecordAccessChange}; null in events journaled before it existed. */
  public record AccessChanged(String kind, String keycloakId, String detail, Instant at, String actor,
      String revokesTokensOf) implements Event {}

  // ---------------------------------------------------------------------------------------------
  // State: one type per lifecycle phase

  /** The tenant's state in one of its lifecycle phases. */
  public sealed interface State extends CborSerializable {}

  /** Before the tenant is created. */
  public record Unknown() implements State {}

  /**
   * A deleted tenant, as it was when deleted ({@code last}, status {@code deleted}); {@code idReleased}: its id may be
   * created again (a fresh tenant, numbering its model reservations on after the old ones).
   */
  public record Deleted(Tenant last, boolean idReleased, int artifactsDeleted, Instant deletedAt, String deletedBy)
      implements State {

    Deletion deletion() {
      return new Deletion(last.id(), deletedAt, deletedBy, artifactsDeleted, idReleased);
    }
  }

  /** An API key as stored; revokedAt is null while the key is active. */
  public record ApiKey(
      String id, String name, Role role, String secretHash, Instant createdAt, String createdBy, Instant revokedAt,
      Instant lastUsedAt)
      implements CborSerializable {

    public ApiKey(String id, String name, Role role, String secretHash, Instant createdAt, String createdBy,
        Instant revokedAt) {
      this(id, name, role, secretHash, createdAt, createdBy, revokedAt, null);
    }

    boolean isActive() {
      return revokedAt == null;
    }

    ApiKey revoked(Instant at) {
      return new ApiKey(id, name, role, secretHash, createdAt, createdBy, at, lastUsedAt);
    }

    ApiKey used(Instant at) {
      return new ApiKey(id, name, role, secretHash, createdAt, createdBy, revokedAt, at);
    }

    ApiKeyInfo info() {
      return new ApiKeyInfo(id, name, role, createdAt, createdBy, lastUsedAt);
    }
  }

  /**
   * A created tenant. Revoked keys stay in {@code apiKeys} (in creation order) so their ids are never reused.
   */
  public record Tenant(
      String id,
      String displayName,
      Quota quota,
      Status status,
      Instant createdAt,
      Instant updatedAt,
      List<ApiKey> apiKeys,
      List<String> models,
      Identity identity,
      Map<String, Instant> tokensRevokedBefore,
      Map<String, Long> modelReservations,
      long reservationsMade,
      String workerPool,
      String plan,
      QuotaOverrides quotaOverrides)
      implements State {

    /** How long a revocation is kept: longer than any access token lives. */
    static final Duration REVOCATION_KEPT = Duration.ofHours(24);

    public Tenant {
      apiKeys = List.copyOf(apiKeys);
      models = List.copyOf(new TreeSet<>(models));
      // null in snapshots taken before revocations were kept
      tokensRevokedBefore = tokensRevokedBefore == null ? Map.of() : Map.copyOf(tokensRevokedBefore);
      // null in snapshots taken before reservations were numbered: their names hold reservation 0
      Map<String, Long> numbered = new java.util.HashMap<>();
      for (String model : models) {
        numbered.put(model, modelReservations == null ? 0L : modelReservations.getOrDefault(model, 0L));
      }
      modelReservations = Map.copyOf(numbered);
      // null in snapshots taken before plans existed: the default plan, overriding what differs from it
      plan = plan == null ? Plan.DEFAULT_ID : plan;
      quotaOverrides = quotaOverrides == null ? QuotaOverrides.differences(Quota.defaults(), quota) : quotaOverrides;
    }

    Tenant(String id, String displayName, Quota quota, Status status, Instant createdAt, Instant updatedAt,
        List<ApiKey> apiKeys, List<String> models, Identity identity, Map<String, Instant> tokensRevokedBefore) {
      this(id, displayName, quota, status, createdAt, updatedAt, apiKeys, models, identity, tokensRevokedBefore,
          Map.of(), 0, null, null, null);
    }

    Optional<ApiKey> key(String keyId) {
      return apiKeys.stream().filter(k -> k.id().equals(keyId)).findFirst();
    }

    Optional<ApiKey> activeKey(String keyId) {
      return key(keyId).filter(ApiKey::isActive);
    }

    long activeKeyCount() {
      return apiKeys.stream().filter(ApiKey::isActive).count();
    }

    Summary summary() {
      List<ApiKeyInfo> active = apiKeys.stream().filter(ApiKey::isActive).map(ApiKey::info).toList();
      return new Summary(id, displayName, quota, status, createdAt, updatedAt, active, models, identity,
          tokensRevokedBefore, modelReservations, workerPool, plan, quotaOverrides);
    }

    Tenant withDisplayName(String newName, Instant at) {
      return new Tenant(id, newName, quota, status, createdAt, at, apiKeys, models, identity, tokensRevokedBefore,
          modelReservations, reservationsMade, workerPool, plan, quotaOverrides);
    }

    /** A quota set before plans existed: the default plan, overriding what differs from it. */
    Tenant withQuota(Quota newQuota, Instant at) {
      return new Tenant(id, displayName, newQuota, status, createdAt, at, apiKeys, models, identity, tokensRevokedBefore,
          modelReservations, reservationsMade, workerPool, Plan.DEFAULT_ID,
          QuotaOverrides.differences(Quota.defaults(), newQuota));
    }

    Tenant withPlanTerms(String newPlan, QuotaOverrides newOverrides, Quota effective, Instant at) {
      return new Tenant(id, displayName, effective, status, createdAt, at, apiKeys, models, identity,
          tokensRevokedBefore, modelReservations, reservationsMade, workerPool, newPlan, newOverrides);
    }

    Tenant withStatus(Status newStatus, Instant at) {
      return new Tenant(id, displayName, quota, newStatus, createdAt, at, apiKeys, models, identity, tokensRevokedBefore,
          modelReservations, reservationsMade, workerPool, plan, quotaOverrides);
    }

    Tenant withKeyAdded(ApiKey key, Instant at) {
      List<ApiKey> keys = new ArrayList<>(apiKeys);
      keys.add(key);
      return new Tenant(id, displayName, quota, status, createdAt, at, keys, models, identity, tokensRevokedBefore,
          modelReservations, reservationsMade, workerPool, plan, quotaOverrides);
    }

    Tenant withKeyRevoked(String keyId, Instant at) {
      List<ApiKey> keys = apiKeys.stream().map(k -> k.id().equals(keyId) ? k.revoked(at) : k).toList();
      return new Tenant(id, displayName, quota, status, createdAt, at, keys, models, identity, tokensRevokedBefore,
          modelReservations, reservationsMade, workerPool, plan, quotaOverrides);
    }

    /** Last-used times are not changes of the tenant: {@code updatedAt} stays. */
    Tenant withKeysUsed(Map<String, Instant> lastUsed) {
      List<ApiKey> keys = apiKeys.stream()
          .map(k -> lastUsed.containsKey(k.id()) ? k.used(lastUsed.get(k.id())) : k)
          .toList();
      return new Tenant(id, displayName, quota, status, createdAt, updatedAt, keys, models, identity, tokensRevokedBefore,
          modelReservations, reservationsMade, workerPool, plan, quotaOverrides);
    }

    Tenant withIdentity(Identity newIdentity, Instant at) {
      return new Tenant(id, displayName, quota, status, createdAt, at, apiKeys, models, newIdentity, tokensRevokedBefore,
          modelReservations, reservationsMade, workerPool, plan, quotaOverrides);
    }

    /** Tokens of {@code subject} issued before {@code at} are refused; revocations past their use are dropped. */
    Tenant withTokensRevoked(String subject, Instant at) {
      Map<String, Instant> kept = new java.util.HashMap<>();
      tokensRevokedBefore.forEach((s, before) -> {
        if (before.isAfter(at.minus(REVOCATION_KEPT))) {
          kept.put(s, before);
        }
      });
      kept.put(subject, at);
      return new Tenant(id, displayName, quota, status, createdAt, updatedAt, apiKeys, models, identity, kept,
          modelReservations, reservationsMade, workerPool, plan, quotaOverrides);
    }

    Tenant withWorkerPool(String pool, Instant at) {
      return new Tenant(id, displayName, quota, status, createdAt, at, apiKeys, models, identity, tokensRevokedBefore,
          modelReservations, reservationsMade, pool, plan, quotaOverrides);
    }

    Tenant withModel(String modelId, Instant at) {
      List<String> names = new ArrayList<>(models);
      names.add(modelId);
      Map<String, Long> reservations = new java.util.HashMap<>(modelReservations);
      reservations.put(modelId, reservationsMade + 1);
      return new Tenant(id, displayName, quota, status, createdAt, at, apiKeys, names, identity, tokensRevokedBefore,
          reservations, reservationsMade + 1, workerPool, plan, quotaOverrides);
    }

    /** Deleted: its models were purged (the count of reservations made stays). */
    Tenant withoutModels() {
      return new Tenant(id, displayName, quota, status, createdAt, updatedAt, apiKeys, List.of(), identity,
          tokensRevokedBefore, Map.of(), reservationsMade, workerPool, plan, quotaOverrides);
    }

    Tenant withoutModel(String modelId, Instant at) {
      List<String> names = new ArrayList<>(models);
      names.remove(modelId);
      return new Tenant(id, displayName, quota, status, createdAt, at, apiKeys, names, identity, tokensRevokedBefore,
          modelReservations, reservationsMade, workerPool, plan, quotaOverrides);
    }
  }

  @Override
  public State emptyState() {
    return new Unknown();
  }

  /** Every event carries its tenant's slice tag: the read side projects the journal by these tags. */
  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return java.util.Set.of(SlicedTags.CONTROL_PLANE.tagFor(tenantId));
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(Unknown.class)
        .onCommand(Create.class, this::onCreate)
        // A lookup must not reveal whether the tenant exists: it answers like an unknown key.
        .onCommand(LookupApiKey.class, cmd -> reject(cmd.replyTo(), apiKeyNotFound(cmd.keyId())))
        .onCommand(Update.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(FollowPlan.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(Suspend.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(Resume.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(Get.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(CreateApiKey.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(RevokeApiKey.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(AddModel.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(ReleaseModel.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(RecordIdentity.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(RecordKeyUse.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(RecordAccessChange.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(SetWorkerPool.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(StartDeletion.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(FinishDeletion.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(StartExport.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(FinishExport.class, cmd -> rejectUnknownTenant(cmd.replyTo()));
    builder
        .forStateType(Deleted.class)
        .onCommand(Create.class, (deleted, cmd) -> deleted.idReleased() ? onCreate(cmd)
            : reject(cmd.replyTo(), Rejection.conflict("tenant_exists", "tenant id " + tenantId
                + " belonged to a deleted tenant and was not released")))
        .onCommand(Get.class, (deleted, cmd) -> Effect().reply(cmd.replyTo(), deleted.last().summary()))
        .onCommand(LookupApiKey.class, (deleted, cmd) -> reject(cmd.replyTo(), apiKeyNotFound(cmd.keyId())))
        .onCommand(StartDeletion.class, (deleted, cmd) -> Effect().reply(cmd.replyTo(), deleted.last().summary()))
        .onCommand(FinishDeletion.class, (deleted, cmd) -> Effect().reply(cmd.replyTo(), deleted.deletion()))
        .onCommand(RecordKeyUse.class, (deleted, cmd) -> Effect().reply(cmd.replyTo(), deleted.last().summary()))
        .onCommand(FinishExport.class, (deleted, cmd) -> Effect().reply(cmd.replyTo(), deleted.last().summary()))
        .onCommand(Update.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(FollowPlan.class, (deleted, cmd) -> Effect().reply(cmd.replyTo(), deleted.last().summary()))
        .onCommand(Suspend.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(Resume.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(CreateApiKey.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(RevokeApiKey.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(AddModel.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(ReleaseModel.class, (deleted, cmd) -> Effect().reply(cmd.replyTo(), deleted.last().summary()))
        .onCommand(RecordIdentity.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(RecordAccessChange.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(SetWorkerPool.class, cmd -> rejectUnknownTenant(cmd.replyTo()))
        .onCommand(StartExport.class, cmd -> rejectUnknownTenant(cmd.replyTo()));
    builder
        .forStateType(Tenant.class)
        .onCommand(
            Create.class,
            cmd -> reject(cmd.replyTo(), Rejection.conflict("tenant_exists", "tenant " + tenantId + " already exists")))
        .onCommand(Update.class, (t, cmd) -> unlessDeleting(t, cmd.replyTo(), () -> onUpdate(t, cmd)))
        .onCommand(FollowPlan.class, (t, cmd) -> t.status() == Status.DELETING ? Effect().reply(cmd.replyTo(), t.summary())
            : onFollowPlan(t, cmd))
        .onCommand(Suspend.class, (t, cmd) -> unlessDeleting(t, cmd.replyTo(), () -> onSuspend(t, cmd)))
        .onCommand(Resume.class, (t, cmd) -> unlessDeleting(t, cmd.replyTo(), () -> onResume(t, cmd)))
        .onCommand(Get.class, (tenant, cmd) -> Effect().reply(cmd.replyTo(), tenant.summary()))
        .onCommand(CreateApiKey.class, (t, cmd) -> unlessDeleting(t, cmd.replyTo(), () -> onCreateApiKey(t, cmd)))
        .onCommand(RevokeApiKey.class, this::onRevokeApiKey)
        .onCommand(LookupApiKey.class, (t, cmd) -> t.status() == Status.DELETING
            ? reject(cmd.replyTo(), apiKeyNotFound(cmd.keyId())) : onLookupApiKey(t, cmd))
        .onCommand(AddModel.class, (t, cmd) -> unlessDeleting(t, cmd.replyTo(), () -> onAddModel(t, cmd)))
        .onCommand(ReleaseModel.class, this::onReleaseModel)
        .onCommand(RecordKeyUse.class, this::onRecordKeyUse)
        .onCommand(SetWorkerPool.class, (t, cmd) -> unlessDeleting(t, cmd.replyTo(), () -> onSetWorkerPool(t, cmd)))
        .onCommand(StartDeletion.class, this::onStartDeletion)
        .onCommand(FinishDeletion.class, this::onFinishDeletion)
        .onCommand(StartExport.class, (t, cmd) -> unlessDeleting(t, cmd.replyTo(), () -> onStartExport(t, cmd)))
        .onCommand(FinishExport.class, this::onFinishExport)
        .onCommand(RecordAccessChange.class, (tenant, cmd) -> Effect()
            .persist(new AccessChanged(cmd.kind(), cmd.keycloakId(), cmd.detail(), clock.instant(), cmd.actor(),
                cmd.revokesTokensOf()))
            .thenReply(cmd.replyTo(), t -> ((Tenant) t).summary()))
        .onCommand(RecordIdentity.class, (tenant, cmd) -> cmd.identity().equals(tenant.identity())
            ? Effect().reply(cmd.replyTo(), tenant.summary())
            : Effect().persist(new IdentityProvisioned(cmd.identity(), clock.instant(), cmd.actor()))
                .thenReply(cmd.replyTo(), t -> ((Tenant) t).summary()));
    return builder.build();
  }

  private ReplyEffect<Event, State> onCreate(Create cmd) {
    if (!TenantId.isValid(tenantId)) {
      return reject(cmd.replyTo(), Rejection.invalid("invalid_tenant_id",
          "tenant id must be 3-40 characters of lowercase letters, digits and '-'"));
    }
    String plan = cmd.plan() == null ? Plan.DEFAULT_ID : cmd.plan();
    QuotaOverrides overrides = cmd.overrides() == null ? QuotaOverrides.none() : cmd.overrides();
    Quota quota = overrides.over(cmd.planQuota() == null ? Quota.defaults() : cmd.planQuota());
    Rejection invalid = displayNameProblem(cmd.displayName());
    if (invalid == null) {
      invalid = planProblem(plan);
    }
    if (invalid == null) {
      invalid = quotaProblem(quota);
    }
    if (invalid == null) {
      invalid = workerPoolProblem(cmd.workerPool());
    }
    if (invalid != null) {
      return reject(cmd.replyTo(), invalid);
    }
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>(2);
    events.add(new TenantCreated(tenantId, cmd.displayName(), quota, now, cmd.actor(), plan, overrides));
    if (cmd.workerPool() != null) {
      // one atomic write: the tenant never exists without its pool
      events.add(new WorkerPoolChanged(cmd.workerPool(), now, cmd.actor()));
    }
    return Effect()
        .persist(events)
        .thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> onUpdate(Tenant tenant, Update cmd) {
    String plan = cmd.plan() == null ? tenant.plan() : cmd.plan();
    QuotaOverrides overrides = cmd.overrides() == null ? tenant.quotaOverrides() : cmd.overrides();
    Quota quota = overrides.over(cmd.planQuota() == null ? Quota.defaults() : cmd.planQuota());
    // a plan named again with its quota as it is now records the quota anew if the plan's changed since
    boolean termsChanged = !plan.equals(tenant.plan()) || !overrides.equals(tenant.quotaOverrides())
        || cmd.plan() != null && cmd.planQuota() != null && !quota.equals(tenant.quota());
    Rejection invalid = cmd.displayName() == null ? null : displayNameProblem(cmd.displayName());
    if (invalid == null) {
      invalid = planProblem(plan);
    }
    if (invalid == null && termsChanged) {
      invalid = quotaProblem(quota);
    }
    if (invalid != null) {
      return reject(cmd.replyTo(), invalid);
    }
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>(2);
    if (cmd.displayName() != null && !cmd.displayName().equals(tenant.displayName())) {
      events.add(new DisplayNameChanged(cmd.displayName(), now, cmd.actor()));
    }
    if (termsChanged) {
      events.add(new PlanTermsChanged(plan, overrides, quota, now, cmd.actor()));
    }
    if (events.isEmpty()) {
      return Effect().reply(cmd.replyTo(), tenant.summary());
    }
    return Effect().persist(events).thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> onFollowPlan(Tenant tenant, FollowPlan cmd) {
    Quota quota = tenant.quotaOverrides().over(cmd.planQuota());
    if (!cmd.plan().equals(tenant.plan()) || quota.equals(tenant.quota())) {
      return Effect().reply(cmd.replyTo(), tenant.summary());
    }
    return Effect().persist(new PlanTermsChanged(tenant.plan(), tenant.quotaOverrides(), quota, clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> onSetWorkerPool(Tenant tenant, SetWorkerPool cmd) {
    Rejection invalid = workerPoolProblem(cmd.workerPool());
    if (invalid != null) {
      return reject(cmd.replyTo(), invalid);
    }
    if (java.util.Objects.equals(cmd.workerPool(), tenant.workerPool())) {
      return Effect().reply(cmd.replyTo(), tenant.summary());
    }
    return Effect()
        .persist(new WorkerPoolChanged(cmd.workerPool(), clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> onSuspend(Tenant tenant, Suspend cmd) {
    if (tenant.status() == Status.SUSPENDED) {
      return Effect().reply(cmd.replyTo(), tenant.summary());
    }
    return Effect()
        .persist(new TenantSuspended(clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> onResume(Tenant tenant, Resume cmd) {
    if (tenant.status() == Status.ACTIVE) {
      return Effect().reply(cmd.replyTo(), tenant.summary());
    }
    return Effect()
        .persist(new TenantResumed(clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> unlessDeleting(Tenant tenant, ActorRef<Reply> replyTo,
      java.util.function.Supplier<ReplyEffect<Event, State>> then) {
    return tenant.status() == Status.DELETING
        ? reject(replyTo, Rejection.conflict("tenant_deleting", "tenant " + tenantId + " is being deleted"))
        : then.get();
  }

  private ReplyEffect<Event, State> onStartDeletion(Tenant tenant, StartDeletion cmd) {
    if (tenant.status() == Status.DELETING) {
      return Effect().reply(cmd.replyTo(), tenant.summary());
    }
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    events.add(new DeletionStarted(cmd.releaseId(), now, cmd.actor()));
    tenant.apiKeys().stream().filter(ApiKey::isActive)
        .forEach(key -> events.add(new ApiKeyRevoked(key.id(), now, cmd.actor())));
    return Effect().persist(events).thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> onFinishDeletion(Tenant tenant, FinishDeletion cmd) {
    if (tenant.status() != Status.DELETING) {
      return reject(cmd.replyTo(), Rejection.conflict("deletion_not_started",
          "tenant " + tenantId + " is not being deleted"));
    }
    return Effect()
        .persist(new TenantDeleted(cmd.releaseId(), cmd.artifactsDeleted(), clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Deleted) state).deletion());
  }

  /**
   * The running export is held in memory only: the tenant's entity lives on one node at a time, and an export cut
   * by a crash must not block the next one.
   */
  private ReplyEffect<Event, State> onStartExport(Tenant tenant, StartExport cmd) {
    Instant now = clock.instant();
    if (runningExport != null && runningExportSince.plus(EXPORT_LEASE).isAfter(now)) {
      return reject(cmd.replyTo(), Rejection.conflict("export_in_progress",
          "an export of tenant " + tenantId + " is already running; try again when it has finished"));
    }
    runningExport = cmd.exportId();
    runningExportSince = now;
    return Effect().persist(new TenantExported(cmd.exportId(), now, cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> onFinishExport(Tenant tenant, FinishExport cmd) {
    if (cmd.exportId().equals(runningExport)) {
      runningExport = null;
      runningExportSince = null;
    }
    return Effect().persist(new ExportFinished(cmd.exportId(), cmd.complete(), cmd.artifacts(), clock.instant(),
            cmd.actor()))
        .thenReply(cmd.replyTo(), state -> state instanceof Tenant t ? t.summary() : ((Deleted) state).last().summary());
  }

  private ReplyEffect<Event, State> onCreateApiKey(Tenant tenant, CreateApiKey cmd) {
    if (isBlank(cmd.name()) || cmd.name().length() > MAX_API_KEY_NAME_LENGTH) {
      return reject(cmd.replyTo(), Rejection.invalid("invalid_api_key_name",
          "API key name must be 1-" + MAX_API_KEY_NAME_LENGTH + " characters"));
    }
    if (cmd.role() == null || !cmd.role().isTenantRole()) {
      return reject(cmd.replyTo(), Rejection.invalid("invalid_role",
          "API key role must be one of tenant-admin, developer, viewer, predictor"));
    }
    if (isBlank(cmd.secretHash())) {
      return reject(cmd.replyTo(), Rejection.invalid("invalid_api_key", "API key secret hash is missing"));
    }
    // Revoked ids count as used: a revoked key's id must never authenticate again.
    if (isBlank(cmd.keyId()) || tenant.key(cmd.keyId()).isPresent()) {
      return reject(cmd.replyTo(), Rejection.conflict("api_key_exists",
          "API key " + cmd.keyId() + " already exists in tenant " + tenantId));
    }
    if (tenant.activeKeyCount() >= MAX_ACTIVE_API_KEYS) {
      return reject(cmd.replyTo(), Rejection.quotaExceeded("api_key_limit",
          "tenant " + tenantId + " may hold at most " + MAX_ACTIVE_API_KEYS + " active API keys"));
    }
    return Effect()
        .persist(new ApiKeyAdded(cmd.keyId(), cmd.name(), cmd.role(), cmd.secretHash(), clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> new ApiKeyCreated(((Tenant) state).key(cmd.keyId()).orElseThrow().info()));
  }

  private ReplyEffect<Event, State> onRevokeApiKey(Tenant tenant, RevokeApiKey cmd) {
    if (tenant.activeKey(cmd.keyId()).isEmpty()) {
      return reject(cmd.replyTo(), apiKeyNotFound(cmd.keyId()));
    }
    return Effect()
        .persist(new ApiKeyRevoked(cmd.keyId(), clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> onRecordKeyUse(Tenant tenant, RecordKeyUse cmd) {
    Map<String, Instant> moved = new java.util.TreeMap<>();
    cmd.lastUsed().forEach((keyId, at) -> tenant.activeKey(keyId).ifPresent(key -> {
      Instant minute = at.truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
      if (key.lastUsedAt() == null || key.lastUsedAt().isBefore(minute)) {
        moved.put(keyId, minute);
      }
    }));
    if (moved.isEmpty()) {
      return Effect().reply(cmd.replyTo(), tenant.summary());
    }
    return Effect().persist(new ApiKeysUsed(moved)).thenReply(cmd.replyTo(), t -> ((Tenant) t).summary());
  }

  private ReplyEffect<Event, State> onLookupApiKey(Tenant tenant, LookupApiKey cmd) {
    return tenant.activeKey(cmd.keyId())
        .<ReplyEffect<Event, State>>map(key -> Effect().reply(cmd.replyTo(),
            new ApiKeyMatch(tenant.id(), key.id(), key.role(), key.secretHash(), tenant.status())))
        .orElseGet(() -> reject(cmd.replyTo(), apiKeyNotFound(cmd.keyId())));
  }

  private ReplyEffect<Event, State> onAddModel(Tenant tenant, AddModel cmd) {
    if (!ModelId.isValid(cmd.modelId())) {
      return reject(cmd.replyTo(), Rejection.invalid("invalid_model_name",
          "model name must be 1-63 characters of lowercase letters, digits, '-', '_' or '.', starting with a letter or digit"));
    }
    if (tenant.models().contains(cmd.modelId())) {
      return Effect().reply(cmd.replyTo(), tenant.summary());
    }
    Integer maxModels = cmd.limitKnown() ? cmd.maxModels() : tenant.quota().maxModels();
    if (maxModels != null && tenant.models().size() >= maxModels) {
      return reject(cmd.replyTo(), Rejection.quotaExceeded("model_quota_exceeded",
          "tenant " + tenantId + " may hold at most " + maxModels + " models"));
    }
    return Effect()
        .persist(new ModelAdded(cmd.modelId(), clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> onReleaseModel(Tenant tenant, ReleaseModel cmd) {
    Long current = tenant.modelReservations().get(cmd.modelId());
    if (current == null || current != cmd.reservation()) {
      return Effect().reply(cmd.replyTo(), tenant.summary());
    }
    return Effect()
        .persist(new ModelReleased(cmd.modelId(), cmd.reservation(), clock.instant(), cmd.actor()))
        .thenReply(cmd.replyTo(), state -> ((Tenant) state).summary());
  }

  private ReplyEffect<Event, State> rejectUnknownTenant(ActorRef<Reply> replyTo) {
    return reject(replyTo, Rejection.notFound("tenant_not_found", "tenant " + tenantId + " does not exist"));
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, Rejection rejection) {
    return Effect().reply(replyTo, new Rejected(rejection));
  }

  private Rejection apiKeyNotFound(String keyId) {
    return Rejection.notFound("api_key_not_found", "API key " + keyId + " does not exist in tenant " + tenantId);
  }

  private static Rejection displayNameProblem(String displayName) {
    if (isBlank(displayName) || displayName.length() > MAX_DISPLAY_NAME_LENGTH) {
      return Rejection.invalid("invalid_display_name",
          "displayName must be 1-" + MAX_DISPLAY_NAME_LENGTH + " characters and not blank");
    }
    return null;
  }

  private static Rejection workerPoolProblem(String workerPool) {
    return workerPool == null || WorkerPool.isValid(workerPool) ? null
        : Rejection.invalid("invalid_worker_pool", WorkerPool.RULE_TEXT);
  }

  private static Rejection planProblem(String plan) {
    return Plan.isValidId(plan) ? null : Rejection.invalid("unknown_plan", "plan " + plan + " does not exist");
  }

  private static Rejection quotaProblem(Quota quota) {
    String violation = quota.violation();
    return violation == null ? null : Rejection.invalid("invalid_quota", violation);
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  @Override
  public EventHandler<State, Event> eventHandler() {
    EventHandlerBuilder<State, Event> builder = newEventHandlerBuilder();
    builder
        .forStateType(Unknown.class)
        .onEvent(TenantCreated.class, (unknown, e) -> new Tenant(
            e.tenantId(), e.displayName(), e.quota(), Status.ACTIVE, e.at(), e.at(), List.of(), List.of(), null, Map.of(),
            Map.of(), 0, null, e.plan(), e.overrides()));
    builder
        .forStateType(Tenant.class)
        .onEvent(DisplayNameChanged.class, (tenant, e) -> tenant.withDisplayName(e.displayName(), e.at()))
        .onEvent(QuotaChanged.class, (tenant, e) -> tenant.withQuota(e.quota(), e.at()))
        .onEvent(PlanTermsChanged.class, (tenant, e) -> tenant.withPlanTerms(e.plan(), e.overrides(), e.quota(), e.at()))
        .onEvent(TenantSuspended.class, (tenant, e) -> tenant.withStatus(Status.SUSPENDED, e.at()))
        .onEvent(TenantResumed.class, (tenant, e) -> tenant.withStatus(Status.ACTIVE, e.at()))
        .onEvent(ApiKeyAdded.class, (tenant, e) -> tenant.withKeyAdded(
            new ApiKey(e.keyId(), e.name(), e.role(), e.secretHash(), e.at(), e.actor(), null), e.at()))
        .onEvent(ApiKeyRevoked.class, (tenant, e) -> tenant.withKeyRevoked(e.keyId(), e.at()))
        .onEvent(ModelAdded.class, (tenant, e) -> tenant.withModel(e.modelId(), e.at()))
        .onEvent(ModelReleased.class, (tenant, e) -> tenant.withoutModel(e.modelId(), e.at()))
        .onEvent(IdentityProvisioned.class, (tenant, e) -> tenant.withIdentity(e.identity(), e.at()))
        .onEvent(ApiKeysUsed.class, (tenant, e) -> tenant.withKeysUsed(e.lastUsed()))
        .onEvent(WorkerPoolChanged.class, (tenant, e) -> tenant.withWorkerPool(e.workerPool(), e.at()))
        // Keycloak holds members and service accounts; the event is the audit record, and may revoke tokens
        .onEvent(AccessChanged.class, (tenant, e) -> e.revokesTokensOf() == null
            ? tenant : tenant.withTokensRevoked(e.revokesTokensOf(), e.at()))
        .onEvent(DeletionStarted.class, (tenant, e) -> tenant.withStatus(Status.DELETING, e.at()))
        .onEvent(TenantDeleted.class, (tenant, e) -> new Deleted(tenant.withStatus(Status.DELETED, e.at()).withoutModels(),
            e.idReleased(), e.artifactsDeleted(), e.at(), e.actor()))
        .onEvent(TenantExported.class, (tenant, e) -> tenant)
        .onEvent(ExportFinished.class, (tenant, e) -> tenant);
    builder
        .forStateType(Deleted.class)
        // a released id created again: a fresh tenant whose model reservations number on after the old ones
        .onEvent(TenantCreated.class, (deleted, e) -> new Tenant(
            e.tenantId(), e.displayName(), e.quota(), Status.ACTIVE, e.at(), e.at(), List.of(), List.of(), null, Map.of(),
            Map.of(), deleted.last().reservationsMade(), null, e.plan(), e.overrides()))
        .onEvent(ExportFinished.class, (deleted, e) -> deleted);
    return builder.build();
  }
}
