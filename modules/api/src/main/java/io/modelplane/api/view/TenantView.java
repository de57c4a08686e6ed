package io.modelplane.api.view;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.modelplane.tenancy.TenantEntity;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A tenant as the API shows it. {@code quota} is its effective quota: its plan's, each limit in
 * {@code quotaOverrides} replaced (a null value there: unlimited). {@code identity} only in Keycloak mode;
 * {@code workerPool} only when the tenant has a dedicated pool.
 */
public record TenantView(String id, String displayName, String status, QuotaView quota,
    Instant createdAt, Instant updatedAt, List<String> models,
    @JsonInclude(JsonInclude.Include.NON_NULL) IdentityView identity,
    @JsonInclude(JsonInclude.Include.NON_NULL) String workerPool,
    String plan, Map<String, Object> quotaOverrides) {

  /** {@code keycloak}: whether the node provisions tenants in Keycloak (then the identity is shown). */
  public static TenantView from(TenantEntity.Summary s, boolean keycloak) {
    return new TenantView(s.id(), s.displayName(), s.status().wireName(), QuotaView.from(s.quota()), s.createdAt(),
        s.updatedAt(), List.copyOf(s.models()), keycloak ? IdentityView.from(s.identity()) : null, s.workerPool(),
        s.plan(), s.quotaOverrides().asMap());
  }

  /** In Keycloak mode: whether the tenant's Keycloak resources are in place yet. */
  public record IdentityView(String state, String organizationId) {
    public static IdentityView from(TenantEntity.Identity identity) {
      return identity == null ? new IdentityView("provisioning", null) : new IdentityView("provisioned", identity.organizationId());
    }
  }
}
