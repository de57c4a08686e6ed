package io.modelplane.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
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
}
