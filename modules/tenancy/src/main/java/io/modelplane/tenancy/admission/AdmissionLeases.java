package io.modelplane.tenancy.admission;

import akka.actor.typed.ActorRef;
import io.modelplane.common.TenantId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway node's side of predict admission: per tenant, a small lease of tokens and permits from
 * the tenant's {@link QuotaEntity}, spent locally so the common case decides without a network
 * hop. A lease is topped up before it runs dry, re-read twice a second (so quota changes show
 * within a second), and handed back when the tenant goes quiet. When the quota entity cannot be
 * reached (e.g. while it moves after a node crash) the node decides alone from the last limits it
 * saw, each node enforcing the whole quota, until the entity answers again. Those limits outlive
 * a lease given back for {@link #REMEMBER_NANOS}, so a tenant that comes back during an outage is
 * not refused for want of them; {@link #invalidate} forgets them.
 */
public final class AdmissionLeases {
  private static final Logger log = LoggerFactory.getLogger(AdmissionLeases.class);

  /** A lease older than this is re-read from the entity. */
  static final long STALE_NANOS = 500_000_000L;
  /** A tenant with no request for this long gives its lease back. */
  static final long IDLE_NANOS = 2_000_000_000L;
  /** After a failed exchange with the entity, decide alone for this long before trying again. */
  static final long DEGRADED_NANOS = 2_000_000_000L;
  /** The last limits the entity granted for a tenant may stand in for it this long after they were granted. */
  static final long REMEMBER_NANOS = 60_000_000_000L;
  /** Tokens are leased in chunks of this much time at the tenant's rate. */
  static final double CHUNK_SECONDS = 0.05;
  /** With no permit to spare cluster-wide, refuse locally for this long before asking again. */
  static final long PERMITS_EMPTY_NANOS = 20_000_000L;

  /** Sends a lease request to the tenant's quota entity. */
  public interface Transport {
    CompletionStage<QuotaEntity.Grant> ask(TenantId tenant, Function<ActorRef<QuotaEntity.Grant>, QuotaEntity.Acquire> request);
  }

  public enum Refusal {
    RATE_LIMITED("rate_limited"), CONCURRENCY_LIMITED("concurrency_limited"), BUDGET_EXHAUSTED("budget_exhausted");

    private final String code;

    Refusal(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  /**
   * What the RateLimit response headers tell: the request rate, its remaining tokens and time to a
   * full bucket; for a budget refusal the monthly compute seconds, none left, time to the next
   * month. {@code limit == null}: nothing to tell (unlimited).
   */
  public record Limits(Double limit, long remaining, long resetNanos) {}

  private record Waiter(CompletableFuture<Verdict> future, int rounds) {}

  private record Known(QuotaEntity.Grant grant, long grantedAt) {}

  /** Exchanges one request may wait for before the lease decides with what it has. */
  static final int MAX_ROUNDS = 3;

  public sealed interface Verdict permits Admitted, Refused {
    Limits limits();
  }

  /** Admitted: {@code release} must run once when the request is answered. */
  public record Admitted(Limits limits, Runnable release) implements Verdict {}

  public record Refused(Refusal reason, long retryAfterNanos, Limits limits, String message) implements Verdict {}

  private final String node;
  private final Transport transport;
  private final LongSupplier clock;
  private final ConcurrentHashMap<TenantId, Lease> leases = new ConcurrentHashMap<>();
  /** The last grant per tenant, kept past its lease: the limits to decide alone by when the entity is out of reach. */
  private final ConcurrentHashMap<TenantId, Known> lastKnown = new ConcurrentHashMap<>();
  // a grant asked for before an invalidation must not be remembered as the latest limits
  private final java.util.concurrent.atomic.AtomicLong invalidations = new java.util.concurrent.atomic.AtomicLong();

  public AdmissionLeases(String node, Transport transport, LongSupplier clock) {
    this.node = node;
    this.transport = transport;
    this.clock = clock;
  }

  /** Decides locally when the lease allows; otherwise after one exchange with the quota entity. */
  public CompletionStage<Verdict> admit(TenantId tenant) {
    while (true) {
      Lease lease = leases.computeIfAbsent(tenant, Lease::new);
      CompletionStage<Verdict> verdict = lease.admit(true);
      if (verdict != null) {
        return verdict;
      }
      // the lease was closed under us: take a fresh one
      leases.remove(tenant, lease);
    }
  }

  /** Forgets what this node knows of the tenant's limits: the next request reads them afresh. */
  public void invalidate(TenantId tenant) {
    invalidations.incrementAndGet();
    lastKnown.remove(tenant);
    Lease lease = leases.get(tenant);
    if (lease != null) {
      lease.expire();
    }
  }

  /** Periodic upkeep (every ~250 ms): renews permits, re-reads stale leases, returns idle ones. */
  public void tick() {
    long now = clock.getAsLong();
    lastKnown.values().removeIf(known -> now - known.grantedAt() >= REMEMBER_NANOS);
    leases.forEach((tenant, lease) -> {
      if (lease.closeIfIdle(now)) {
        leases.remove(tenant, lease);
      } else {
        lease.maintain(now);
      }
    });
  }

  /** Leases held now (for tests and metrics). */
  int size() {
    return leases.size();
  }

  private final class Lease {
    private final TenantId tenant;
    private QuotaEntity.Grant grant;
    private long grantedAt;
    private int tokens;
    /** Tokens taken out of use (the limits changed) and owed back to the entity. */
    private int owed;
    private long emptyUntil;
    private int permits;
    private int inFlight;
    private long permitsEmptyUntil;
    private long lastUsed;
    private boolean exchanging;
    private boolean closed;
    private long degradedUntil;
    private TokenBucket fallback;
    /** Requests waiting for an exchange, with how many exchanges each has waited for. */
    private final List<Waiter> waiting = new ArrayList<>();

    Lease(TenantId tenant) {
      this.tenant = tenant;
      this.lastUsed = clock.getAsLong();
    }

    /** The verdict, or null when this lease was closed and the caller must take a new one. */
    CompletionStage<Verdict> admit(boolean mayWait) {
      CompletableFuture<Verdict> wait;
      synchronized (this) {
        if (closed) {
          return null;
        }
        long now = clock.getAsLong();
        lastUsed = now;
        if (grant != null && now < degradedUntil) {
          return CompletableFuture.completedFuture(decideAlone(now));
        }
        Verdict verdict = grant == null ? null : decide(now, mayWait);
        if (verdict != null) {
          if (tokensLow() && !exchanging) {
            exchange();
          }
          return CompletableFuture.completedFuture(verdict);
        }
        wait = new CompletableFuture<>();
        waiting.add(new Waiter(wait, 1));
        if (!exchanging) {
          exchange();
        }
      }
      return wait;
    }

    /** Locally, or null when only the entity can tell (no tokens or permits left here). */
    private Verdict decide(long now, boolean mayWait) {
      Limits limits = limits();
      if (grant.budgetExhausted()) {
        long untilNextMonth = untilNextMonth();
        return new Refused(Refusal.BUDGET_EXHAUSTED, untilNextMonth,
            new Limits(grant.budgetSeconds().doubleValue(), 0, untilNextMonth),
            "the tenant's monthly compute budget of " + grant.budgetSeconds() + " s is used up");
      }
      boolean tookToken = false;
      if (grant.rate() != null) {
        if (tokens > 0) {
          tokens--;
          tookToken = true;
        } else if (now < emptyUntil || !mayWait) {
          return rateLimited(Math.max(emptyUntil - now, 1_000_000L));
        } else {
          return null;
        }
      }
      if (grant.maxConcurrent() != null) {
        if (inFlight >= permits) {
          if (tookToken) {
            tokens++;
          }
          if (now < permitsEmptyUntil || !mayWait) {
            return concurrencyLimited();
          }
          return null;
        }
        inFlight++;
        return new Admitted(limits(), this::release);
      }
      return new Admitted(limits(), () -> { });
    }

    /** The entity is out of reach: each node enforces the last known quota on its own. */
    private Verdict decideAlone(long now) {
      if (grant.budgetExhausted()) {
        return decide(now, false);
      }
      if (grant.rate() != null) {
        if (fallback == null) {
          fallback = new TokenBucket(grant.rate(), grant.burst(), now);
        }
        TokenBucket.Decision d = fallback.tryAcquire(now);
        if (!d.admitted()) {
          return rateLimited(d.retryAfterNanos());
        }
      }
      if (grant.maxConcurrent() != null) {
        if (inFlight >= grant.maxConcurrent()) {
          return concurrencyLimited();
        }
        inFlight++;
        return new Admitted(limits(), this::release);
      }
      return new Admitted(limits(), () -> { });
    }

    private Refused rateLimited(long retryAfterNanos) {
      return new Refused(Refusal.RATE_LIMITED, retryAfterNanos, limits(), "the tenant's request rate of "
          + formatRate(grant.rate()) + "/s (with its burst of " + grant.burst() + ") is used up");
    }

    private Refused concurrencyLimited() {
      return new Refused(Refusal.CONCURRENCY_LIMITED, 1_000_000_000L, limits(),
          "the tenant already has " + grant.maxConcurrent() + " requests in flight");
    }

    private synchronized void release() {
      inFlight--;
    }

    private Limits limits() {
      return new Limits(grant.rate(), grant.rate() == null ? 0 : grant.bucketRemaining() + tokens, grant.resetNanos());
    }

    private boolean tokensLow() {
      return grant.rate() != null && tokens <= chunk(grant) / 2;
    }

    /**
     * Sends one lease request (caller holds the lock): a chunk of tokens and of permits, plus one of
     * each per waiting request, and the tokens owed back.
     */
    private void exchange() {
      exchanging = true;
      int waiters = waiting.size();
      int wantTokens = grant == null ? 1 + waiters : grant.rate() != null ? chunk(grant) + waiters : 0;
      int returnTokens = owed;
      owed = 0;
      int wantPermits = grant == null ? inFlight + 1 + waiters
          : grant.maxConcurrent() != null ? inFlight + permitChunk(grant) + waiters : 0;
      long sentAt = clock.getAsLong();
      long epoch = invalidations.get();
      transport.ask(tenant, replyTo -> new QuotaEntity.Acquire(node, wantTokens, returnTokens, wantPermits, replyTo))
          .whenComplete((granted, failure) -> received(granted, failure, wantTokens, sentAt, epoch));
    }

    private void received(QuotaEntity.Grant granted, Throwable failure, int wantedTokens, long sentAt, long epoch) {
      List<Map.Entry<CompletableFuture<Verdict>, Verdict>> decided = new ArrayList<>();
      List<CompletableFuture<Verdict>> failed = new ArrayList<>();
      synchronized (this) {
        exchanging = false;
        long now = clock.getAsLong();
        if (failure != null) {
          log.warn("quota of tenant {} out of reach, deciding locally for {} ms: {}", tenant,
              DEGRADED_NANOS / 1_000_000, failure.toString());
          degradedUntil = now + DEGRADED_NANOS;
          Known known = grant == null ? lastKnown.get(tenant) : null;
          if (known != null && now - known.grantedAt() < REMEMBER_NANOS) {
            // a new lease (the tenant was quiet, or this node is new to it): the limits seen last
            grant = known.grant();
            grantedAt = known.grantedAt();
          }
        } else {
          if (closed) {
            // came back after the lease was given up: hand the tokens straight back
            giveBack(granted.tokens(), 0);
            return;
          }
          boolean limitsChanged = grant != null && (!java.util.Objects.equals(grant.rate(), granted.rate())
              || !java.util.Objects.equals(grant.burst(), granted.burst()));
          grant = granted;
          grantedAt = sentAt;
          if (invalidations.get() == epoch) {
            Known known = new Known(granted, sentAt);
            lastKnown.put(tenant, known);
            if (invalidations.get() != epoch) {
              lastKnown.remove(tenant, known); // invalidated meanwhile
            }
          }
          degradedUntil = 0;
          fallback = null;
          tokens += granted.tokens();
          if (limitsChanged && granted.rate() != null) {
            // tokens leased under the old limits: keep no more than one chunk of the new ones
            int keep = Math.min(tokens, chunk(granted));
            owed += tokens - keep;
            tokens = keep;
          }
          if (granted.rate() != null && granted.tokens() == 0 && wantedTokens > 0) {
            // counted from the request: a reply that arrives late must not stretch the wait
            emptyUntil = sentAt + Math.max(granted.retryAfterNanos(), 1_000_000L);
          }
          if (granted.maxConcurrent() != null && granted.permits() <= inFlight) {
            permitsEmptyUntil = now + PERMITS_EMPTY_NANOS;
          }
          permits = granted.permits();
        }
        List<Waiter> again = new ArrayList<>(waiting);
        waiting.clear();
        for (Waiter w : again) {
          if (grant == null) {
            failed.add(w.future());
            continue;
          }
          // a waiter may wait for a few exchanges (the bucket may hold less than all of them want);
          // an empty bucket or no free permit refuses at once (the "empty until" windows)
          Verdict v = now < degradedUntil ? decideAlone(now) : decide(now, w.rounds() < MAX_ROUNDS);
          if (v != null) {
            decided.add(Map.entry(w.future(), v));
          } else {
            waiting.add(new Waiter(w.future(), w.rounds() + 1));
          }
        }
        if (!waiting.isEmpty() && !exchanging) {
          exchange();
        }
      }
      failed.forEach(f -> f.completeExceptionally(failure));
      decided.forEach(d -> d.getKey().complete(d.getValue()));
    }

    synchronized void maintain(long now) {
      if (closed || exchanging || grant == null || now < degradedUntil) {
        return;
      }
      boolean stale = now - grantedAt >= STALE_NANOS;
      boolean holdsPermits = grant.maxConcurrent() != null && permits > 0;
      if (stale || holdsPermits || tokensLow()) {
        exchange();
      }
    }

    synchronized void expire() {
      // tokens leased under the old limits are not spent: they go back with the next exchange
      owed += tokens;
      tokens = 0;
      grantedAt = Long.MIN_VALUE / 2;
      emptyUntil = 0;
      permitsEmptyUntil = 0;
      degradedUntil = 0;
    }

    synchronized boolean closeIfIdle(long now) {
      if (inFlight > 0 || !waiting.isEmpty() || exchanging || now - lastUsed < IDLE_NANOS) {
        return false;
      }
      closed = true;
      if (grant != null && (tokens + owed > 0 || permits > 0)) {
        giveBack(tokens + owed, 0);
      }
      return true;
    }

    private void giveBack(int returnTokens, int keepPermits) {
      transport.ask(tenant, replyTo -> new QuotaEntity.Acquire(node, 0, returnTokens, keepPermits, replyTo));
    }
  }

  static int chunk(QuotaEntity.Grant grant) {
    return (int) Math.max(1, Math.min(grant.burst(), Math.ceil(grant.rate() * CHUNK_SECONDS)));
  }

  static int permitChunk(QuotaEntity.Grant grant) {
    return Math.max(1, grant.maxConcurrent() / 8);
  }

  private static String formatRate(double rate) {
    return rate == Math.rint(rate) ? String.valueOf((long) rate) : String.valueOf(rate);
  }

  private long untilNextMonth() {
    java.time.ZonedDateTime now = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC);
    java.time.ZonedDateTime next = now.withDayOfMonth(1).toLocalDate().plusMonths(1).atStartOfDay(java.time.ZoneOffset.UTC);
    return java.time.Duration.between(now, next).toNanos();
  }
}
