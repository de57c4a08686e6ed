package io.modelplane.inference.runtime;

import static io.modelplane.inference.runtime.TestKeys.key;
import io.modelplane.common.VersionKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelResidencyTest {

  static final Duration WAIT = Duration.ofSeconds(10);
  static final BatchSettings SETTINGS = new BatchSettings(8, 0, 100);

  @TempDir
  Path store;

  /** Every fake model made, by key; the latest one per key. */
  final Map<VersionKey, FakeModel> made = new ConcurrentHashMap<>();
  final FakeLoader echoLoader = new FakeLoader((spec, device) -> remember(FakeModel.echo(spec)));
  ModelResidency residency;

  FakeModel remember(FakeModel model) {
    made.put(model.spec().key(), model);
    return model;
  }

  @AfterEach
  void tearDown() {
    if (residency != null) {
      residency.close();
    }
  }

  static Tensor input() {
    return Digits.input(new float[64]);
  }

  static Throwable failure(CompletableFuture<?> future) {
    try {
      future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got a result");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("latch released in time").isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  List<VersionKey> resident() {
    return residency.status().stream().map(ModelResidency.ResidentModelStatus::key).toList();
  }

  @Test
  void evictsTheLeastRecentlyUsedIdleModels() {
    residency = new ModelResidency(300, Device.cpu(), echoLoader);
    residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS);
    residency.load(FakeModel.spec(key("b", 1), 100), SETTINGS);
    residency.load(FakeModel.spec(key("c", 1), 100), SETTINGS);
    // a is used (get), then c (infer): b is now the least recently used
    assertThat(residency.get(key("a", 1))).isPresent();
    assertThat(residency.get(key("c", 1)).orElseThrow().infer(List.of(input()))).succeedsWithin(WAIT);

    residency.load(FakeModel.spec(key("d", 1), 100), SETTINGS);
    assertThat(resident()).containsExactly(key("a", 1), key("c", 1), key("d", 1));
    assertThat(made.get(key("b", 1)).closed()).isTrue();
    // two slots needed: a, then c, the least recently used; d, loaded last, stays
    residency.load(FakeModel.spec(key("e", 1), 200), SETTINGS);
    assertThat(resident()).containsExactly(key("d", 1), key("e", 1));
    assertThat(made.get(key("a", 1)).closed()).isTrue();
    assertThat(made.get(key("c", 1)).closed()).isTrue();
    assertThat(made.get(key("d", 1)).closed()).isFalse();
  }

  @Test
  void accountsBytesThroughLoadsEvictionsAndUnloads() {
    residency = new ModelResidency(1000, Device.cpu(), echoLoader);
    assertThat(residency.budgetBytes()).isEqualTo(1000);
    assertThat(residency.usedBytes()).isZero();
    residency.load(FakeModel.spec(key("a", 1), 400), SETTINGS);
    residency.load(FakeModel.spec(key("b", 1), 300), SETTINGS);
    assertThat(residency.usedBytes()).isEqualTo(700);
    // idempotent: nothing more is counted or loaded
    residency.load(FakeModel.spec(key("a", 1), 400), SETTINGS);
    assertThat(residency.usedBytes()).isEqualTo(700);
    assertThat(echoLoader.loadedKeys).containsExactly(key("a", 1), key("b", 1));
    // 500 more: a was just loaded again (a use), so b (300) goes, leaving 400 + 500
    residency.load(FakeModel.spec(key("c", 1), 500), SETTINGS);
    assertThat(residency.usedBytes()).isEqualTo(900);
    assertThat(resident()).containsExactly(key("a", 1), key("c", 1));
    assertThat(residency.unload(key("b", 1))).isFalse();
    assertThat(residency.unload(key("a", 1))).isTrue();
    assertThat(residency.usedBytes()).isEqualTo(500);
    assertThat(residency.unload(key("a", 1))).isFalse();
    assertThat(residency.unload(key("never", 1))).isFalse();
    assertThat(residency.usedBytes()).isEqualTo(500);
    residency.close();
    assertThat(residency.usedBytes()).isZero();
    assertThat(made.values()).allMatch(FakeModel::closed);
  }

  @Test
  void aModelWithRequestsInFlightIsNeverEvicted() {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    FakeLoader loader = new FakeLoader((spec, device) -> remember(spec.key().model().model().value().equals("busy")
        ? new FakeModel(spec, inputs -> {
          entered.countDown();
          await(release);
          return inputs;
        })
        : FakeModel.echo(spec)));
    residency = new ModelResidency(200, Device.cpu(), loader);
    try {
      residency.load(FakeModel.spec(key("busy", 1), 100), SETTINGS);
      residency.load(FakeModel.spec(key("idle", 1), 100), SETTINGS);
      residency.get(key("idle", 1));
      // busy is the least recently used, but it is serving
      CompletableFuture<Inference> serving = residency.infer(key("busy", 1), List.of(input()));
      await(entered);
      residency.get(key("idle", 1));

      residency.load(FakeModel.spec(key("new", 1), 100), SETTINGS);
      assertThat(resident()).containsExactly(key("busy", 1), key("new", 1));
      assertThat(made.get(key("busy", 1)).closed()).isFalse();

      // only evicting busy would make room: refused, and nothing at all is evicted
      assertThatThrownBy(() -> residency.load(FakeModel.spec(key("big", 1), 200), SETTINGS))
          .isInstanceOf(InsufficientMemoryException.class)
          .hasMessageContaining("big:1 needs 200 bytes").hasMessageContaining("100 more in idle models");
      assertThat(resident()).containsExactly(key("busy", 1), key("new", 1));
      assertThat(made.get(key("new", 1)).closed()).isFalse();
      assertThat(residency.usedBytes()).isEqualTo(200);

      release.countDown();
      assertThat(serving).succeedsWithin(WAIT);
      // idle now, so it can go
      residency.load(FakeModel.spec(key("big", 1), 200), SETTINGS);
      assertThat(resident()).containsExactly(key("big", 1));
    } finally {
      release.countDown();
    }
  }

  @Test
  void utilizationIsTheShareOfAWindowSpentInForwardPassesAndKeepsUnloadedVersionsTime() {
    FakeLoader loader = new FakeLoader((spec, device) -> remember(new FakeModel(spec, inputs -> {
      sleep(200);
      return inputs;
    })));
    residency = new ModelResidency(1000, Device.cpu(), loader);
    residency.load(FakeModel.spec(key("slow", 1), 100), SETTINGS);
    assertThat(residency.busyNanos()).isZero();
    assertThat(residency.infer(key("slow", 1), List.of(input()))).succeedsWithin(WAIT);
    long busy = residency.busyNanos();
    assertThat(busy).isGreaterThanOrEqualTo(200_000_000L);

    long window = ModelResidency.UTILIZATION_WINDOW.toMillis();
    long base = (System.currentTimeMillis() / window + 100) * window; // a later window than any so far
    long nanos = System.nanoTime();
    double sinceStart = residency.utilization(nanos, base);
    assertThat(sinceStart).isGreaterThan(0).isLessThanOrEqualTo(1);

    assertThat(residency.infer(key("slow", 1), List.of(input()))).succeedsWithin(WAIT);
    assertThat(residency.infer(key("slow", 1), List.of(input()))).succeedsWithin(WAIT);
    long busier = residency.busyNanos();
    assertThat(busier - busy).isGreaterThanOrEqualTo(400_000_000L);
    long windowNanos = window * 1_000_000;
    assertThat(residency.utilization(nanos + windowNanos, base + window / 2)).as("unchanged within a window")
        .isEqualTo(sinceStart);
    assertThat(residency.utilization(nanos + windowNanos, base + window))
        .isCloseTo((double) (busier - busy) / windowNanos, within(0.01));
    assertThat(residency.utilization(nanos + 2 * windowNanos, base + 2 * window)).as("an idle window").isZero();

    residency.unload(key("slow", 1));
    assertThat(residency.busyNanos()).as("an unloaded version's time still counts").isEqualTo(busier);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aVersionRunsWithItsDeploymentsEngineThreadsFromLoadAndAfterEveryUpdate() {
    residency = new ModelResidency(1000, Device.cpu(), echoLoader);
    residency.load(FakeModel.spec(key("a", 1), 100), new BatchSettings(8, 0, 100, 4));
    assertThat(made.get(key("a", 1)).engineThreads).isEqualTo(4);
    residency.load(FakeModel.spec(key("a", 1), 100), new BatchSettings(8, 0, 100, 0)); // resident: settings only
    assertThat(made.get(key("a", 1)).engineThreads).isEqualTo(0);
    residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS);
    assertThat(made.get(key("a", 1)).engineThreads).as("back to the loader's default").isNull();
    assertThat(made).hasSize(1);
  }

  @Test
  void aModelLargerThanTheBudgetIsRefusedAtOnce() {
    residency = new ModelResidency(1000, Device.cpu(), echoLoader);
    residency.load(FakeModel.spec(key("a", 1), 600), SETTINGS);
    assertThatThrownBy(() -> residency.load(FakeModel.spec(key("huge", 1), 1001), SETTINGS))
        .isInstanceOf(InsufficientMemoryException.class)
        .hasMessageContaining("huge:1 needs 1001 bytes").hasMessageContaining("budget");
    assertThat(echoLoader.loadedKeys).containsExactly(key("a", 1));
    assertThat(resident()).containsExactly(key("a", 1));
    assertThat(residency.usedBytes()).isEqualTo(600);
  }

  @Test
  void aFailedLoadLeavesTheAccountingAndTheResidencyAsTheyWere() {
    FakeLoader loader = new FakeLoader((spec, device) -> {
      if (spec.key().model().model().value().equals("corrupt")) {
        throw new ModelLoadException("could not load " + spec.key() + ": not a TorchScript archive");
      }
      if (spec.key().model().model().value().equals("buggy")) {
        throw new IllegalStateException("loader bug");
      }
      return remember(FakeModel.echo(spec));
    });
    residency = new ModelResidency(1000, Device.cpu(), loader);
    residency.load(FakeModel.spec(key("a", 1), 300), SETTINGS);

    assertThatThrownBy(() -> residency.load(FakeModel.spec(key("corrupt", 1), 300), SETTINGS))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("not a TorchScript archive");
    assertThat(residency.usedBytes()).isEqualTo(300);
    assertThat(resident()).containsExactly(key("a", 1));
    // any other failure of the loader is a ModelLoadException too
    assertThatThrownBy(() -> residency.load(FakeModel.spec(key("buggy", 1), 300), SETTINGS))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("loader bug")
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(residency.usedBytes()).isEqualTo(300);
    // a retry is tried again, not answered from a cache of failures
    assertThatThrownBy(() -> residency.load(FakeModel.spec(key("corrupt", 1), 300), SETTINGS))
        .isInstanceOf(ModelLoadException.class);
    assertThat(loader.loadedKeys).containsExactly(key("a", 1), key("corrupt", 1), key("buggy", 1), key("corrupt", 1));
    // and the residency is healthy
    residency.load(FakeModel.spec(key("b", 1), 700), SETTINGS);
    assertThat(residency.usedBytes()).isEqualTo(1000);
    assertThat(residency.infer(key("b", 1), List.of(input()))).succeedsWithin(WAIT);
  }

  @Test
  void concurrentLoadsOfOneKeyLoadItOnce() throws Exception {
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    FakeLoader loader = new FakeLoader((spec, device) -> {
      loading.countDown();
      await(finish);
      return remember(FakeModel.echo(spec));
    });
    residency = new ModelResidency(1000, Device.cpu(), loader);
    CompletableFuture<ModelResidency.ResidentModel> first =
        CompletableFuture.supplyAsync(() -> residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS));
    await(loading);
    // while it loads: reserved in the budget, not yet servable
    assertThat(residency.usedBytes()).isEqualTo(100);
    assertThat(residency.get(key("a", 1))).isEmpty();
    assertThat(failure(residency.infer(key("a", 1), List.of(input())))).isInstanceOf(ModelNotResidentException.class)
        .hasMessageContaining("a:1 is not loaded on cpu()");
    BatchSettings other = new BatchSettings(2, 5, 10);
    CompletableFuture<ModelResidency.ResidentModel> second =
        CompletableFuture.supplyAsync(() -> residency.load(FakeModel.spec(key("a", 1), 100), other));
    finish.countDown();
    assertThat(second.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isSameAs(first.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertThat(loader.loadedKeys).containsExactly(key("a", 1));
    assertThat(residency.usedBytes()).isEqualTo(100);
  }

  @Test
  void loadingAgainUpdatesTheBatchSettings() {
    residency = new ModelResidency(1000, Device.cpu(), echoLoader);
    ModelResidency.ResidentModel a = residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS);
    BatchSettings other = new BatchSettings(32, 2, 500);
    assertThat(residency.load(FakeModel.spec(key("a", 1), 100), other)).isSameAs(a);
    assertThat(a.batcher().settings()).isEqualTo(other);
  }

  @Test
  void unloadFailsWaitingRequestsAndFreesTheModel() {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    FakeLoader loader = new FakeLoader((spec, device) -> remember(new FakeModel(spec, inputs -> {
      entered.countDown();
      await(release);
      return inputs;
    })));
    residency = new ModelResidency(1000, Device.cpu(), loader);
    ModelResidency.ResidentModel a = residency.load(FakeModel.spec(key("a", 1), 100), new BatchSettings(1, 0, 10));
    CompletableFuture<Inference> running = a.infer(List.of(input()));
    await(entered);
    CompletableFuture<Inference> waiting = a.infer(List.of(input()));
    CompletableFuture<Boolean> unloading = CompletableFuture.supplyAsync(() -> residency.unload(key("a", 1)));
    assertThat(failure(waiting)).isInstanceOf(ModelNotResidentException.class).hasMessageContaining("model unloaded");
    assertThat(residency.get(key("a", 1))).isEmpty();
    // the memory is still taken until the running batch is done and the model closed
    assertThat(made.get(key("a", 1)).closed()).isFalse();
    assertThat(residency.usedBytes()).isEqualTo(100);
    release.countDown();
    assertThat(running).succeedsWithin(WAIT);
    assertThat(unloading).succeedsWithin(WAIT).isEqualTo(true);
    assertThat(made.get(key("a", 1)).closed()).isTrue();
    assertThat(residency.usedBytes()).isZero();
    // a caller still holding the resident model hears that it is gone
    assertThat(failure(a.infer(List.of(input())))).isInstanceOf(ModelNotResidentException.class);
  }

  @Test
  void statusShowsEachResidentModel() {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    FakeLoader loader = new FakeLoader((spec, device) -> remember(spec.key().equals(key("b", 1))
        ? new FakeModel(spec, inputs -> {
          entered.countDown();
          await(release);
          return inputs;
        })
        : FakeModel.echo(spec)));
    residency = new ModelResidency(1000, Device.cpu(), loader);
    try {
      Instant before = Instant.now().minusMillis(1);
      residency.load(FakeModel.spec(key("b", 1), 200), new BatchSettings(1, 0, 10));
      residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS);
      residency.infer(key("b", 1), List.of(input()));
      await(entered);
      residency.infer(key("b", 1), List.of(input()));
      residency.infer(key("b", 1), List.of(input()));
      List<ModelResidency.ResidentModelStatus> status = residency.status();
      assertThat(status).extracting(ModelResidency.ResidentModelStatus::key).containsExactly(key("a", 1), key("b", 1));
      assertThat(status.get(0).bytes()).isEqualTo(100);
      assertThat(status.get(0).inFlight()).isZero();
      assertThat(status.get(1).bytes()).isEqualTo(200);
      assertThat(status.get(1).queueDepth()).isEqualTo(2);
      assertThat(status.get(1).inFlight()).isEqualTo(3);
      assertThat(status).allSatisfy(s -> assertThat(s.lastUsed()).isAfter(before).isBefore(Instant.now().plusSeconds(1)));
      assertThat(residency.device()).isEqualTo(Device.cpu());
    } finally {
      release.countDown();
    }
  }

  @Test
  void aLoadAskedAgainKeepsAVersionFromEvictionButIsNotShownAsAUse() throws Exception {
    residency = new ModelResidency(1000, Device.cpu(), echoLoader);
    residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS);
    Instant loaded = residency.status().get(0).lastUsed();
    Thread.sleep(20);
    residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS); // placement asks again: no request
    assertThat(residency.status().get(0).lastUsed()).isEqualTo(loaded);
    assertThat(residency.infer(key("a", 1), List.of(input()))).succeedsWithin(WAIT);
    assertThat(residency.status().get(0).lastUsed()).isAfter(loaded);
  }

  @Test
  void accountsWhatTheModelSaysItHolds() {
    FakeLoader loader = new FakeLoader((spec, device) -> remember(FakeModel.echo(spec).holding(spec.sizeBytes() / 2)));
    residency = new ModelResidency(1000, Device.cpu(), loader);
    residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS);
    assertThat(residency.usedBytes()).isEqualTo(50);
    assertThat(residency.status().get(0).bytes()).isEqualTo(50);
    residency.unload(key("a", 1));
    assertThat(residency.usedBytes()).isZero();
  }

  @Test
  void aModelHoldingMoreThanWasAdmittedDoesNotStay() {
    FakeLoader loader = new FakeLoader((spec, device) -> remember(FakeModel.echo(spec).holding(spec.sizeBytes() * 2)));
    residency = new ModelResidency(1000, Device.cpu(), loader);
    assertThatThrownBy(() -> residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS))
        .isInstanceOf(ModelLoadException.class)
        .hasMessage("acme/a:1 holds 200 bytes once loaded; 100 bytes were admitted for it, so it is unloaded");
    assertThat(made.get(key("a", 1)).closed()).isTrue();
    assertThat(residency.usedBytes()).isZero();
    assertThat(residency.status()).isEmpty();
  }

  @Test
  void aClosedResidencyLoadsNothing() {
    residency = new ModelResidency(1000, Device.cpu(), echoLoader);
    residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS);
    residency.close();
    residency.close();
    assertThat(made.get(key("a", 1)).closes).hasValue(1);
    assertThat(residency.status()).isEmpty();
    assertThatThrownBy(() -> residency.load(FakeModel.spec(key("b", 1), 100), SETTINGS))
        .isInstanceOf(ModelNotResidentException.class).hasMessageContaining("closed");
    assertThat(echoLoader.loadedKeys).containsExactly(key("a", 1));
  }

  @Test
  void closingWhileAModelLoadsDiscardsIt() throws Exception {
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    FakeLoader loader = new FakeLoader((spec, device) -> {
      loading.countDown();
      await(finish);
      return remember(FakeModel.echo(spec));
    });
    residency = new ModelResidency(1000, Device.cpu(), loader);
    CompletableFuture<ModelResidency.ResidentModel> load =
        CompletableFuture.supplyAsync(() -> residency.load(FakeModel.spec(key("a", 1), 100), SETTINGS));
    await(loading);
    residency.close();
    finish.countDown();
    assertThat(failure(load)).isInstanceOf(ModelNotResidentException.class);
    assertThat(made.get(key("a", 1)).closed()).isTrue();
    assertThat(residency.usedBytes()).isZero();
  }

  @Test
  void servesTheRealDigitsModel() {
    residency = new ModelResidency(10_000_000, Device.cpu(), new ModelLoader());
    Digits.HeldOut heldOut = Digits.heldOut();
    ModelResidency.ResidentModel digits =
        residency.load(Digits.spec(key("digits", 1), Digits.copyModel(store)), new BatchSettings(16, 1, 100));
    assertThat(residency.usedBytes()).isEqualTo(digits.spec().sizeBytes()).isEqualTo(digits.model().residentBytes());
    int[] direct = Digits.argmax(digits.model().forward(List.of(Digits.input(heldOut.inputs()))).get(0));
    int correct = 0;
    for (int i = 0; i < 50; i++) {
      Tensor logits = residency.infer(key("digits", 1), List.of(Digits.input(heldOut.inputs()[i]))).join().outputs().get(0);
      assertThat(Digits.argmax(logits)[0]).isEqualTo(direct[i]);
      correct += direct[i] == heldOut.labels()[i] ? 1 : 0;
    }
    assertThat(correct).isGreaterThanOrEqualTo(47);
    assertThat(residency.unload(key("digits", 1))).isTrue();
    assertThat(residency.usedBytes()).isZero();
  }
}
