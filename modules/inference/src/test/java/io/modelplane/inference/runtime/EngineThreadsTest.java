package io.modelplane.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import io.modelplane.common.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libtorch's thread count is per calling thread: the loader's setting must hold on the thread that runs forward. */
class EngineThreadsTest {

  @Test
  void theForwardThreadRunsWithTheConfiguredEngineThreads(@TempDir Path dir) throws Exception {
    ExecutorService fresh = Executors.newSingleThreadExecutor();
    try (LoadedModel model = new ModelLoader(1).load(Digits.spec(TestKeys.key("digits", 1), Digits.copyModel(dir)), Device.cpu())) {
      int threads = CompletableFuture.supplyAsync(() -> {
        model.forward(List.of(Digits.input(new float[64])));
        return JniUtils.getNumThreads();
      }, fresh).get();
      assertThat(threads).isEqualTo(1);
    } finally {
      fresh.shutdownNow();
    }
  }

  @Test
  void withoutASettingTheSmallDigitsModelIsMeasuredAtLoadAndGetsOneThread(@TempDir Path dir) throws Exception {
    ModelLoader auto = new ModelLoader(dir.resolve("work"), ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES, 10, null);
    ExecutorService batchThread = Executors.newSingleThreadExecutor();
    try (DjlLoadedModel model = (DjlLoadedModel) auto.load(Digits.spec(TestKeys.key("digits", 1),
        Digits.copyModel(dir)), Device.cpu())) {
      assertThat(model.measuredForwardNanos()).isNotNull().isPositive().isLessThan(EngineThreadsPolicy.PARALLEL_FROM_NANOS);
      assertThat(model.engineThreads()).isEqualTo(1);
      int threads = CompletableFuture.supplyAsync(() -> {
        model.forward(List.of(Digits.input(new float[64])));
        return JniUtils.getNumThreads();
      }, batchThread).get();
      assertThat(threads).isEqualTo(1);
      model.useEngineThreads(0);
      assertThat(model.engineThreads()).as("a deployment's setting wins").isZero();
      model.useEngineThreads(null);
      assertThat(model.engineThreads()).as("back to the chosen one").isEqualTo(1);
    } finally {
      batchThread.shutdownNow();
    }
  }

  @Test
  void aNodesExplicitSettingWinsAndNothingIsMeasured(@TempDir Path dir) {
    ModelLoader three = new ModelLoader(dir.resolve("work"), ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES, 10, 3);
    try (DjlLoadedModel model = (DjlLoadedModel) three.load(Digits.spec(TestKeys.key("digits", 1),
        Digits.copyModel(dir)), Device.cpu())) {
      assertThat(model.engineThreads()).isEqualTo(3);
      assertThat(model.measuredForwardNanos()).isNull();
    }
  }

  @Test
  void aModelThatCannotTakeZerosOfItsDeclaredShapeStillLoadsWithOneThread(@TempDir Path dir) {
    // the manifest's input shape is wrong for the network: the measurement's forward fails, the load does not
    ModelSpec wrong = new ModelSpec(TestKeys.key("digits", 1), Digits.copyModel(dir), "torchscript",
        List.of(new TensorSpec("input", "FP32", List.of(-1L, 65L))), Digits.OUTPUTS, 200_000);
    ModelLoader auto = new ModelLoader(dir.resolve("work"), ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES, 10, null);
    try (DjlLoadedModel model = (DjlLoadedModel) auto.load(wrong, Device.cpu())) {
      assertThat(model.engineThreads()).isEqualTo(1);
      assertThat(model.measuredForwardNanos()).isNull();
    }
  }

  @Test
  void onePerCoreHoldsOnABatchThreadThatNeverSetACountAfterALoadMeasuredOnOneThread(@TempDir Path dir)
      throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    org.junit.jupiter.api.Assumptions.assumeTrue(cores > 1, "one core: one per core is one thread");
    ModelLoader auto = new ModelLoader(dir.resolve("work"), ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES, 10, null);
    ExecutorService batchThread = Executors.newSingleThreadExecutor();
    // the measurement runs this thread's forwards with 1 thread; a deployment then asks for one per core
    try (LoadedModel model = auto.load(Digits.spec(TestKeys.key("digits", 1), Digits.copyModel(dir)), Device.cpu())) {
      model.useEngineThreads(0);
      int used = CompletableFuture.supplyAsync(() -> {
        model.forward(List.of(Digits.input(new float[64])));
        return JniUtils.getNumThreads();
      }, batchThread).get();
      assertThat(used).isEqualTo(cores);
    } finally {
      batchThread.shutdownNow();
    }
  }

  @Test
  void aDeploymentsOwnEngineThreadsHoldFromTheNextForwardAndNullGoesBackToTheLoaders(@TempDir Path dir)
      throws Exception {
    ExecutorService batchThread = Executors.newSingleThreadExecutor();
    try (LoadedModel model = new ModelLoader(1).load(Digits.spec(TestKeys.key("digits", 1), Digits.copyModel(dir)), Device.cpu())) {
      java.util.function.Supplier<Integer> forward = () -> {
        try {
          return CompletableFuture.supplyAsync(() -> {
            model.forward(List.of(Digits.input(new float[64])));
            return JniUtils.getNumThreads();
          }, batchThread).get();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      };
      assertThat(forward.get()).isEqualTo(1);
      model.useEngineThreads(3);
      assertThat(forward.get()).isEqualTo(3);
      model.useEngineThreads(0); // one per core
      assertThat(forward.get()).isEqualTo(Runtime.getRuntime().availableProcessors());
      model.useEngineThreads(null);
      assertThat(forward.get()).isEqualTo(1);
    } finally {
      batchThread.shutdownNow();
    }
  }

  @Test
  void passesSideBySideShareTheEngineThreadsAndOnePassAloneGetsThemAll(@TempDir Path dir) throws Exception {
    ExecutorService batchThread = Executors.newSingleThreadExecutor();
    try (LoadedModel model = new ModelLoader(1).load(Digits.spec(TestKeys.key("digits", 1), Digits.copyModel(dir)), Device.cpu())) {
      java.util.function.IntFunction<Integer> forwardBeside = running -> {
        try {
          return CompletableFuture.supplyAsync(() -> {
            model.forward(List.of(Digits.input(new float[64])), running);
            return JniUtils.getNumThreads();
          }, batchThread).get();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      };
      int cores = Runtime.getRuntime().availableProcessors();
      // one thread: one pass at a time, whatever runs beside it
      assertThat(model.parallelForwards()).isEqualTo(1);
      assertThat(forwardBeside.apply(2)).isEqualTo(1);
      model.useEngineThreads(4);
      assertThat(model.parallelForwards()).isEqualTo(Math.min(4, cores));
      assertThat(forwardBeside.apply(1)).isEqualTo(4);
      assertThat(forwardBeside.apply(2)).isEqualTo(2);
      assertThat(forwardBeside.apply(3)).isEqualTo(1);
      model.useEngineThreads(0); // one per core
      assertThat(model.parallelForwards()).isEqualTo(Math.min(cores, DjlLoadedModel.MAX_PARALLEL_FORWARDS));
      assertThat(forwardBeside.apply(1)).isEqualTo(cores);
      assertThat(forwardBeside.apply(cores)).isEqualTo(1);
      model.useEngineThreads(64);
      assertThat(model.parallelForwards()).isEqualTo(Math.min(cores, DjlLoadedModel.MAX_PARALLEL_FORWARDS));
    } finally {
      batchThread.shutdownNow();
    }
  }
}
