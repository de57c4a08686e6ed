package io.modelplane.api.view;

import io.modelplane.common.TensorSpec;
import java.util.List;

/** A tensor of a model's signature: name, datatype and shape (-1: any size). */
public record TensorView(String name, String datatype, List<Long> shape) {

  public TensorView {
    shape = shape == null ? null : List.copyOf(shape);
  }

  public static TensorView from(TensorSpec spec) {
    return new TensorView(spec.name(), spec.datatype(), List.copyOf(spec.shape()));
  }

  public static List<TensorView> from(List<TensorSpec> specs) {
    return specs.stream().map(TensorView::from).toList();
  }

  public TensorSpec toSpec() {
    return new TensorSpec(name, datatype, shape);
  }

  /** Null for null; a null tensor stays null (for the caller to refuse). */
  public static List<TensorSpec> toSpecs(List<TensorView> views) {
    return views == null ? null : views.stream().map(v -> v == null ? null : v.toSpec()).toList();
  }
}
