package io.modelplane.inference.gateway;

import io.modelplane.common.TenantId;
import java.util.concurrent.CompletionStage;

/** The port through which the pipeline admits a tenant's predict call against its quota. */
public interface Admission {

  /** Admits a call of {@code tenant}: a {@link Permit} to release once answered, or a {@link Refusal}. */
  CompletionStage<Decision> admit(TenantId tenant);

  /** Which limit refused the call. */
  enum Reason { RATE_LIMITED, CONCURRENCY_LIMITED, BUDGET_EXHAUSTED }

  /** What the rate-limit headers tell: the limit, what remains of it, time until it is whole again. */
  record RateLimit(double limit, long remaining, long resetNanos) {}

  /** {@code rateLimit}: null when the tenant is unlimited. */
  sealed interface Decision permits Permit, Refusal {
    RateLimit rateLimit();
  }

  /** Admitted: {@code release} must run once, when the call is answered. */
  record Permit(RateLimit rateLimit, Runnable release) implements Decision {}

  record Refusal(Reason reason, String message, long retryAfterNanos, RateLimit rateLimit) implements Decision {}
}
