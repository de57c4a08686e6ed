package io.modelplane.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of a version upload's manifest part, parsed and checked as the upload route
 * does before a byte of the artifact is stored. The property: a 4xx {@link ApiError} with a code and a
 * sentence, or a manifest that keeps every rule the model entity and the workers rely on; never another
 * exception. Committed inputs under {@code VersionManifestFuzzTestInputs/} run as regression tests.
 */
class VersionManifestFuzzTest {

  @FuzzTest(maxDuration = PredictBodyFuzzTest.BUDGET)
  void versionManifest(byte[] part) {
    VersionManifest manifest;
    try {
      manifest = VersionUpload.parseManifest(part);
    } catch (ApiError refused) {
      PredictBodyFuzzTest.assertClientError(refused);
      return;
    }
    assertThat(VersionManifest.FORMATS).contains(manifest.format());
    assertThat(manifest.inputSpecs()).isNotEmpty().allSatisfy(t -> assertThat(t.violation()).isNull());
    assertThat(manifest.outputSpecs()).isNotEmpty().allSatisfy(t -> assertThat(t.violation()).isNull());
    assertThat(manifest.description()).satisfiesAnyOf(d -> assertThat(d).isNull(), d -> assertThat(d).hasSizeLessThanOrEqualTo(1000));
    assertThat(manifest.sha256()).satisfiesAnyOf(s -> assertThat(s).isNull(), s -> assertThat(s).matches("[0-9a-f]{64}"));
  }
}
