package io.modelplane.control;

import io.modelplane.common.TenantId;
import io.modelplane.inference.worker.ArtifactCache;
import io.modelplane.registry.ArtifactStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** The node's artifact store as the origin of its {@link ArtifactCache}. */
public record ArtifactOrigin(ArtifactStore store) implements ArtifactCache.Origin {

  @Override
  public Optional<Path> localFile(TenantId tenant, String sha256) {
    return store.find(tenant, sha256);
  }

  @Override
  public void download(TenantId tenant, String sha256, Path target) throws IOException {
    store.download(tenant, sha256, target);
  }
}
