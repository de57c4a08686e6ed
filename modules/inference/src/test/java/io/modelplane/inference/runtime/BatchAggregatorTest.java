package io.modelplane.inference.runtime;

import static io.modelplane.inference.runtime.TestKeys.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.modelplane.common.TensorSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchAggregatorTest {

  static final Duration WAIT = Duration.ofSeconds(10);
  static final ModelSpec SPEC = FakeModel.spec(key("fake", 1), 100);

  @TempDir
  Path store;

  /** An echo model that records the shape of every batch and can hold its first forward pass. */
  static final class Recorder {
    final List<long[]> batches = new CopyOnWriteArrayList<>();
    final CountDownLatch firstEntered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger calls = new AtomicInteger();
    final boolean holdFirst;

    Recorder(boolean holdFirst) {
      this.holdFirst = holdFirst;
    }

    FakeModel model() {
      return model(echo());
    }

    FakeModel model(UnaryOperator<List<Tensor>> then) {
      return new FakeModel(SPEC, inputs -> {
        batches.add(inputs.get(0).shape());
        if (calls.getAndIncrement() == 0 && holdFirst) {
          firstEntered.countDown();
          await(release);
        }
        return then.apply(inputs);
      });
    }

    List<Long> rows() {
      return batches.stream().map(s -> s[0]).toList();
    }
  }

  static UnaryOperator<List<Tensor>> echo() {
    return inputs -> inputs.stream().map(t -> new Tensor("out", t.datatype(), t.shape(), t.data())).toList();
  }

  static Tensor rows(int n, float value) {
    float[][] rows = new float[n][4];
    for (float[] row : rows) {
      Arrays.fill(row, value);
    }
    return Digits.fp32("input", rows);
  }

  static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("latch released in time").isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
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

  // --- with the real digits model ---

  @Test
  void batchedResultsEqualUnbatchedOnes() {
    float[][] samples = Arrays.copyOf(Digits.heldOut().inputs(), 40);
    try (LoadedModel digits = new ModelLoader().load(Digits.spec(key("digits", 1), Digits.copyModel(store)),
        Device.cpu())) {
      float[][] expected = new float[samples.length][];
      for (int i = 0; i < samples.length; i++) {
        expected[i] = Digits.floats(digits.forward(List.of(Digits.input(samples[i]))).get(0));
      }
      Recorder recorder = new Recorder(true);
      try (BatchAggregator batcher = new BatchAggregator(recorder.model(digits::forward), new BatchSettings(64, 0, 100))) {
        CompletableFuture<Inference> first = batcher.submit(List.of(Digits.input(samples[0])));
        await(recorder.firstEntered);
        // queued behind the held batch: one request of three rows, then one row each
        CompletableFuture<Inference> three =
            batcher.submit(List.of(Digits.input(samples[1], samples[2], samples[3])));
        List<CompletableFuture<Inference>> singles = new ArrayList<>();
        for (int i = 4; i < samples.length; i++) {
          singles.add(batcher.submit(List.of(Digits.input(samples[i]))));
        }
        recorder.release.countDown();

        assertThat(Digits.floats(first.join().outputs().get(0))).containsExactly(expected[0], within(1e-5f));
        Tensor threeRows = three.join().outputs().get(0);
        assertThat(threeRows.name()).isEqualTo("logits");
        assertThat(threeRows.shape()).containsExactly(3, 10);
        float[] got = Digits.floats(threeRows);
        for (int r = 0; r < 3; r++) {
          assertThat(Arrays.copyOfRange(got, r * 10, r * 10 + 10)).containsExactly(expected[1 + r], within(1e-5f));
        }
        // the queued requests ran as one batch: each is billed its rows' share of that forward pass
        long single = singles.get(0).join().computeNanos();
        assertThat(single).isPositive();
        assertThat(three.join().computeNanos()).isBetween(3 * single - 3, 3 * single + 3);
        for (int i = 4; i < samples.length; i++) {
          Tensor logits = singles.get(i - 4).join().outputs().get(0);
          assertThat(logits.shape()).containsExactly(1, 10);
          assertThat(Digits.floats(logits)).containsExactly(expected[i], within(1e-5f));
        }
        assertThat(recorder.rows()).containsExactly(1L, 39L);
        assertThat(batcher.completedBatches()).isEqualTo(2);
        assertThat(batcher.completedItems()).isEqualTo(38);
      }
    }
  }

  @Test
  void manyConcurrentCallersEachGetTheirOwnAnswer() throws Exception {
    float[][] samples = Digits.heldOut().inputs();
    try (LoadedModel digits = new ModelLoader().load(Digits.spec(key("digits", 1), Digits.copyModel(store)),
        Device.cpu())) {
      Tensor all = digits.forward(List.of(Digits.input(samples))).get(0);
      float[] expected = Digits.floats(all);
      ExecutorService callers = Executors.newFixedThreadPool(16);
      try (BatchAggregator batcher = new BatchAggregator(digits, new BatchSettings(32, 1, 1000))) {
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> threads = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
          int thread = t;
          threads.add(CompletableFuture.runAsync(() -> {
            await(start);
            for (int r = 0; r < 200; r++) {
              int i = (thread * 200 + r) % samples.length;
              float[] got = Digits.floats(batcher.submit(List.of(Digits.input(samples[i]))).join().outputs().get(0));
              assertThat(got).containsExactly(Arrays.copyOfRange(expected, i * 10, i * 10 + 10), within(1e-5f));
            }
          }, callers));
        }
        start.countDown();
        CompletableFuture.allOf(threads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        assertThat(batcher.completedItems()).isEqualTo(3200);
        // concurrent callers share forward passes
        assertThat(batcher.completedBatches()).isLessThan(3200);
        assertThat(batcher.inFlight()).isZero();
        assertThat(batcher.queueDepth()).isZero();
      } finally {
        callers.shutdownNow();
      }
    }
  }

  // --- batching rules, with fakes ---

  @Test
  void requestsFillBatchesUpToMaxBatchSizeRows() {
    Recorder recorder = new Recorder(true);
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(4, 0, 100))) {
      CompletableFuture<Inference> held = batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      List<CompletableFuture<Inference>> queued = new ArrayList<>();
      int[] sizes = {2, 2, 1, 10, 1, 3};
      for (int i = 0; i < sizes.length; i++) {
        queued.add(batcher.submit(List.of(rows(sizes[i], i + 1))));
      }
      assertThat(batcher.queueDepth()).isEqualTo(6);
      assertThat(batcher.inFlight()).isEqualTo(7);
      recorder.release.countDown();
      assertThat(held).succeedsWithin(WAIT);
      for (int i = 0; i < sizes.length; i++) {
        // each request gets back exactly its own rows
        assertThat(queued.get(i)).succeedsWithin(WAIT).extracting(Inference::outputs).isEqualTo(List.of(
            new Tensor("out", "FP32", new long[] {sizes[i], 4}, rows(sizes[i], i + 1).data())));
      }
      // 2+2 fill a batch; 1 opens the next, 10 does not fit it and runs alone; then 1+3
      assertThat(recorder.rows()).containsExactly(1L, 4L, 1L, 10L, 4L);
      assertThat(batcher.completedBatches()).isEqualTo(5);
      assertThat(batcher.completedItems()).isEqualTo(7);
      assertThat(batcher.inFlight()).isZero();
    }
  }

  @Test
  void requestsWithOtherTrailingDimensionsGoIntoSeparateBatches() {
    Recorder recorder = new Recorder(true);
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(8, 0, 100))) {
      batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      CompletableFuture<Inference> a = batcher.submit(List.of(Digits.fp32("input", new float[3])));
      CompletableFuture<Inference> b = batcher.submit(List.of(Digits.fp32("input", new float[3])));
      CompletableFuture<Inference> c = batcher.submit(List.of(Digits.fp32("input", new float[5])));
      CompletableFuture<Inference> d = batcher.submit(List.of(new Tensor("input", "INT32", new long[] {1, 5},
          new byte[20])));
      recorder.release.countDown();
      assertThat(a).succeedsWithin(WAIT);
      assertThat(b).succeedsWithin(WAIT);
      assertThat(c).succeedsWithin(WAIT);
      assertThat(d).succeedsWithin(WAIT);
      assertThat(recorder.batches).extracting(Arrays::toString)
          .containsExactly("[1, 4]", "[2, 3]", "[1, 5]", "[1, 5]");
    }
  }

  @Test
  void aBatchRunsWhenFullWithoutWaitingForTheDelay() {
    Recorder recorder = new Recorder(false);
    // an hour of delay: only reaching maxBatchSize can end the wait
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(3, 3_600_000, 100))) {
      List<CompletableFuture<Inference>> futures = List.of(
          batcher.submit(List.of(rows(1, 1))), batcher.submit(List.of(rows(1, 2))), batcher.submit(List.of(rows(1, 3))));
      futures.forEach(f -> assertThat(f).succeedsWithin(WAIT));
      assertThat(recorder.rows()).containsExactly(3L);
    }
  }

  @Test
  void aBatchRunsWhenTheDelayHasPassed() {
    Recorder recorder = new Recorder(false);
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(100, 20, 100))) {
      long started = System.nanoTime();
      assertThat(batcher.submit(List.of(rows(1, 1)))).succeedsWithin(WAIT);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(20));
      assertThat(recorder.rows()).containsExactly(1L);
    }
  }

  @Test
  void aFullQueueRefusesAtOnce() {
    Recorder recorder = new Recorder(true);
    BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(8, 0, 3));
    try {
      CompletableFuture<Inference> running = batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      List<CompletableFuture<Inference>> queued = List.of(batcher.submit(List.of(rows(1, 1))),
          batcher.submit(List.of(rows(1, 2))), batcher.submit(List.of(rows(1, 3))));
      CompletableFuture<Inference> refused = batcher.submit(List.of(rows(1, 4)));
      // failed before anything ran: the caller never waits for a full queue
      assertThat(refused).isCompletedExceptionally();
      assertThat(failure(refused)).isInstanceOf(CapacityExceededException.class)
          .hasMessageContaining("acme/fake:1").hasMessageContaining("3 requests");
      assertThat(batcher.queueDepth()).isEqualTo(3);
      assertThat(batcher.inFlight()).isEqualTo(4);
      recorder.release.countDown();
      assertThat(running).succeedsWithin(WAIT);
      queued.forEach(f -> assertThat(f).succeedsWithin(WAIT));
      // room again
      assertThat(batcher.submit(List.of(rows(1, 5)))).succeedsWithin(WAIT);
    } finally {
      recorder.release.countDown();
      batcher.close();
    }
  }

  @Test
  void aFailedForwardFailsOnlyItsBatch() {
    Recorder recorder = new Recorder(true);
    UnaryOperator<List<Tensor>> failOnNegative = inputs -> {
      if (Digits.floats(inputs.get(0))[0] < 0) {
        throw new IllegalStateException("cannot take negative pixels");
      }
      return echo().apply(inputs);
    };
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(failOnNegative), new BatchSettings(2, 0, 100))) {
      CompletableFuture<Inference> held = batcher.submit(List.of(rows(1, 1)));
      await(recorder.firstEntered);
      CompletableFuture<Inference> bad = batcher.submit(List.of(rows(1, -1)));
      CompletableFuture<Inference> sameBatch = batcher.submit(List.of(rows(1, 2)));
      CompletableFuture<Inference> nextBatch = batcher.submit(List.of(rows(1, 3)));
      recorder.release.countDown();
      assertThat(held).succeedsWithin(WAIT);
      assertThat(failure(bad)).isInstanceOf(InferenceException.class)
          .hasMessage("inference on acme/fake:1 failed: cannot take negative pixels")
          .hasCauseInstanceOf(IllegalStateException.class);
      assertThat(failure(sameBatch)).isSameAs(failure(bad));
      assertThat(nextBatch).succeedsWithin(WAIT);
      // the thread keeps serving
      assertThat(batcher.submit(List.of(rows(1, 4)))).succeedsWithin(WAIT);
      assertThat(batcher.inFlight()).isZero();
    }
  }

  @Test
  void runtimeExceptionsFromTheModelPassThroughUnwrapped() {
    InvalidInputException invalid = InvalidInputException.unprocessable("unsupported_datatype", "no INT16 here");
    FakeModel model = new FakeModel(SPEC, inputs -> {
      throw invalid;
    });
    try (BatchAggregator batcher = new BatchAggregator(model, new BatchSettings(4, 0, 10))) {
      assertThat(failure(batcher.submit(List.of(rows(1, 1))))).isSameAs(invalid);
    }
  }

  @Test
  void aFatalErrorStopsTheModelButAnswersEveryone() {
    Recorder recorder = new Recorder(true);
    UnaryOperator<List<Tensor>> outOfMemory = inputs -> {
      throw new OutOfMemoryError("test: native heap exhausted");
    };
    BatchAggregator batcher = new BatchAggregator(recorder.model(outOfMemory), new BatchSettings(1, 0, 10));
    try {
      CompletableFuture<Inference> held = batcher.submit(List.of(rows(1, 1)));
      await(recorder.firstEntered);
      CompletableFuture<Inference> queued = batcher.submit(List.of(rows(1, 2)));
      recorder.release.countDown();
      assertThat(failure(held)).isInstanceOf(InferenceException.class).hasCauseInstanceOf(OutOfMemoryError.class);
      assertThat(failure(queued)).isInstanceOf(ModelNotResidentException.class);
      assertThat(failure(batcher.submit(List.of(rows(1, 3))))).isInstanceOf(ModelNotResidentException.class);
      assertThat(batcher.inFlight()).isZero();
    } finally {
      batcher.close();
    }
  }

  @Test
  void outputsWithoutTheBatchDimensionCannotBeBatched() {
    Recorder recorder = new Recorder(true);
    Tensor fixed = rows(1, 9);
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(inputs -> List.of(fixed)),
        new BatchSettings(4, 0, 10))) {
      CompletableFuture<Inference> alone = batcher.submit(List.of(rows(1, 1)));
      await(recorder.firstEntered);
      CompletableFuture<Inference> a = batcher.submit(List.of(rows(1, 2)));
      CompletableFuture<Inference> b = batcher.submit(List.of(rows(1, 3)));
      recorder.release.countDown();
      // alone, the output is passed through as it is
      assertThat(alone).succeedsWithin(WAIT).extracting(Inference::outputs).isEqualTo(List.of(fixed));
      assertThat(failure(a)).isInstanceOf(InferenceException.class).hasMessageContaining("cannot be batched");
      assertThat(failure(b)).isInstanceOf(InferenceException.class);
    }
  }

  @Test
  void malformedSubmissionsFailWithoutQueueing() {
    try (BatchAggregator batcher = new BatchAggregator(FakeModel.echo(SPEC), new BatchSettings(4, 0, 10))) {
      assertThat(failure(batcher.submit(List.of()))).isInstanceOfSatisfying(InvalidInputException.class,
          e -> assertThat(e.code()).isEqualTo("invalid_input"));
      assertThat(failure(batcher.submit(List.of(rows(2, 1), new Tensor("mask", "BOOL", new long[] {3}, new byte[3])))))
          .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.code()).isEqualTo("shape_mismatch"));
      assertThat(failure(batcher.submit(List.of(new Tensor("s", "FP32", new long[] {}, new byte[4])))))
          .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.code()).isEqualTo("shape_mismatch"));
      assertThat(batcher.inFlight()).isZero();
      assertThat(batcher.completedBatches()).isZero();
    }
  }

  @Test
  void abandonedRequestsAreNotRun() {
    Recorder recorder = new Recorder(true);
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(8, 0, 10))) {
      batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      CompletableFuture<Inference> abandoned = batcher.submit(List.of(rows(1, 1)));
      CompletableFuture<Inference> wanted = batcher.submit(List.of(rows(2, 2)));
      abandoned.cancel(false);
      recorder.release.countDown();
      assertThat(wanted).succeedsWithin(WAIT);
      assertThat(recorder.rows()).containsExactly(1L, 2L);
      assertThat(batcher.inFlight()).isZero();
      assertThat(batcher.queueDepth()).isZero();
    }
  }

  @Test
  void requestsWhoseDeadlinePassedWhileQueuedAreDroppedUnrun() throws Exception {
    Recorder recorder = new Recorder(true);
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(8, 0, 10))) {
      CompletableFuture<Inference> slow = batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      long now = System.nanoTime();
      CompletableFuture<Inference> late = batcher.submit(List.of(rows(3, 1)), now + TimeUnit.MILLISECONDS.toNanos(50));
      CompletableFuture<Inference> inTime = batcher.submit(List.of(rows(2, 2)), now + TimeUnit.SECONDS.toNanos(30));
      Thread.sleep(150); // the slow forward pass outlives the first deadline
      recorder.release.countDown();

      assertThat(slow).succeedsWithin(WAIT);
      assertThat(failure(late)).isInstanceOf(DeadlineExceededException.class).hasMessageContaining("not run");
      assertThat(inTime).succeedsWithin(WAIT);
      // the expired request never reached the model: only the slow one and the one still in time ran
      assertThat(recorder.rows()).containsExactly(1L, 2L);
      assertThat(batcher.expiredRequests()).isEqualTo(1);
      assertThat(batcher.completedItems()).isEqualTo(2);
      assertThat(batcher.inFlight()).isZero();
      assertThat(batcher.queueDepth()).isZero();
    }
  }

  @Test
  void aRequestWhoseDeadlinePassesWhileItsBatchGathersIsNotRun() throws Exception {
    Recorder recorder = new Recorder(false);
    // a long gathering delay, a short deadline: the request expires before its batch runs
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(8, 300, 10))) {
      CompletableFuture<Inference> late = batcher.submit(List.of(rows(1, 1)),
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
      assertThat(failure(late)).isInstanceOf(DeadlineExceededException.class);
      assertThat(recorder.calls.get()).isZero();
      assertThat(batcher.inFlight()).isZero();
    }
  }

  @Test
  void theRunningForwardPassIsTimedWhileItRuns() {
    Recorder recorder = new Recorder(true);
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(8, 0, 10))) {
      assertThat(batcher.runningForwardNanos()).isZero();
      CompletableFuture<Inference> slow = batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      long first = batcher.runningForwardNanos();
      assertThat(first).isPositive();
      sleep(20);
      assertThat(batcher.runningForwardNanos()).isGreaterThan(first + TimeUnit.MILLISECONDS.toNanos(10));
      recorder.release.countDown();
      assertThat(slow).succeedsWithin(WAIT);
      assertThat(batcher.runningForwardNanos()).isZero();
    }
  }

  @Test
  void newSettingsApplyToTheNextBatches() {
    Recorder recorder = new Recorder(true);
    try (BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(1, 0, 1))) {
      batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      assertThat(batcher.submit(List.of(rows(1, 1)))).isNotCompletedExceptionally();
      assertThat(failure(batcher.submit(List.of(rows(1, 1))))).isInstanceOf(CapacityExceededException.class);
      batcher.updateSettings(new BatchSettings(4, 0, 10));
      assertThat(batcher.settings()).isEqualTo(new BatchSettings(4, 0, 10));
      List<CompletableFuture<Inference>> more = List.of(batcher.submit(List.of(rows(1, 2))),
          batcher.submit(List.of(rows(1, 3))), batcher.submit(List.of(rows(1, 4))));
      recorder.release.countDown();
      more.forEach(f -> assertThat(f).succeedsWithin(WAIT));
      assertThat(recorder.rows()).containsExactly(1L, 4L);
    }
  }

  @Test
  void closeFailsWaitingRequestsAtOnceAndLetsTheRunningBatchFinish() throws Exception {
    Recorder recorder = new Recorder(true);
    BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(1, 0, 10));
    CompletableFuture<Inference> running = batcher.submit(List.of(rows(1, 0)));
    await(recorder.firstEntered);
    List<CompletableFuture<Inference>> waiting = List.of(batcher.submit(List.of(rows(1, 1))),
        batcher.submit(List.of(rows(1, 2))));
    CompletableFuture<Void> closing = CompletableFuture.runAsync(batcher::close);
    // the waiting ones hear while the running batch still runs
    for (CompletableFuture<Inference> f : waiting) {
      assertThat(failure(f)).isInstanceOf(ModelNotResidentException.class).hasMessage("model unloaded: acme/fake:1");
    }
    assertThat(running).isNotDone();
    assertThat(closing).isNotDone();
    recorder.release.countDown();
    assertThat(running).succeedsWithin(WAIT);
    closing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(failure(batcher.submit(List.of(rows(1, 3))))).isInstanceOf(ModelNotResidentException.class);
    assertThat(batcher.inFlight()).isZero();
    assertThat(batcher.queueDepth()).isZero();
    batcher.close();
    assertThat(recorder.calls).hasValue(1);
  }

  @Test
  void closeIfIdleNeverClosesAModelWithRequestsInFlight() {
    Recorder recorder = new Recorder(true);
    BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(1, 0, 10));
    try {
      CompletableFuture<Inference> running = batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      assertThat(batcher.closeIfIdle()).isFalse();
      recorder.release.countDown();
      assertThat(running).succeedsWithin(WAIT);
      assertThat(batcher.closeIfIdle()).isTrue();
      assertThat(batcher.isClosed()).isTrue();
      assertThat(failure(batcher.submit(List.of(rows(1, 1))))).isInstanceOf(ModelNotResidentException.class);
    } finally {
      recorder.release.countDown();
      batcher.close();
    }
  }

  @Test
  void anInterruptedBatchThreadLeavesNobodyWaiting() throws Exception {
    Recorder recorder = new Recorder(true);
    List<Thread> seen = new CopyOnWriteArrayList<>();
    BatchAggregator batcher = new BatchAggregator(recorder.model(inputs -> {
      seen.add(Thread.currentThread());
      return echo().apply(inputs);
    }), new BatchSettings(1, 0, 10));
    try {
      CompletableFuture<Inference> running = batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      CompletableFuture<Inference> waiting = batcher.submit(List.of(rows(1, 1)));
      batcher.updateSettings(new BatchSettings(8, 3_600_000, 10));
      recorder.release.countDown();
      assertThat(running).succeedsWithin(WAIT);
      // the thread now gathers behind `waiting` for up to an hour (or is about to)
      seen.get(0).interrupt();
      // answered either way: run (if it was being gathered) or refused (if it was still queued)
      assertThat(waiting.handle((outputs, e) -> e == null || e instanceof ModelNotResidentException))
          .succeedsWithin(WAIT).isEqualTo(true);
      assertThat(batcher.isClosed()).isTrue();
      assertThat(failure(batcher.submit(List.of(rows(1, 2))))).isInstanceOf(ModelNotResidentException.class);
      assertThat(batcher.inFlight()).isZero();
    } finally {
      batcher.close();
    }
  }

  @Test
  void closeEndsABatchBeingGatheredAtOnce() throws Exception {
    Recorder recorder = new Recorder(false);
    // an hour of delay: only close() can end this batch's gathering early
    BatchAggregator batcher = new BatchAggregator(recorder.model(), new BatchSettings(8, 3_600_000, 10));
    CompletableFuture<Inference> gathered = batcher.submit(List.of(rows(1, 0)));
    CompletableFuture<Void> closing = CompletableFuture.runAsync(batcher::close);
    closing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(failure(gathered)).isInstanceOf(ModelNotResidentException.class);
    assertThat(recorder.calls).hasValue(0);
    assertThat(batcher.inFlight()).isZero();
  }

  @Test
  void servesOnSharedNamedDaemonThreadsThatIdleVersionsDoNotHold() {
    List<Thread> seen = new CopyOnWriteArrayList<>();
    List<BatchAggregator> versions = new ArrayList<>();
    try {
      for (int v = 0; v < 200; v++) {
        versions.add(new BatchAggregator(new FakeModel(FakeModel.spec(key("fake", v + 1), 100), inputs -> {
          seen.add(Thread.currentThread());
          return echo().apply(inputs);
        }), new BatchSettings(1, 0, 10)));
      }
      // one request at a time, each to another version: a thread per version would show 200 threads
      for (int round = 0; round < 2; round++) {
        for (int v = 0; v < versions.size(); v++) {
          assertThat(versions.get(v).submit(List.of(rows(1, v)))).succeedsWithin(WAIT);
        }
      }
    } finally {
      versions.forEach(BatchAggregator::close);
    }
    assertThat(seen).hasSize(400).allMatch(Thread::isDaemon).allMatch(t -> t.getName().startsWith("modelplane-batch"));
    assertThat(seen.stream().distinct().count()).isLessThan(20);
  }

  @Test
  void aSlowModelDoesNotHoldUpAnotherVersion() {
    Recorder slow = new Recorder(true);
    Recorder other = new Recorder(false);
    try (BatchAggregator held = new BatchAggregator(slow.model(), new BatchSettings(1, 0, 10));
        BatchAggregator free = new BatchAggregator(other.model(), new BatchSettings(1, 0, 10))) {
      CompletableFuture<Inference> stuck = held.submit(List.of(rows(1, 0)));
      await(slow.firstEntered);
      // the held forward pass keeps its thread; the other version is served on another one meanwhile
      for (int i = 0; i < 5; i++) {
        assertThat(free.submit(List.of(rows(1, i)))).succeedsWithin(WAIT);
      }
      assertThat(stuck).isNotDone();
      slow.release.countDown();
      assertThat(stuck).succeedsWithin(WAIT);
    } finally {
      slow.release.countDown();
    }
  }

  @Test
  void aModelThatSplitsItsThreadsRunsBatchesSideBySideUnderLoad() throws Exception {
    CountDownLatch bothEntered = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    List<Thread> threads = new CopyOnWriteArrayList<>();
    FakeModel model = new FakeModel(SPEC, inputs -> {
      threads.add(Thread.currentThread());
      bothEntered.countDown();
      await(release);
      return echo().apply(inputs);
    }).parallel(2);
    BatchAggregator batcher = new BatchAggregator(model, new BatchSettings(1, 0, 10));
    try {
      List<CompletableFuture<Inference>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(batcher.submit(List.of(rows(1, i))));
      }
      // two passes at once, on two threads; the one that started beside the other was told it shares the engine
      await(bothEntered);
      assertThat(threads).hasSize(2).doesNotHaveDuplicates();
      assertThat(model.runningSeen).hasSize(2).contains(2);
      assertThat(batcher.runningForwardNanos()).isPositive();
      // never more than the model allows: the other two wait
      assertThat(batcher.queueDepth()).isEqualTo(2);
      CompletableFuture<Void> closing = CompletableFuture.runAsync(batcher::close);
      for (CompletableFuture<Inference> waiting : calls.subList(2, 4)) {
        assertThat(failure(waiting)).isInstanceOf(ModelNotResidentException.class);
      }
      // close waits for both running passes
      assertThat(closing).isNotDone();
      release.countDown();
      calls.subList(0, 2).forEach(f -> assertThat(f).succeedsWithin(WAIT));
      closing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(threads).hasSize(2);
      assertThat(batcher.inFlight()).isZero();
      assertThat(batcher.runningForwardNanos()).isZero();
    } finally {
      release.countDown();
      batcher.close();
    }
  }

  @Test
  void requestsOneAtATimeRunAloneWithTheWholeEngine() {
    FakeModel model = FakeModel.echo(SPEC).parallel(2);
    try (BatchAggregator batcher = new BatchAggregator(model, new BatchSettings(8, 0, 10))) {
      for (int i = 0; i < 5; i++) {
        assertThat(batcher.submit(List.of(rows(1, i)))).succeedsWithin(WAIT);
      }
    }
    assertThat(model.runningSeen).hasSize(5).containsOnly(1);
  }

  @Test
  void aModelThatDoesNotSplitItsThreadsRunsOneBatchAtATime() {
    Recorder recorder = new Recorder(true);
    FakeModel model = recorder.model();
    BatchAggregator batcher = new BatchAggregator(model, new BatchSettings(1, 0, 10));
    try {
      CompletableFuture<Inference> first = batcher.submit(List.of(rows(1, 0)));
      await(recorder.firstEntered);
      List<CompletableFuture<Inference>> queued = List.of(batcher.submit(List.of(rows(1, 1))),
          batcher.submit(List.of(rows(1, 2))));
      assertThat(batcher.queueDepth()).isEqualTo(2);
      recorder.release.countDown();
      assertThat(first).succeedsWithin(WAIT);
      queued.forEach(f -> assertThat(f).succeedsWithin(WAIT));
      assertThat(model.runningSeen).containsExactly(1, 1, 1);
    } finally {
      recorder.release.countDown();
      batcher.close();
    }
  }

  @Test
  void multiInputRequestsAreConcatenatedInputByInput() {
    List<TensorSpec> two = List.of(new TensorSpec("a", "FP32", List.of(-1L, 4L)),
        new TensorSpec("b", "INT64", List.of(-1L, 1L)));
    ModelSpec spec = new ModelSpec(key("two", 1), Path.of("/nowhere"), "torchscript", two, two, 1);
    List<List<Tensor>> seen = new CopyOnWriteArrayList<>();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    FakeModel model = new FakeModel(spec, inputs -> {
      seen.add(inputs);
      entered.countDown();
      await(release);
      return inputs;
    });
    try (BatchAggregator batcher = new BatchAggregator(model, new BatchSettings(8, 0, 10))) {
      batcher.submit(List.of(rows(1, 0), longs(0)));
      await(entered);
      CompletableFuture<Inference> x = batcher.submit(List.of(rows(2, 1), longs(10, 11)));
      CompletableFuture<Inference> y = batcher.submit(List.of(rows(1, 2), longs(20)));
      release.countDown();
      assertThat(x).succeedsWithin(WAIT).extracting(Inference::outputs).isEqualTo(List.of(rows(2, 1), longs(10, 11)));
      assertThat(y).succeedsWithin(WAIT).extracting(Inference::outputs).isEqualTo(List.of(rows(1, 2), longs(20)));
      assertThat(seen.get(1).get(1)).isEqualTo(longs(10, 11, 20));
    }
  }

  static Tensor longs(long... values) {
    java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(values.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      data.putLong(v);
    }
    return new Tensor("input", "INT64", new long[] {values.length, 1}, data.array());
  }
}
