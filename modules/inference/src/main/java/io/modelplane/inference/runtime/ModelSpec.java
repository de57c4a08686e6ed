package io.modelplane.inference.runtime;

import io.modelplane.common.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What to load: the version's key (e.g. {@code acme/digits:3}), its artifact file, format
 * ({@code torchscript}), input/output signature in manifest order, and the artifact's size in bytes.
 */
public record ModelSpec(String key, Path artifact, String format, List<TensorSpec> inputs, List<TensorSpec> outputs,
    long sizeBytes) {

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
}
