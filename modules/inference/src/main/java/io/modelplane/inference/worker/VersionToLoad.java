package io.modelplane.inference.worker;

import io.modelplane.common.CborSerializable;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.runtime.ModelSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * A model version as a worker needs it: its key, where its artifact lies (the artifact store,
 * shared by the nodes), its tensor signature, the bytes it may hold once loaded (placement admits
 * it by them) and its registered SHA-256, checked at every load.
 */
public record VersionToLoad(VersionKey key, String artifactPath, String format, List<TensorSpec> inputs,
    List<TensorSpec> outputs, long sizeBytes, String sha256) implements CborSerializable {

  ModelSpec toSpec() {
    return new ModelSpec(key, Path.of(artifactPath), format, inputs, outputs, sizeBytes, sha256);
  }
}
