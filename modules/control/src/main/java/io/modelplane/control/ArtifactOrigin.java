package io.modelplane.control;

import io.modelplane.inference.worker.ArtifactCache;
import io.modelplane.registry.ArtifactStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** The node's artifact store as the origin of its {@link ArtifactCache}. */
public record ArtifactOrigin(ArtifactStore store) implements ArtifactCache.Origin {

  @Override
  public Optional<Path> localFile(String sha256) {
    return store.find(sha256);
  }

  @Override
  public void download(String sha256, Path target) throws IOException {
    store.download(sha256, target);
  }
}
