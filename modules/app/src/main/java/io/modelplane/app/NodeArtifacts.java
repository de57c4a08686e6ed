package io.modelplane.app;

import com.typesafe.config.Config;
import io.modelplane.api.DiskGuard;
import io.modelplane.registry.ArtifactStoreSettings;
import java.nio.file.Path;

/** {@code modelplane.artifacts} as the node reads it: a setting the store cannot work with stops the start. */
final class NodeArtifacts {
  private NodeArtifacts() {}

  /** The guard of the disk uploads are written to, with {@code modelplane.disk-min-free}. */
  static DiskGuard uploadDisk(Config config, Path dataDir) {
    try {
      return new DiskGuard(settings(config).uploadDir(dataDir),
          DiskGuard.MinFree.parse(config.getString("modelplane.disk-min-free")));
    } catch (IllegalArgumentException e) {
      throw new RefusedSettingException(e.getMessage());
    }
  }

  static ArtifactStoreSettings settings(Config config) {
    try {
      return ArtifactStoreSettings.fromConfig(config);
    } catch (IllegalArgumentException e) {
      throw new RefusedSettingException(e.getMessage());
    }
  }
}
