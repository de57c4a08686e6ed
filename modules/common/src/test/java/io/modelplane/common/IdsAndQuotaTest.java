package io.modelplane.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdsAndQuotaTest {

  @Test
  void tenantIdsFollowApiMdRules() {
    assertThat(TenantId.isValid("acme")).isTrue();
    assertThat(TenantId.isValid("a-1")).isTrue();
    assertThat(TenantId.isValid("x".repeat(40))).isTrue();
    assertThat(TenantId.isValid("ab")).isFalse();
    assertThat(TenantId.isValid("x".repeat(41))).isFalse();
    assertThat(TenantId.isValid("Acme")).isFalse();
    assertThat(TenantId.isValid("ac_me")).isFalse();
    assertThat(TenantId.isValid("ac/me")).isFalse();
    assertThat(TenantId.isValid(null)).isFalse();
    assertThatThrownBy(() -> TenantId.of("A")).isInstanceOf(InvalidIdException.class);
  }

  @Test
  void modelNamesAndKeys() {
    assertThat(ModelId.isValid("digits")).isTrue();
    assertThat(ModelId.isValid("resnet-18_v2.final")).isTrue();
    assertThat(ModelId.isValid("-lead")).isFalse();
    assertThat(ModelId.isValid("has space")).isFalse();
    assertThat(ModelId.isValid("a".repeat(64))).isFalse();
    ModelKey key = ModelKey.parse("acme/digits");
    assertThat(key).isEqualTo(ModelKey.of("acme", "digits"));
    assertThat(key.entityId()).isEqualTo("acme/digits");
    assertThatThrownBy(() -> ModelKey.parse("acme")).isInstanceOf(InvalidIdException.class);
    assertThatThrownBy(() -> ModelKey.parse("acme/../x")).isInstanceOf(InvalidIdException.class);
  }

  @Test
  void rolesByWireName() {
    assertThat(Role.fromWire("tenant-admin")).contains(Role.TENANT_ADMIN);
    assertThat(Role.fromWire("admin")).isEmpty();
    assertThat(Role.OPERATOR.isTenantRole()).isFalse();
    assertThat(Role.PREDICTOR.isTenantRole()).isTrue();
  }

  @Test
  void quotaViolations() {
    assertThat(Quota.defaults().violation()).isNull();
    assertThat(Quota.unlimited().violation()).isNull();
    assertThat(new Quota(0.0, null, null, null, null, null, null).violation()).contains("requestsPerSecond");
    assertThat(new Quota(Double.NaN, null, null, null, null, null, null).violation()).contains("requestsPerSecond");
    assertThat(new Quota(null, -1, null, null, null, null, null).violation()).contains("burst");
    assertThat(new Quota(null, null, 0, null, null, null, null).violation()).contains("maxConcurrentRequests");
    assertThat(new Quota(null, null, null, -1, null, null, null).violation()).contains("maxModels");
    assertThat(new Quota(null, null, null, null, 0, null, null).violation()).contains("maxVersionsPerModel");
    assertThat(new Quota(null, null, null, null, null, -5L, null).violation()).contains("maxResidentBytes");
    assertThat(new Quota(null, null, null, null, null, null, -1L).violation()).contains("monthlyComputeSeconds");
  }

  @Test
  void tensorSpecs() {
    assertThat(new TensorSpec("input", "FP32", List.of(-1L, 64L)).violation()).isNull();
    assertThat(new TensorSpec("", "FP32", List.of(1L)).violation()).contains("name");
    assertThat(new TensorSpec("x", "FLOAT", List.of(1L)).violation()).contains("datatype");
    assertThat(new TensorSpec("x", "FP32", List.of()).violation()).contains("shape");
    assertThat(new TensorSpec("x", "FP32", List.of(0L)).violation()).contains("positive or -1");
    assertThat(new TensorSpec("x", "FP32", List.of(-2L)).violation()).contains("positive or -1");
  }
}
