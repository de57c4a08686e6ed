package io.modelplane.app;

import com.typesafe.config.Config;
import io.modelplane.registry.ArtifactStoreSettings;

/** {@code modelplane.artifacts} as the node reads it: a setting the store cannot work with stops the start. */
final class NodeArtifacts {
  private NodeArtifacts() {}

  static ArtifactStoreSettings settings(Config config) {
    try {
      return ArtifactStoreSettings.fromConfig(config);
    } catch (IllegalArgumentException e) {
      throw new RefusedSettingException(e.getMessage());
    }
  }
}
