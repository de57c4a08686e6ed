package io.modelplane.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelplane.api.view.QuotaView;
import io.modelplane.common.Quota;

/**
 * A quota as a request names it: each limit named replaces the base's (an explicit null means
 * unlimited), each limit not named keeps the base's value. The base is the default plan when a
 * tenant is created and the tenant's current quota when it is patched.
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
}
