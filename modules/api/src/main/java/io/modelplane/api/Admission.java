package io.modelplane.api;

import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import io.modelplane.common.TenantId;
import io.modelplane.tenancy.admission.AdmissionLeases;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Predict admission in HTTP terms: the tenant's cluster-wide limits ({@link AdmissionLeases}) as
 * a ticket with the RateLimit headers, or a 429 saying which limit, with Retry-After.
 */
final class Admission {

  /** An admitted request: its rate-limit headers, and the slot to give back when it is answered. */
  record Ticket(List<HttpHeader> headers, Runnable release) {}

  private final AdmissionLeases leases;

  Admission(AdmissionLeases leases) {
    this.leases = leases;
  }

  /** Admits the request or fails with a 429 ApiError saying which limit, with its headers. */
  CompletionStage<Ticket> admit(TenantId tenant) {
    return leases.admit(tenant).thenApply(verdict -> {
      List<HttpHeader> headers = headers(verdict.limits());
      if (verdict instanceof AdmissionLeases.Refused refused) {
        throw new ApiError(StatusCodes.TOO_MANY_REQUESTS, refused.reason().code(), refused.message(),
            (int) Math.min(Integer.MAX_VALUE, seconds(refused.retryAfterNanos())), headers);
      }
      return new Ticket(headers, ((AdmissionLeases.Admitted) verdict).release());
    });
  }

  private static List<HttpHeader> headers(AdmissionLeases.Limits limits) {
    if (limits.limit() == null) {
      return List.of();
    }
    return List.of(
        RawHeader.create("RateLimit-Limit", String.valueOf((long) Math.ceil(limits.limit()))),
        RawHeader.create("RateLimit-Remaining", String.valueOf(limits.remaining())),
        RawHeader.create("RateLimit-Reset", String.valueOf(seconds(limits.resetNanos()))));
  }

  private static long seconds(long nanos) {
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }
}
