package io.modelplane.api;

import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import io.modelplane.common.Quota;
import io.modelplane.common.TenantId;
import io.modelplane.tenancy.admission.ConcurrencyLimit;
import io.modelplane.tenancy.admission.TokenBucket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Admission on the predict path, per tenant and per gateway node: the quota's token bucket
 * (requestsPerSecond, burst) and concurrency limit. The quota is re-read from the tenant entity at
 * most once a second, so a PATCH is in force within a second. Node-local: with N gateway nodes a
 * tenant can get up to N times its limits (cluster-wide leases are the next step).
 */
final class Admission {
  private static final long QUOTA_TTL_NANOS = 1_000_000_000L;

  /** An admitted request: its rate-limit headers, and the slot to give back when it is answered. */
  record Ticket(List<HttpHeader> headers, Runnable release) {}

  private static final class TenantLimits {
    final Quota quota;
    final long readAtNanos;
    final TokenBucket bucket;
    final ConcurrencyLimit concurrency;

    TenantLimits(Quota quota, long readAtNanos, TenantLimits previous) {
      this.quota = quota;
      this.readAtNanos = readAtNanos;
      // keep the earned tokens and the in-flight count across a quota refresh
      this.bucket = quota.requestsPerSecond() == null ? null
          : previous != null && previous.bucket != null ? previous.bucket : new TokenBucket(
              quota.requestsPerSecond(), burst(quota), readAtNanos);
      if (bucket != null) {
        bucket.reconfigure(quota.requestsPerSecond(), burst(quota), readAtNanos);
      }
      this.concurrency = quota.maxConcurrentRequests() == null ? null
          : previous != null && previous.concurrency != null ? previous.concurrency
          : new ConcurrencyLimit(quota.maxConcurrentRequests());
      if (concurrency != null) {
        concurrency.reconfigure(quota.maxConcurrentRequests());
      }
    }

    private static double burst(Quota quota) {
      return quota.burst() == null ? quota.requestsPerSecond() : quota.burst();
    }
  }

  private final ControlPlane controlPlane;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<TenantId, TenantLimits> limits = new ConcurrentHashMap<>();

  Admission(ControlPlane controlPlane) {
    this(controlPlane, System::nanoTime);
  }

  Admission(ControlPlane controlPlane, LongSupplier nanoClock) {
    this.controlPlane = controlPlane;
    this.nanoClock = nanoClock;
  }

  /** Admits the request or fails with a 429 ApiError saying which limit, with its headers. */
  CompletionStage<Ticket> admit(TenantId tenant) {
    long now = nanoClock.getAsLong();
    TenantLimits current = limits.get(tenant);
    if (current != null && now - current.readAtNanos < QUOTA_TTL_NANOS) {
      return CompletableFuture.completedFuture(decide(current, now));
    }
    CompletableFuture<Ticket> ticket = new CompletableFuture<>();
    controlPlane.tenantSummary(tenant).whenComplete((summary, failure) -> {
      if (failure != null) {
        ticket.completeExceptionally(failure);
        return;
      }
      TenantLimits fresh = limits.compute(tenant, (t, previous) -> new TenantLimits(summary.quota(), now, previous));
      try {
        ticket.complete(decide(fresh, nanoClock.getAsLong()));
      } catch (ApiError refused) {
        ticket.completeExceptionally(refused);
      }
    });
    return ticket;
  }

  private static Ticket decide(TenantLimits limits, long now) {
    List<HttpHeader> headers = new ArrayList<>(3);
    if (limits.bucket != null) {
      TokenBucket.Decision d = limits.bucket.tryAcquire(now);
      String limit = String.valueOf((long) Math.ceil(limits.quota.requestsPerSecond()));
      headers.add(RawHeader.create("RateLimit-Limit", limit));
      headers.add(RawHeader.create("RateLimit-Remaining", String.valueOf(d.remaining())));
      headers.add(RawHeader.create("RateLimit-Reset", String.valueOf(seconds(d.resetNanos()))));
      if (!d.admitted()) {
        throw refused("rate_limited", "the tenant's request rate of " + limit + "/s (with its burst) is used up",
            seconds(d.retryAfterNanos()), headers);
      }
    }
    if (limits.concurrency != null) {
      if (!limits.concurrency.tryAcquire()) {
        throw refused("concurrency_limited", "the tenant already has " + limits.concurrency.limit()
            + " requests in flight", 1, headers);
      }
      ConcurrencyLimit slot = limits.concurrency;
      return new Ticket(headers, slot::release);
    }
    return new Ticket(headers, () -> { });
  }

  private static long seconds(long nanos) {
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  private static ApiError refused(String code, String message, long retryAfterSeconds, List<HttpHeader> headers) {
    return new ApiError(StatusCodes.TOO_MANY_REQUESTS, code, message, (int) retryAfterSeconds, headers);
  }
}
