package io.modelplane.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.api.view.QuotaView;
import io.modelplane.common.Quota;
import io.modelplane.common.QuotaOverrides;

/**
 * A quota as a request names it: each limit named replaces the base's (an explicit null means
 * unlimited), each limit not named keeps the base's value. For a tenant, the limits named are overrides of its
 * plan's; for a plan, they overlay the default quota (created) or its current one (patched).
 */
final class QuotaRequest {
  private QuotaRequest() {}

  /** {@code named} absent or JSON null: the base as it is; not an object: 400 {@code invalid_quota}. */
  static Quota over(Quota base, JsonNode named) {
    if (named == null || named.isNull()) {
      return base;
    }
    if (!named.isObject()) {
      throw ApiError.badRequest("invalid_quota", "quota must be an object");
    }
    ObjectNode merged = Json.MAPPER.valueToTree(QuotaView.from(base));
    merged.setAll((ObjectNode) named);
    return Json.bind(merged, QuotaView.class).toQuota();
  }

  /**
   * The limits a tenant's request names, as overrides of its plan's (an explicit null: unlimited); absent or
   * JSON null: none; not an object: 400 {@code invalid_quota}.
   */
  static QuotaOverrides overrides(JsonNode named) {
    if (named == null || named.isNull()) {
      return QuotaOverrides.none();
    }
    Quota values = over(Quota.unlimited(), named);
    java.util.Set<String> limits = new java.util.HashSet<>();
    named.fieldNames().forEachRemaining(limits::add);
    return QuotaOverrides.of(values, limits);
  }
}
