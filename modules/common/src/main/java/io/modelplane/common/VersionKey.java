package io.modelplane.common;

/** One version of a model: what a replica holds, a worker loads and a request is routed to. */
public record VersionKey(ModelKey model, int version) {

  public VersionKey {
    if (model == null) {
      throw new InvalidIdException("a version key needs its model");
    }
    if (version < 1) {
      throw new InvalidIdException("version numbers start at 1: " + version);
    }
  }

  public TenantId tenant() {
    return model.tenant();
  }

  /** For logs and metric labels only; never parsed back. */
  @Override
  public String toString() {
    return model.entityId() + ":" + version;
  }
}
