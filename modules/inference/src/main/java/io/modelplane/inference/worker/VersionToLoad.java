package io.modelplane.inference.worker;

import io.modelplane.common.CborSerializable;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.common.crypto.ArtifactKey;
import io.modelplane.inference.runtime.ModelSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * A model version as a worker needs it: its key, its artifact's registered SHA-256 (the worker
 * finds the artifact by it, through its {@link ArtifactCache}, and checks it at every load), its
 * tensor signature and the bytes it may hold once loaded (placement admits it by them). The tenant's
 * data key travels with it to decrypt the artifact (never persisted; its toString hides the bytes);
 * when the control side could not get the key, {@code keyProblem} says why and the load fails with it.
 */
public record VersionToLoad(VersionKey key, String format, List<TensorSpec> inputs, List<TensorSpec> outputs,
    long sizeBytes, String sha256, ArtifactKey dataKey, String keyProblem) implements CborSerializable {

  /** The spec to load from {@code artifact}, this node's file of the version's artifact. */
  ModelSpec toSpec(Path artifact) {
    return new ModelSpec(key, artifact, format, inputs, outputs, sizeBytes, sha256);
  }
}
