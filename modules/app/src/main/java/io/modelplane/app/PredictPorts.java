package io.modelplane.app;

import io.modelplane.api.predict.PredictErrors;
import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import io.modelplane.control.ControlPlane;
import io.modelplane.inference.gateway.Admission;
import io.modelplane.inference.gateway.ModelCatalog;
import io.modelplane.inference.gateway.UsageRecorder;
import io.modelplane.metering.UsageMeter;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.admission.AdmissionLeases;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

/** The predict pipeline's ports over tenancy's admission leases, metering's meter and the control plane. */
final class PredictPorts {
  private PredictPorts() {}

  static Admission admission(AdmissionLeases leases) {
    return tenant -> leases.admit(tenant).thenApply(verdict -> {
      Admission.RateLimit limits = rateLimit(verdict.limits());
      if (verdict instanceof AdmissionLeases.Refused refused) {
        Admission.Reason reason = switch (refused.reason()) {
          case RATE_LIMITED -> Admission.Reason.RATE_LIMITED;
          case CONCURRENCY_LIMITED -> Admission.Reason.CONCURRENCY_LIMITED;
          case BUDGET_EXHAUSTED -> Admission.Reason.BUDGET_EXHAUSTED;
        };
        return new Admission.Refusal(reason, refused.message(), refused.retryAfterNanos(), limits);
      }
      return new Admission.Permit(limits, ((AdmissionLeases.Admitted) verdict).release());
    });
  }

  private static Admission.RateLimit rateLimit(AdmissionLeases.Limits limits) {
    return limits.limit() == null ? null : new Admission.RateLimit(limits.limit(), limits.remaining(), limits.resetNanos());
  }

  /** Metered by the HTTP status the call was answered with, as the usage API reports it, with its latency. */
  static UsageRecorder usage(UsageMeter meter) {
    return usage -> meter.record(usage.caller().tenant().value(),
        usage.model() == null ? "" : usage.model().model().value(),
        usage.version() == null ? "" : String.valueOf(usage.version()),
        usage.failure() == null ? 200 : PredictErrors.status(usage.failure()),
        usage.items(), usage.computeMicros(), usage.latencyMicros());
  }

  static ModelCatalog catalog(ControlPlane controlPlane) {
    return model -> controlPlane.readModel(model, ModelEntity.Get::new, ModelEntity.Summary.class)
        .<Optional<ModelCatalog.Entry>>thenApply(summary -> Optional.of(new ModelCatalog.Entry(
            summary.versions().stream().filter(v -> !v.archived()).map(ModelEntity.VersionInfo::version)
                .collect(Collectors.toSet()),
            summary.deployment() == null ? Set.of() : summary.deployment().spec().traffic().keySet())))
        .exceptionally(failure -> {
          if (Rejected.unwrap(failure) instanceof Rejected r && r.rejection().reason() == Rejection.Reason.NOT_FOUND) {
            return Optional.empty();
          }
          throw new CompletionException(Rejected.unwrap(failure));
        });
  }
}
