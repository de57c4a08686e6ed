package io.modelplane.inference.worker;

import io.modelplane.common.CborSerializable;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.ModelSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * A model version as a worker needs it: its key ({@code tenant/model:version}), where its artifact
 * lies (the artifact store, shared by the nodes) and its tensor signature.
 */
public record VersionToLoad(String key, String artifactPath, String format, List<TensorSpec> inputs,
    List<TensorSpec> outputs, long sizeBytes) implements CborSerializable {

  public static String key(String modelKey, int version) {
    return modelKey + ":" + version;
  }

  ModelSpec toSpec() {
    return new ModelSpec(key, Path.of(artifactPath), format, inputs, outputs, sizeBytes);
  }
}
