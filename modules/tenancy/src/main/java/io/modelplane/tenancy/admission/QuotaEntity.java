package io.modelplane.tenancy.admission;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.StashBuffer;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.Quota;
import io.modelplane.common.TenantId;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * The one place a tenant's predict quota is counted cluster-wide: the token bucket
 * (requestsPerSecond, burst), the in-flight permits (maxConcurrentRequests) and whether the
 * monthly compute budget is used up. Gateway nodes do not ask it per request: they lease small
 * batches of tokens and permits ({@link AdmissionLeases}) and decide locally until those run out.
 * Every admitted request spent a token this entity handed out, so cluster-wide admissions never
 * exceed {@code burst + rate × t}. The state is soft (not persisted): a restarted entity starts
 * with a full bucket and no record of permits held, which the documented bound allows for.
 */
public final class QuotaEntity extends AbstractBehavior<QuotaEntity.Command> {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Quota");

  /** How long a node's permits count without a renewal (a node that vanished gives them back). */
  static final long PERMIT_LEASE_NANOS = 3_000_000_000L;
  static final long QUOTA_TTL_NANOS = 1_000_000_000L;
  static final long BUDGET_TTL_NANOS = 2_000_000_000L;

  /** Where the entity reads the tenant's quota and its compute used this month. */
  public interface Sources {
    CompletionStage<Quota> quota(TenantId tenant);

    /** Compute microseconds the tenant used since the start of the current UTC month. */
    CompletionStage<Long> computeMicrosThisMonth(TenantId tenant);
  }

  public interface Command extends CborSerializable {}

  /**
   * A node's lease request: tokens it wants now, tokens it gives back unused, and the total number
   * of permits it wants to hold (its in-flight requests plus headroom; fewer shrinks its share).
   */
  public record Acquire(String node, int wantTokens, int returnTokens, int wantPermits, ActorRef<Grant> replyTo)
      implements Command {}

  /**
   * The tenant's quota changed: read it again now rather than within a second; {@code replyTo} hears
   * once the new quota is in force here (or reading it failed), so nodes can be told after that.
   */
  public record Refresh(ActorRef<Refreshed> replyTo) implements Command {}

  public record Refreshed() implements CborSerializable {}

  /**
   * What a node may use. Unlimited dimensions: {@code rate == null} (tokens not counted),
   * {@code maxConcurrent == null} (permits not counted).
   *
   * @param tokens tokens granted now (0 when the bucket is empty)
   * @param bucketRemaining whole tokens left in the shared bucket after this grant
   * @param retryAfterNanos with no tokens granted: time until the bucket has one again
   * @param resetNanos time until the shared bucket is full
   * @param permits permits this node now holds in total
   * @param budgetSeconds the monthly compute budget (null: none)
   */
  public record Grant(Double rate, Integer burst, Integer maxConcurrent, int tokens, long bucketRemaining,
      long retryAfterNanos, long resetNanos, int permits, Long budgetSeconds, boolean budgetExhausted)
      implements CborSerializable {}

  private record QuotaLoaded(Quota quota, String error, long generation) implements Command {}

  private record UsageLoaded(long micros) implements Command {}

  private record Holding(int permits, long renewedAt) {}

