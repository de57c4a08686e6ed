package io.modelplane.inference.runtime;

import static io.modelplane.inference.runtime.TestKeys.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.modelplane.common.VersionKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many real small models on one worker: all resident and served with their own weights; LRU at that scale. */
class ModelResidencyDensityTest {

  static final int VERSIONS = 100;
  static final BatchSettings SETTINGS = new BatchSettings(8, 0, 100, 1);

  @TempDir
  Path store;

  ModelResidency residency;

  @AfterEach
  void tearDown() {
    if (residency != null) {
      residency.close();
    }
  }

  /** Version {@code v}'s own artifact (bias nudged by v millionths), admitted for {@code sizeBytes} (0: 256 KiB). */
  ModelSpec version(int v, long sizeBytes) throws Exception {
    Path artifact = Digits.distinct(store.resolve("artifacts").resolve("digits-" + v), v);
    return new ModelSpec(key("digits", v), artifact, "torchscript", Digits.INPUTS, Digits.OUTPUTS,
        sizeBytes > 0 ? sizeBytes : 256 * 1024);
  }

  ModelLoader loader() {
    return new ModelLoader(store.resolve("work"), ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES, ModelLoader.DEFAULT_MAX_ENTRIES,
        1);
  }

  float[] logits(VersionKey key, Tensor input) throws Exception {
    return Digits.floats(residency.infer(key, List.of(input)).get(10, TimeUnit.SECONDS).outputs().get(0));
  }

  @Test
  void aHundredVersionsAreResidentAtOnceAndEachAnswersWithItsOwnWeights() throws Exception {
    List<ModelSpec> specs = new ArrayList<>();
    long budget = 0;
    for (int v = 1; v <= VERSIONS; v++) {
      ModelSpec spec = version(v, 0);
      specs.add(spec);
      budget += spec.sizeBytes();
    }
    residency = new ModelResidency(budget, Device.cpu(), loader());
    for (ModelSpec spec : specs) {
      residency.load(spec, SETTINGS);
    }

    assertThat(residency.status()).hasSize(VERSIONS);
    // the load's warm-up forwards are no batches: metrics and status count requests only
    assertThat(residency.status()).allSatisfy(s -> assertThat(s.batches()).isZero());
    assertThat(residency.usedBytes()).isLessThanOrEqualTo(budget);
    Tensor input = Digits.input(Digits.heldOut().inputs()[0]);
    float[] first = logits(key("digits", 1), input);
    for (int v = VERSIONS; v >= 1; v--) {
      float[] got = logits(key("digits", v), input);
      // only logit 0 differs between versions, by their bias difference
      assertThat(got[0] - first[0]).as("logit 0 of version %d", v).isCloseTo((v - 1) * 1e-6f, within(3e-6f));
      for (int c = 1; c < got.length; c++) {
        assertThat(got[c]).isEqualTo(first[c]);
      }
    }
    assertThat(residency.status()).allSatisfy(s -> assertThat(s.batches()).isGreaterThanOrEqualTo(1));
  }

  @Test
  void underABudgetForFortyTheLeastRecentlyUsedAreEvictedInOrder() throws Exception {
    // every version holds the same bytes: admit each for exactly that, so the budget fits exactly forty
    long perVersion;
    try (LoadedModel probe = loader().load(version(999, Long.MAX_VALUE / 2), Device.cpu())) {
      perVersion = probe.residentBytes();
    }
    int fits = 40;
    residency = new ModelResidency(perVersion * fits, Device.cpu(), loader());
    for (int v = 1; v <= fits; v++) {
      residency.load(version(v, perVersion), SETTINGS);
    }
    assertThat(residency.status()).hasSize(fits);
    // requests touch them in a random order: that order, not the load order, decides who goes
    List<Integer> used = new ArrayList<>();
    for (int v = 1; v <= fits; v++) {
      used.add(v);
    }
    Collections.shuffle(used, new Random(15));
    Tensor input = Digits.input(new float[64]);
    for (int v : used) {
      logits(key("digits", v), input);
    }

    for (int v = fits + 1; v <= fits + 10; v++) {
      residency.load(version(v, perVersion), SETTINGS);
      assertThat(residency.status()).hasSize(fits);
    }

    List<VersionKey> expected = new ArrayList<>();
    for (int v : used.subList(10, fits)) {
      expected.add(key("digits", v));
    }
    for (int v = fits + 1; v <= fits + 10; v++) {
      expected.add(key("digits", v));
    }
    assertThat(residency.status().stream().map(ModelResidency.ResidentModelStatus::key))
        .containsExactlyInAnyOrderElementsOf(expected);
    for (int v : used.subList(0, 10)) {
      assertThat(residency.infer(key("digits", v), List.of(input)))
          .failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
          .withCauseInstanceOf(ModelNotResidentException.class);
    }
  }

