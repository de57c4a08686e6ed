package io.modelplane.inference.runtime;

import io.modelplane.common.ModelKey;
import io.modelplane.common.VersionKey;

/** Version keys of the tenant {@code acme} for the runtime tests. */
final class TestKeys {
  private TestKeys() {}

  static VersionKey key(String model, int version) {
    return new VersionKey(ModelKey.of("acme", model), version);
  }
}
