package io.modelplane.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.modelplane.common.ModelKey;
import io.modelplane.common.Quota;
import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import io.modelplane.common.TenantId;
import io.modelplane.common.TensorSpec;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Steps the control services' tests share: creating tenants and versions through a {@link ControlPlane}. */
final class ControlFixtures {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final List<TensorSpec> INPUTS = List.of(new TensorSpec("pixels", "FP32", List.of(-1L, 64L)));
  static final List<TensorSpec> OUTPUTS = List.of(new TensorSpec("logits", "FP32", List.of(-1L, 10L)));

  private ControlFixtures() {}

  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("did not complete: " + Rejected.unwrap(e), Rejected.unwrap(e));
    }
  }

  /** The failure {@code stage} completes with, unwrapped. */
  static Throwable failure(CompletionStage<?> stage) {
    Throwable thrown = catchThrowable(() -> stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    assertThat(thrown).as("a failure").isNotNull();
    return Rejected.unwrap(thrown);
  }

  /** The refusal {@code stage} fails with, checked to carry {@code reason}. */
  static Rejection refusal(CompletionStage<?> stage, Rejection.Reason reason) {
    Throwable thrown = failure(stage);
    assertThat(thrown).isInstanceOf(Rejected.class);
    Rejection rejection = ((Rejected) thrown).rejection();
    assertThat(rejection.reason()).isEqualTo(reason);
    return rejection;
  }

  static TenantEntity.Summary createTenant(ControlPlane controlPlane, String id, Quota quota) {
    return await(controlPlane.tenant(TenantId.of(id), r -> new TenantEntity.Create(id, quota, "operator", r),
        TenantEntity.Summary.class));
  }

  static ModelEntity.VersionInfo registerVersion(ControlPlane controlPlane, ModelKey key, String sha256) {
    return await(controlPlane.model(key, r -> new ModelEntity.RegisterVersion(sha256, 10L, "torchscript", INPUTS,
        OUTPUTS, null, null, "alice", r), ModelEntity.VersionAdded.class)).version();
  }
}
