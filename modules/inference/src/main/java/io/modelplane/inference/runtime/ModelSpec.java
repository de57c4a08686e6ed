package io.modelplane.inference.runtime;

import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What to load: the version's key, its artifact file, format
 * ({@code torchscript}), input/output signature in manifest order, the bytes admitted for it once
 * resident (see {@link ModelFootprint}), and the artifact's SHA-256 as registered: a file whose
 * bytes differ is never loaded (null only for local files that no registry vouches for, such as
 * the bench's).
 */
public record ModelSpec(VersionKey key, Path artifact, String format, List<TensorSpec> inputs, List<TensorSpec> outputs,
    long sizeBytes, String sha256) {

  public ModelSpec {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(artifact, "artifact");
    Objects.requireNonNull(format, "format");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("sizeBytes must not be negative, was " + sizeBytes);
    }
  }

  /** A spec with no registered SHA-256: the file is loaded as it is. */
  public ModelSpec(VersionKey key, Path artifact, String format, List<TensorSpec> inputs, List<TensorSpec> outputs,
      long sizeBytes) {
    this(key, artifact, format, inputs, outputs, sizeBytes, null);
  }
}
