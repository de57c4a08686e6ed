package io.modelplane.api;

import io.modelplane.api.view.TensorView;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.runtime.ModelAdmission;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code manifest} part of a version upload. Checked before the artifact is streamed so a bad
 * manifest costs the client no upload; the model entity checks the same rules again as the authority.
 */
record VersionManifest(String format, List<TensorView> inputs, List<TensorView> outputs, String description, String sha256) {
  static final Set<String> FORMATS = Set.of("torchscript");

  void validate() {
    if (format == null || !FORMATS.contains(format)) {
      throw ApiError.badRequest("unsupported_format", "manifest.format must be one of " + FORMATS);
    }
    checkTensors("inputs", inputs);
    checkTensors("outputs", outputs);
    String unsupported = ModelAdmission.datatypeViolation(inputSpecs(), outputSpecs());
    if (unsupported != null) {
      throw ApiError.badRequest("unsupported_datatype", "manifest: " + unsupported);
    }
    if (description != null && description.length() > 1000) {
      throw ApiError.badRequest("invalid_description", "manifest.description may have at most 1000 characters");
    }
    if (sha256 != null && !sha256.matches("[0-9a-f]{64}")) {
      throw ApiError.badRequest("invalid_manifest", "manifest.sha256 must be 64 lowercase hex digits");
    }
  }

  List<TensorSpec> inputSpecs() {
    return TensorView.toSpecs(inputs);
  }

  List<TensorSpec> outputSpecs() {
    return TensorView.toSpecs(outputs);
  }

  private static void checkTensors(String field, List<TensorView> tensors) {
    if (tensors == null || tensors.isEmpty()) {
      throw ApiError.badRequest("invalid_signature", "manifest." + field + " must list at least one tensor");
    }
    Set<String> names = new HashSet<>();
    for (TensorView t : tensors) {
      String violation = t == null ? "a tensor is null" : t.toSpec().violation();
      if (violation != null) {
        throw ApiError.badRequest("invalid_signature", "manifest." + field + ": " + violation);
      }
      if (!names.add(t.name())) {
        throw ApiError.badRequest("invalid_signature", "manifest." + field + " names " + t.name() + " twice");
      }
    }
  }
}