  @Test
  void aFreshlyLoadedVersionAnswersItsFirstRequestAsFastAsLaterOnes() throws Exception {
    int fresh = 30;
    residency = new ModelResidency(Long.MAX_VALUE / 4, Device.cpu(), loader());
    Tensor input = Digits.input(Digits.heldOut().inputs()[3]);
    // this JVM's own code paths warm first, on a version not measured
    residency.load(version(1000, 0), SETTINGS);
    for (int i = 0; i < 300; i++) {
      logits(key("digits", 1000), input);
    }
    for (int v = 1; v <= fresh; v++) {
      residency.load(version(v, 0), SETTINGS);
    }
    long[] first = new long[fresh];
    for (int v = 1; v <= fresh; v++) {
      long started = System.nanoTime();
      logits(key("digits", v), input);
      first[v - 1] = System.nanoTime() - started;
    }
    long[] later = new long[fresh];
    for (int round = 0; round < 5; round++) {
      for (int v = 1; v <= fresh; v++) {
        long started = System.nanoTime();
        logits(key("digits", v), input);
        later[v - 1] = System.nanoTime() - started;
      }
    }
    java.util.Arrays.sort(first);
    java.util.Arrays.sort(later);
    // without the warm-up at load, TorchScript's profiling executor makes first calls ~2-4 ms (p50) against ~0.2
    assertThat(first[fresh / 2]).as("median first-request latency (ns), later ones: %d", later[fresh / 2])
        .isLessThanOrEqualTo(3 * later[fresh / 2] + 500_000);
  }

  @Test
  void aVersionThatFailsOnZeroInputsStillLoadsAndServesRealOnes() throws Exception {
    // declared one column short: the warm-up's zeros do not fit the model, real requests of 64 do
    ModelSpec spec = version(7, 0);
    ModelSpec mismatched = new ModelSpec(spec.key(), spec.artifact(), spec.format(),
        List.of(new io.modelplane.common.TensorSpec("input", "FP32", List.of(-1L, 63L))), Digits.OUTPUTS,
        spec.sizeBytes());
    assertThat(GraphWarmUp.zeros(mismatched, 1)).singleElement()
        .satisfies(t -> assertThat(t.shape()).containsExactly(1, 63));
    residency = new ModelResidency(Long.MAX_VALUE / 4, Device.cpu(), loader());

    residency.load(mismatched, SETTINGS);

    assertThat(residency.status()).hasSize(1);
    assertThat(logits(spec.key(), Digits.input(new float[64]))).hasSize(10);
  }

  @Test
  void zeroInputsExistOnlyForSignaturesWithAFixedShapeBesidesTheBatch() throws Exception {
    ModelSpec spec = version(8, 0);
    assertThat(GraphWarmUp.zeros(spec, 2)).singleElement().satisfies(t -> {
      assertThat(t.shape()).containsExactly(2, 64);
      assertThat(t.data()).hasSize(2 * 64 * 4).containsOnly((byte) 0);
    });
    ModelSpec dynamic = new ModelSpec(spec.key(), spec.artifact(), spec.format(),
        List.of(new io.modelplane.common.TensorSpec("input", "FP32", List.of(-1L, -1L))), Digits.OUTPUTS,
        spec.sizeBytes());
    assertThat(GraphWarmUp.zeros(dynamic, 1)).isNull();
    ModelSpec fixedBatch = new ModelSpec(spec.key(), spec.artifact(), spec.format(),
        List.of(new io.modelplane.common.TensorSpec("input", "FP32", List.of(1L, 64L))), Digits.OUTPUTS,
        spec.sizeBytes());
    assertThat(GraphWarmUp.zeros(fixedBatch, 1)).singleElement()
        .satisfies(t -> assertThat(t.shape()).containsExactly(1, 64));
    assertThat(GraphWarmUp.zeros(fixedBatch, 2)).isNull();
  }
}
