package io.modelplane.registry;

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
import io.modelplane.common.SlicedTags;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.InvalidIdException;
import io.modelplane.common.ModelKey;
import io.modelplane.common.Rejection;
import io.modelplane.common.TensorSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One model of one tenant: its versions (immutable artifacts with a signature) and its deployment
 * revisions, with a stack of applied revisions so that a rollback returns to the one before.
 */
public final class ModelEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ModelEntity.Command, ModelEntity.Event, ModelEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Model");

  static final String SUPPORTED_FORMAT = "torchscript";
  static final int MAX_DESCRIPTION_LENGTH = 1000;
  static final int MAX_REPLICAS = 64;
  static final int MAX_BATCH_SIZE = 1024;
  static final int MAX_BATCH_DELAY_MS = 10_000;
  static final int MAX_ENGINE_THREADS = 256;
  static final int MAX_TARGET_IN_FLIGHT = 10_000;
  static final int MAX_IDLE_UNLOAD_SECONDS = 7 * 24 * 3600;
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  // ---- value types ----

  /** One registered version of a model as callers see it. */
  public record VersionInfo(int version, String sha256, long sizeBytes, String format, List<TensorSpec> inputs,
      List<TensorSpec> outputs, String description, Instant createdAt, String createdBy, boolean archived)
      implements CborSerializable {

    VersionInfo asArchived() {
      return new VersionInfo(version, sha256, sizeBytes, format, inputs, outputs, description, createdAt, createdBy, true);
    }
  }

  /**
   * What a deployment serves: the traffic split over versions (percent per version) and its serving settings.
   *
   * @param replicas replicas per version; with autoscaling the count each version starts with
   * @param engineThreads the engine's intra-op threads for each replica's forward passes on a CPU
   *     (0: one per core); null: the node's default (MODELPLANE_ENGINE_THREADS, or chosen per model from its forward time)
   * @param autoscaling null: a fixed {@code replicas} per version
   */
  public record DeploymentSpec(Map<Integer, Integer> traffic, int replicas, int maxBatchSize, int maxBatchDelayMs,
      Integer engineThreads, Autoscaling autoscaling) implements CborSerializable {

    public DeploymentSpec {
      // sorted so that equal splits compare, print and serialize the same way
      traffic = traffic == null ? null : Collections.unmodifiableSortedMap(new TreeMap<>(traffic));
    }

    /** A fixed number of replicas. */
    public DeploymentSpec(Map<Integer, Integer> traffic, int replicas, int maxBatchSize, int maxBatchDelayMs,
        Integer engineThreads) {
      this(traffic, replicas, maxBatchSize, maxBatchDelayMs, engineThreads, null);
    }

    /** With the node's default engine threads. */
    public DeploymentSpec(Map<Integer, Integer> traffic, int replicas, int maxBatchSize, int maxBatchDelayMs) {
      this(traffic, replicas, maxBatchSize, maxBatchDelayMs, null, null);
    }
  }

  /**
   * Each version's replicas follow its load between {@code minReplicas} and {@code maxReplicas}, aiming at
   * {@code targetInFlight} requests in flight per replica; with {@code minReplicas} 0 a version with no request
   * for {@code idleUnloadSeconds} is unloaded until its next request.
   */
  public record Autoscaling(int minReplicas, int maxReplicas, int targetInFlight, int idleUnloadSeconds)
      implements CborSerializable {}

  /** One numbered deployment of a model; revision numbers are never reused. */
  public record DeploymentRevision(long revision, DeploymentSpec spec, Instant createdAt, String createdBy)
      implements CborSerializable {}

  // ---- commands ----

  /** What a model can be asked to do. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Adds the next version; the first one creates the model. {@code maxVersions} is the tenant's quota, null for
   * none. {@code reservation} is the tenant's reservation of the model name: a first version under a reservation
   * the model has released (see {@link ReleaseReservation}) is refused.
   */
  public record RegisterVersion(String sha256, long sizeBytes, String format, List<TensorSpec> inputs,
      List<TensorSpec> outputs, String description, Integer maxVersions, long reservation, String actor,
      ActorRef<Reply> replyTo) implements Command {

    /** Under the newest reservation there can be (for callers that released none). */
    public RegisterVersion(String sha256, long sizeBytes, String format, List<TensorSpec> inputs,
        List<TensorSpec> outputs, String description, Integer maxVersions, String actor, ActorRef<Reply> replyTo) {
      this(sha256, sizeBytes, format, inputs, outputs, description, maxVersions, Long.MAX_VALUE, actor, replyTo);
    }
  }

  /**
   * Releases the tenant's reservation {@code reservation} (and every earlier one) of a model that has no version:
   * a later first version must come under a newer reservation. Answers {@link Vacant}, or the {@link Summary}
   * when the model has versions (then nothing is released).
   */
  public record ReleaseReservation(long reservation, String actor, ActorRef<Reply> replyTo) implements Command {}

  /** Makes {@code spec} the current deployment as a new revision; {@code expectedRevision} guards against lost updates. */
  public record Deploy(DeploymentSpec spec, Long expectedRevision, String actor, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Undoes the latest deploy still in effect: the revision current before it is current again. Revisions
   * form a stack: each rollback goes one further back (never forward again: redeploy for that).
   */
  public record Rollback(String actor, ActorRef<Reply> replyTo) implements Command {}

  /** Retires a version that no reachable revision uses. */
  public record ArchiveVersion(int version, String actor, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Purges the model as its tenant is deleted: versions and deployments are gone (placement unloads its replicas)
   * and the tenant's reservations of the name up to {@code reservation} can no longer create it, so only a fresh
   * tenant under a released id (whose reservations number on) can use the name again. Idempotent; answers
   * {@link Vacant}.
   */
  public record Purge(long reservation, String actor, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Records a scaling decision placement carried out: version {@code version} of revision {@code revision} went
   * from {@code fromReplicas} to {@code toReplicas} replicas, for {@code reason}. Refused when that revision is
   * no longer current or does not autoscale that version; answers {@link Scaled}.
   */
  public record RecordScaling(long revision, int version, int fromReplicas, int toReplicas, String reason, String actor,
      ActorRef<Reply> replyTo) implements Command {}

  /** Asks for the model's {@link Summary}. */
  public record Get(ActorRef<Reply> replyTo) implements Command {}

  // ---- replies ----

  /** What a model answers. */
  public sealed interface Reply extends CborSerializable {}

  /**
   * The model: its versions by number, its current deployment (null when never deployed) and the revision
   * a rollback would make current (null: none, or not known where the summary was built).
   */
  public record Summary(String tenant, String model, Instant createdAt, List<VersionInfo> versions,
      DeploymentRevision deployment, Long rollbackRevision) implements Reply {
    public Summary(String tenant, String model, Instant createdAt, List<VersionInfo> versions,
        DeploymentRevision deployment) {
      this(tenant, model, createdAt, versions, deployment, null);
    }
  }

  /** The model has no version; reservations up to {@code releasedUpTo} can no longer create it. */
  public record Vacant(long releasedUpTo) implements Reply {}

  /** The version a {@link RegisterVersion} added. */
  public record VersionAdded(VersionInfo version) implements Reply {}

  /**
   * The now-current revision after a deploy or rollback, the one current before this change (null if
   * none; after a rollback, the one rolled back from), and the one a rollback would now make current
   * (null: no rollback possible).
   */
  public record Deployed(DeploymentRevision revision, Long previousRevision, Long rollbackRevision) implements Reply {
    public Deployed(DeploymentRevision revision, Long previousRevision) {
      this(revision, previousRevision, null);
    }

    public boolean rollbackAvailable() {
      return rollbackRevision != null;
    }
  }

  /** A scaling decision is in the model's history. */
  public record Scaled(long revision, int version, int replicas) implements Reply {}

  /** The command was refused and nothing changed. */
  public record Rejected(Rejection rejection) implements Reply {}

  // ---- events ----

  /** What happened to a model; every event carries when and by whom. */
  public sealed interface Event extends CborSerializable {}

  /** A version was added. */
  public record VersionRegistered(int version, String sha256, long sizeBytes, String format, List<TensorSpec> inputs,
      List<TensorSpec> outputs, String description, Instant at, String actor) implements Event {}

  /** A new deployment revision became current. */
  public record DeploymentRevised(long revision, DeploymentSpec spec, Instant at, String actor) implements Event {}

  /** The current revision was popped; {@code toRevision} is current again. */
  public record DeploymentRolledBack(long fromRevision, long toRevision, Instant at, String actor) implements Event {}

  /** The tenant's reservations of the model name up to {@code reservation} were released before any version. */
  public record ReservationReleased(long reservation, Instant at, String actor) implements Event {}

  /**
   * The model was purged with its tenant (versions and deployments gone); reservations up to {@code reservation}
   * are released. {@code versions}: how many it had.
   */
  public record ModelPurged(long reservation, int versions, Instant at, String actor) implements Event {}

  /** Placement scaled a version of the current revision (actor {@code autoscaler}); the deployment is unchanged. */
  public record ReplicasScaled(long revision, int version, int fromReplicas, int toReplicas, String reason, Instant at,
      String actor) implements Event {}

  /** A version was archived. */
  public record VersionArchived(int version, Instant at, String actor) implements Event {}

  // ---- state, one type per lifecycle phase ----

  /** A model's state: {@link Empty} before its first version, {@link Model} after. */
  public sealed interface State extends CborSerializable {}

  /** No version registered yet: the model does not exist. */
  public record Empty() implements State {}

  /** No version, and reservations up to {@code releasedUpTo} were released: the model does not exist. */
  public record Released(long releasedUpTo) implements State {}

  /**
   * An existing model. {@code revisions} holds every revision ever made (revision n at index n-1);
   * {@code applied} is the stack of applied revision numbers, the current one last.
   */
  public record Model(Instant createdAt, List<VersionInfo> versions, List<DeploymentRevision> revisions,
      List<Long> applied) implements State {

    public Model {
      versions = List.copyOf(versions);
      revisions = List.copyOf(revisions);
      applied = List.copyOf(applied);
    }

    static Model first(VersionRegistered e) {
      return new Model(e.at(), List.of(), List.of(), List.of()).withVersion(e);
    }

    Optional<VersionInfo> version(int number) {
      return number >= 1 && number <= versions.size() ? Optional.of(versions.get(number - 1)) : Optional.empty();
    }

    /** The current revision, or null when never deployed. */
    DeploymentRevision current() {
      return applied.isEmpty() ? null : revision(applied.get(applied.size() - 1));
    }

    /** The revision a rollback would make current, or null when there is none to return to. */
    Long rollbackRevision() {
      return applied.size() >= 2 ? applied.get(applied.size() - 2) : null;
    }

    long currentRevisionNumber() {
      return applied.isEmpty() ? 0 : applied.get(applied.size() - 1);
    }

    DeploymentRevision revision(long number) {
      return revisions.get((int) number - 1);
    }

    boolean inUse(int version) {
      return applied.stream().anyMatch(r -> revision(r).spec().traffic().containsKey(version));
    }

    Model withVersion(VersionRegistered e) {
      List<VersionInfo> next = new ArrayList<>(versions);
      next.add(new VersionInfo(e.version(), e.sha256(), e.sizeBytes(), e.format(), e.inputs(), e.outputs(),
          e.description(), e.at(), e.actor(), false));
      return new Model(createdAt, next, revisions, applied);
    }

    Model withRevision(DeploymentRevised e) {
      List<DeploymentRevision> nextRevisions = new ArrayList<>(revisions);
      nextRevisions.add(new DeploymentRevision(e.revision(), e.spec(), e.at(), e.actor()));
      List<Long> nextApplied = new ArrayList<>(applied);
      nextApplied.add(e.revision());
      return new Model(createdAt, versions, nextRevisions, nextApplied);
    }

    Model rolledBack() {
      return new Model(createdAt, versions, revisions, applied.subList(0, applied.size() - 1));
    }

    Model withArchived(int version) {
      List<VersionInfo> next = new ArrayList<>(versions);
      next.set(version - 1, versions.get(version - 1).asArchived());
      return new Model(createdAt, next, revisions, applied);
    }
  }

  // ---- behavior ----

  /** Starts the model entities on this node's cluster sharding; they live on "control" nodes. */
  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())).withRole("control"));
  }

  public static Behavior<Command> create(String entityId) {
    return create(entityId, Clock.systemUTC());
  }

  public static Behavior<Command> create(String entityId, Clock clock) {
    return new ModelEntity(entityId, clock);
  }

  private final String entityId;
  private final ModelKey key; // null when the entity id is not a valid tenant/model
  private final Clock clock;

  private ModelEntity(String entityId, Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.entityId = entityId;
    this.key = parseKey(entityId);
    this.clock = clock;
  }

  private static ModelKey parseKey(String entityId) {
    try {
      return ModelKey.parse(entityId);
    } catch (InvalidIdException e) {
      return null;
    }
  }

  @Override
  public State emptyState() {
    return new Empty();
  }

  /** Every event carries its tenant's slice tag: the read side projects the journal by these tags. */
  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return java.util.Set.of(SlicedTags.CONTROL_PLANE.tagFor(key == null ? entityId : key.tenant().value()));
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // events are kept (no deleteEventsOnSnapshot): they are the model's history
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Empty.class)
        .onCommand(RegisterVersion.class, this::onFirstVersion)
        .onCommand(Get.class, c -> Effect().reply(c.replyTo(), modelNotFound()))
        .onCommand(Deploy.class, c -> Effect().reply(c.replyTo(), modelNotFound()))
        .onCommand(Rollback.class, c -> Effect().reply(c.replyTo(), modelNotFound()))
        .onCommand(ArchiveVersion.class, c -> Effect().reply(c.replyTo(), modelNotFound()))
        .onCommand(ReleaseReservation.class, c -> onRelease(-1, c))
        .onCommand(Purge.class, c -> onPurge(-1, 0, c));
    builder.forStateType(Released.class)
        .onCommand(RegisterVersion.class, this::onVersionAfterRelease)
        .onCommand(Get.class, c -> Effect().reply(c.replyTo(), modelNotFound()))
        .onCommand(Deploy.class, c -> Effect().reply(c.replyTo(), modelNotFound()))
        .onCommand(Rollback.class, c -> Effect().reply(c.replyTo(), modelNotFound()))
        .onCommand(ArchiveVersion.class, c -> Effect().reply(c.replyTo(), modelNotFound()))
        .onCommand(ReleaseReservation.class, (released, c) -> onRelease(released.releasedUpTo(), c))
        .onCommand(Purge.class, (released, c) -> onPurge(released.releasedUpTo(), 0, c));
    builder.forStateType(Model.class)
        .onCommand(RegisterVersion.class, this::onRegisterVersion)
        .onCommand(Deploy.class, this::onDeploy)
        .onCommand(Rollback.class, this::onRollback)
        .onCommand(ArchiveVersion.class, this::onArchiveVersion)
        .onCommand(RecordScaling.class, this::onRecordScaling)
        .onCommand(Get.class, (model, c) -> Effect().reply(c.replyTo(), summary(model)))
        .onCommand(ReleaseReservation.class, (model, c) -> Effect().reply(c.replyTo(), summary(model)))
        .onCommand(Purge.class, (model, c) -> onPurge(-1, model.versions().size(), c));
    return builder.build();
  }

  private ReplyEffect<Event, State> onFirstVersion(RegisterVersion c) {
    return register(List.of(), c);
  }

  /** A first version under a released reservation raced with the release: the upload must start again. */
  private ReplyEffect<Event, State> onVersionAfterRelease(Released released, RegisterVersion c) {
    if (c.reservation() <= released.releasedUpTo()) {
      return Effect().reply(c.replyTo(), new Rejected(Rejection.conflict("model_reservation_released",
          "model " + modelName() + " was released while this upload was under way; upload it again")));
    }
    return register(List.of(), c);
  }

  private ReplyEffect<Event, State> onRelease(long releasedUpTo, ReleaseReservation c) {
    if (c.reservation() <= releasedUpTo) {
      return Effect().reply(c.replyTo(), new Vacant(releasedUpTo));
    }
    return Effect().persist(new ReservationReleased(c.reservation(), clock.instant(), c.actor()))
        .thenReply(c.replyTo(), state -> new Vacant(((Released) state).releasedUpTo()));
  }

  private ReplyEffect<Event, State> onPurge(long releasedUpTo, int versions, Purge c) {
    if (versions == 0 && c.reservation() <= releasedUpTo) {
      return Effect().reply(c.replyTo(), new Vacant(releasedUpTo));
    }
    return Effect().persist(new ModelPurged(Math.max(c.reservation(), releasedUpTo), versions, clock.instant(), c.actor()))
        .thenReply(c.replyTo(), state -> new Vacant(((Released) state).releasedUpTo()));
  }

  private ReplyEffect<Event, State> onRegisterVersion(Model model, RegisterVersion c) {
    return register(model.versions(), c);
  }

  private ReplyEffect<Event, State> register(List<VersionInfo> existing, RegisterVersion c) {
    Rejection rejection = registrationRejection(existing, c);
    if (rejection != null) {
      return Effect().reply(c.replyTo(), new Rejected(rejection));
    }
    VersionRegistered event = new VersionRegistered(existing.size() + 1, c.sha256(), c.sizeBytes(), c.format(),
        List.copyOf(c.inputs()), List.copyOf(c.outputs()), c.description(), clock.instant(), c.actor());
    return Effect().persist(event)
        .thenReply(c.replyTo(), state -> new VersionAdded(((Model) state).version(event.version()).orElseThrow()));
  }

  private Rejection registrationRejection(List<VersionInfo> existing, RegisterVersion c) {
    if (key == null) {
      return Rejection.invalid("invalid_model_name", "'" + entityId + "' is not a valid tenant/model name");
    }
    if (c.sha256() == null || !SHA256.matcher(c.sha256()).matches() || c.sizeBytes() <= 0) {
      return Rejection.invalid("invalid_artifact",
          "an artifact needs a sha256 of 64 lowercase hex digits and a positive size");
    }
    if (!SUPPORTED_FORMAT.equals(c.format())) {
      return Rejection.invalid("unsupported_format",
          "format " + c.format() + " is not supported; use " + SUPPORTED_FORMAT);
    }
    String signatureProblem = signatureProblem("input", c.inputs());
    if (signatureProblem == null) {
      signatureProblem = signatureProblem("output", c.outputs());
    }
    if (signatureProblem != null) {
      return Rejection.invalid("invalid_signature", signatureProblem);
    }
    if (c.description() != null && c.description().length() > MAX_DESCRIPTION_LENGTH) {
      return Rejection.invalid("invalid_description",
          "description must be at most " + MAX_DESCRIPTION_LENGTH + " characters");
    }
    if (c.maxVersions() != null && existing.size() >= c.maxVersions()) {
      return Rejection.quotaExceeded("version_quota_exceeded",
          "model " + modelName() + " may hold at most " + c.maxVersions() + " versions");
    }
    return null;
  }

  /** The first problem of one side of a signature ("input" or "output"), or null. */
  private static String signatureProblem(String side, List<TensorSpec> tensors) {
    if (tensors == null || tensors.isEmpty()) {
      return "a version needs at least one " + side;
    }
    Set<String> names = new HashSet<>();
    for (TensorSpec tensor : tensors) {
      if (tensor == null) {
        return side + "s must not contain null";
      }
      String violation = tensor.violation();
      if (violation != null) {
        return side + " " + violation;
      }
      if (!names.add(tensor.name())) {
        return "duplicate " + side + " name " + tensor.name();
      }
    }
    return null;
  }

  private ReplyEffect<Event, State> onDeploy(Model model, Deploy c) {
    Rejection rejection = deploymentRejection(model, c);
    if (rejection != null) {
      return Effect().reply(c.replyTo(), new Rejected(rejection));
    }
    DeploymentRevision previous = model.current();
    DeploymentRevised event =
        new DeploymentRevised(model.revisions().size() + 1L, c.spec(), clock.instant(), c.actor());
    return Effect().persist(event).thenReply(c.replyTo(), state -> new Deployed(((Model) state).current(),
        previous == null ? null : previous.revision(), ((Model) state).rollbackRevision()));
  }

  private Rejection deploymentRejection(Model model, Deploy c) {
    if (c.expectedRevision() != null && c.expectedRevision() != model.currentRevisionNumber()) {
      return Rejection.conflict("stale_revision", "expected revision " + c.expectedRevision()
          + " but the current revision is " + model.currentRevisionNumber());
    }
    DeploymentSpec spec = c.spec();
    String splitProblem = spec == null ? "a deployment needs a traffic split" : trafficProblem(spec.traffic());
    if (splitProblem != null) {
      return Rejection.invalid("invalid_traffic_split", splitProblem);
    }
    for (int version : spec.traffic().keySet()) {
      Optional<VersionInfo> info = model.version(version);
      if (info.isEmpty()) {
        return Rejection.invalid("unknown_version",
            "version " + version + " of model " + modelName() + " does not exist");
      }
      if (info.get().archived()) {
        return Rejection.invalid("version_archived",
            "version " + version + " of model " + modelName() + " is archived");
      }
    }
    Rejection scaling = spec.autoscaling() == null ? null : autoscalingRejection(spec);
    if (scaling != null) {
      return scaling;
    }
    if (spec.replicas() < 1 || spec.replicas() > MAX_REPLICAS) {
      return Rejection.invalid("invalid_replicas", "replicas must be between 1 and " + MAX_REPLICAS);
    }
    if (spec.maxBatchSize() < 1 || spec.maxBatchSize() > MAX_BATCH_SIZE) {
      return Rejection.invalid("invalid_batching", "maxBatchSize must be between 1 and " + MAX_BATCH_SIZE);
    }
    if (spec.maxBatchDelayMs() < 0 || spec.maxBatchDelayMs() > MAX_BATCH_DELAY_MS) {
      return Rejection.invalid("invalid_batching", "maxBatchDelayMs must be between 0 and " + MAX_BATCH_DELAY_MS);
    }
    if (spec.engineThreads() != null && (spec.engineThreads() < 0 || spec.engineThreads() > MAX_ENGINE_THREADS)) {
      return Rejection.invalid("invalid_engine_threads",
          "engineThreads must be between 0 (one per core) and " + MAX_ENGINE_THREADS);
    }
    return null;
  }

  private static Rejection autoscalingRejection(DeploymentSpec spec) {
    Autoscaling a = spec.autoscaling();
    if (a.minReplicas() < 0 || a.maxReplicas() < 1 || a.maxReplicas() > MAX_REPLICAS || a.minReplicas() > a.maxReplicas()) {
      return Rejection.invalid("invalid_replicas", "minReplicas and maxReplicas need 0 <= minReplicas <= maxReplicas, "
          + "1 <= maxReplicas <= " + MAX_REPLICAS + "; got " + a.minReplicas() + " and " + a.maxReplicas());
    }
    if (spec.replicas() < Math.max(1, a.minReplicas()) || spec.replicas() > a.maxReplicas()) {
      return Rejection.invalid("invalid_replicas", "replicas (the count each version starts with) must be between "
          + Math.max(1, a.minReplicas()) + " and maxReplicas " + a.maxReplicas() + "; got " + spec.replicas());
    }
    if (a.targetInFlight() < 1 || a.targetInFlight() > MAX_TARGET_IN_FLIGHT) {
      return Rejection.invalid("invalid_autoscaling", "targetInFlight must be between 1 and " + MAX_TARGET_IN_FLIGHT);
    }
    if (a.idleUnloadSeconds() < 1 || a.idleUnloadSeconds() > MAX_IDLE_UNLOAD_SECONDS) {
      return Rejection.invalid("invalid_autoscaling",
          "idleUnloadSeconds must be between 1 and " + MAX_IDLE_UNLOAD_SECONDS);
    }
    return null;
  }

  private ReplyEffect<Event, State> onRecordScaling(Model model, RecordScaling c) {
    DeploymentRevision current = model.current();
    if (current == null || current.revision() != c.revision()) {
      return Effect().reply(c.replyTo(), new Rejected(Rejection.conflict("stale_revision",
          "revision " + c.revision() + " of model " + modelName() + " is not current")));
    }
    Autoscaling a = current.spec().autoscaling();
    if (a == null || !current.spec().traffic().containsKey(c.version())
        || c.toReplicas() < a.minReplicas() || c.toReplicas() > a.maxReplicas()) {
      return Effect().reply(c.replyTo(), new Rejected(Rejection.invalid("invalid_scaling", "revision " + c.revision()
          + " does not autoscale version " + c.version() + " to " + c.toReplicas() + " replicas")));
    }
    return Effect().persist(new ReplicasScaled(c.revision(), c.version(), c.fromReplicas(), c.toReplicas(), c.reason(),
        clock.instant(), c.actor())).thenReply(c.replyTo(), state -> new Scaled(c.revision(), c.version(), c.toReplicas()));
  }

  private static String trafficProblem(Map<Integer, Integer> traffic) {
    if (traffic == null || traffic.isEmpty()) {
      return "a deployment needs a traffic split, e.g. {\"1\": 100}";
    }
    int sum = 0;
    for (Map.Entry<Integer, Integer> split : traffic.entrySet()) {
      Integer percent = split.getValue();
      if (percent == null || percent < 1 || percent > 100) {
        return "traffic for version " + split.getKey() + " must be 1-100 percent";
      }
      sum += percent;
    }
    return sum == 100 ? null : "traffic percents must add up to 100, not " + sum;
  }

  private ReplyEffect<Event, State> onRollback(Model model, Rollback c) {
    Long to = model.rollbackRevision();
    if (to == null) {
      String oldest = model.applied().isEmpty() ? ""
          : ": revision " + model.currentRevisionNumber() + " is the oldest one still in effect (deploy to change it)";
      return Effect().reply(c.replyTo(), new Rejected(Rejection.conflict("no_previous_revision",
          "model " + modelName() + " has no previous revision to roll back to" + oldest)));
    }
    long from = model.currentRevisionNumber();
    return Effect().persist(new DeploymentRolledBack(from, to, clock.instant(), c.actor()))
        .thenReply(c.replyTo(),
            state -> new Deployed(((Model) state).current(), from, ((Model) state).rollbackRevision()));
  }

  private ReplyEffect<Event, State> onArchiveVersion(Model model, ArchiveVersion c) {
    Optional<VersionInfo> info = model.version(c.version());
    if (info.isEmpty()) {
      return Effect().reply(c.replyTo(), new Rejected(Rejection.notFound("version_not_found",
          "version " + c.version() + " of model " + modelName() + " does not exist")));
    }
    if (info.get().archived()) {
      return Effect().reply(c.replyTo(), summary(model)); // archiving is idempotent
    }
    if (model.inUse(c.version())) {
      return Effect().reply(c.replyTo(), new Rejected(Rejection.conflict("version_in_use",
          "version " + c.version() + " of model " + modelName()
              + " is used by the current deployment or one reachable by rollback")));
    }
    return Effect().persist(new VersionArchived(c.version(), clock.instant(), c.actor()))
        .thenReply(c.replyTo(), state -> summary((Model) state));
  }

  private Summary summary(Model model) {
    return new Summary(key.tenant().value(), key.model().value(), model.createdAt(), model.versions(),
        model.current(), model.rollbackRevision());
  }

  private Rejected modelNotFound() {
    return new Rejected(Rejection.notFound("model_not_found", "model " + modelName() + " does not exist"));
  }

  private String modelName() {
    return key != null ? key.model().value() : entityId;
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    EventHandlerBuilder<State, Event> builder = newEventHandlerBuilder();
    builder.forStateType(Empty.class)
        .onEvent(VersionRegistered.class, (empty, e) -> Model.first(e))
        .onEvent(ReservationReleased.class, (empty, e) -> new Released(e.reservation()))
        .onEvent(ModelPurged.class, (empty, e) -> new Released(e.reservation()));
    builder.forStateType(Released.class)
        .onEvent(VersionRegistered.class, (released, e) -> Model.first(e))
        .onEvent(ReservationReleased.class, (released, e) ->
            new Released(Math.max(released.releasedUpTo(), e.reservation())))
        .onEvent(ModelPurged.class, (released, e) -> new Released(Math.max(released.releasedUpTo(), e.reservation())));
    builder.forStateType(Model.class)
        .onEvent(VersionRegistered.class, Model::withVersion)
        .onEvent(DeploymentRevised.class, Model::withRevision)
        .onEvent(DeploymentRolledBack.class, (model, e) -> model.rolledBack())
        .onEvent(VersionArchived.class, (model, e) -> model.withArchived(e.version()))
        .onEvent(ReplicasScaled.class, (model, e) -> model) // history only: placement holds the live count
        .onEvent(ModelPurged.class, (model, e) -> new Released(e.reservation()));
    return builder.build();
  }
}
