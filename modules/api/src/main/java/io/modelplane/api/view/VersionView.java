package io.modelplane.api.view;

import io.modelplane.registry.ModelEntity;
import java.time.Instant;
import java.util.List;

/** One version of a model as the API shows it. */
public record VersionView(int version, String sha256, long sizeBytes, String format, List<TensorView> inputs,
    List<TensorView> outputs, String description, Instant createdAt, String createdBy, boolean archived) {

  public static VersionView from(ModelEntity.VersionInfo v) {
    return new VersionView(v.version(), v.sha256(), v.sizeBytes(), v.format(), TensorView.from(v.inputs()),
        TensorView.from(v.outputs()), v.description(), v.createdAt(), v.createdBy(), v.archived());
  }

  public static List<VersionView> from(List<ModelEntity.VersionInfo> versions) {
    return versions.stream().map(VersionView::from).toList();
  }

  /** {@code {"versions": [...]}}. */
  public record Listed(List<VersionView> versions) {}

  /** The answer to an upload. */
  public record Created(String model, int version, String sha256, long sizeBytes) {}
}
