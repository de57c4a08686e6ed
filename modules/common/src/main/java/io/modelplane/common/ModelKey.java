package io.modelplane.common;

/** A model's identity across the platform: the tenant and the model name. Entity id form: {@code tenant/model}. */
public record ModelKey(TenantId tenant, ModelId model) {

  public static ModelKey of(String tenant, String model) {
    return new ModelKey(TenantId.of(tenant), ModelId.of(model));
  }

  /** Parses the entity id form {@code tenant/model}. */
  public static ModelKey parse(String entityId) {
    int slash = entityId.indexOf('/');
    if (slash < 0) {
      throw new InvalidIdException("model key must be tenant/model: " + entityId);
    }
    return of(entityId.substring(0, slash), entityId.substring(slash + 1));
  }

  public String entityId() {
    return tenant.value() + "/" + model.value();
  }

  @Override
  public String toString() {
    return entityId();
  }
}