  public static void init(ActorSystem<?> system, Sources sources) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY,
        ctx -> create(TenantId.of(ctx.getEntityId()), sources, System::nanoTime)).withRole("control"));
  }

  public static Behavior<Command> create(TenantId tenant, Sources sources, LongSupplier clock) {
    return Behaviors.withStash(10_000, stash -> Behaviors.setup(ctx -> new QuotaEntity(ctx, stash, tenant, sources, clock)));
  }

  private final StashBuffer<Command> stash;
  private final TenantId tenant;
  private final Sources sources;
  private final LongSupplier clock;
  private final Map<String, Holding> holdings = new HashMap<>();
  private final java.util.List<ActorRef<Refreshed>> refreshWaiters = new java.util.ArrayList<>();
  private Quota quota;
  private long quotaReadAt;
  private boolean quotaLoading;
  /** Each read of the quota is numbered: only the newest one counts (an older one may predate a change). */
  private long loadGeneration;
  private TokenBucket bucket;
  private long computeMicros;
  private long usageReadAt;
  private boolean usageKnown;
  private boolean usageLoading;

  private QuotaEntity(ActorContext<Command> ctx, StashBuffer<Command> stash, TenantId tenant, Sources sources,
      LongSupplier clock) {
    super(ctx);
    this.stash = stash;
    this.tenant = tenant;
    this.sources = sources;
    this.clock = clock;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquire.class, this::onAcquire)
        .onMessage(Refresh.class, r -> {
          refreshWaiters.add(r.replyTo());
          quotaLoading = false; // a load begun before the change may read the old quota: read again
          loadQuota();
          return this;
        })
        .onMessage(QuotaLoaded.class, this::onQuotaLoaded)
        .onMessage(UsageLoaded.class, u -> {
          usageLoading = false;
          computeMicros = u.micros();
          usageReadAt = clock.getAsLong();
          usageKnown = true;
          return this;
        })
        .build();
  }

  private Behavior<Command> onAcquire(Acquire acquire) {
    long now = clock.getAsLong();
    if (quota == null) {
      // first contact: answer once the quota is known
      stash.stash(acquire);
      loadQuota();
      return this;
    }
    if (now - quotaReadAt >= QUOTA_TTL_NANOS) {
      loadQuota();
    }
    if (quota.monthlyComputeSeconds() != null && !usageLoading && (!usageKnown || now - usageReadAt >= BUDGET_TTL_NANOS)) {
      usageLoading = true;
      getContext().pipeToSelf(sources.computeMicrosThisMonth(tenant),
          (micros, failure) -> new UsageLoaded(failure == null ? micros : computeMicros));
    }
    acquire.replyTo().tell(grant(acquire, now));
    return this;
  }

  private Grant grant(Acquire acquire, long now) {
    int tokens = 0;
    long remaining = 0;
    long retryAfter = 0;
    long reset = 0;
    if (bucket != null) {
      tokens = bucket.take(acquire.wantTokens(), acquire.returnTokens(), now);
      remaining = (long) Math.floor(bucket.tokens(now));
      retryAfter = tokens == 0 ? bucket.nanosUntil(1, now) : 0;
      reset = bucket.nanosUntilFull(now);
    }
    int permits = 0;
    if (quota.maxConcurrentRequests() != null) {
      holdings.values().removeIf(h -> now - h.renewedAt() >= PERMIT_LEASE_NANOS);
      int heldByOthers = holdings.entrySet().stream()
          .filter(e -> !e.getKey().equals(acquire.node()))
          .mapToInt(e -> e.getValue().permits()).sum();
      permits = Math.max(0, Math.min(acquire.wantPermits(), quota.maxConcurrentRequests() - heldByOthers));
      if (permits > 0 || acquire.wantPermits() > 0) {
        holdings.put(acquire.node(), new Holding(permits, now));
      } else {
        holdings.remove(acquire.node());
      }
    }
    boolean exhausted = quota.monthlyComputeSeconds() != null
        && computeMicros / 1_000_000.0 >= quota.monthlyComputeSeconds(); // no overflow for huge budgets
    return new Grant(quota.requestsPerSecond(), burst(quota), quota.maxConcurrentRequests(), tokens, remaining,
        retryAfter, reset, permits, quota.monthlyComputeSeconds(), exhausted);
  }

  private void loadQuota() {
    if (quotaLoading) {
      return;
    }
    quotaLoading = true;
    long generation = ++loadGeneration;
    getContext().pipeToSelf(sources.quota(tenant), (q, failure) -> failure == null
        ? new QuotaLoaded(q, null, generation)
        : new QuotaLoaded(null, String.valueOf(failure.getMessage()), generation));
  }

  private Behavior<Command> onQuotaLoaded(QuotaLoaded loaded) {
    if (loaded.generation() != loadGeneration) {
      return this; // superseded by a read begun after a change
    }
    quotaLoading = false;
    long now = clock.getAsLong();
    if (loaded.quota() == null) {
      answerRefreshes();
      getContext().getLog().warn("could not read the quota of tenant {}: {}", tenant, loaded.error());
      if (quota == null) {
        // nodes asking now time out and decide on their own for a while; drop their requests
        stash.clear();
      }
      return this;
    }
    quota = loaded.quota();
    quotaReadAt = now;
    if (quota.requestsPerSecond() == null) {
      bucket = null;
    } else if (bucket == null) {
      bucket = new TokenBucket(quota.requestsPerSecond(), burst(quota), now);
    } else {
      bucket.reconfigure(quota.requestsPerSecond(), burst(quota), now);
    }
    answerRefreshes();
    return stash.unstashAll(this);
  }

  private void answerRefreshes() {
    refreshWaiters.forEach(w -> w.tell(new Refreshed()));
    refreshWaiters.clear();
  }

  /** The bucket depth: the burst, or one second's worth of the rate when no burst is set. */
  static int burst(Quota quota) {
    if (quota.requestsPerSecond() == null) {
      return 0;
    }
    return quota.burst() != null ? Math.max(1, quota.burst()) : (int) Math.max(1, Math.ceil(quota.requestsPerSecond()));
  }
}
