package io.modelplane.inference.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.gateway.PredictFailure.Code;
import io.modelplane.inference.runtime.InvalidInputException;
import io.modelplane.inference.runtime.Tensor;
import io.modelplane.inference.worker.WorkerActor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pipeline end to end without HTTP: hand-written fakes behind its ports (admission, catalog,
 * usage), the real gateway, and real actors as workers that answer as a worker would.
 */
class PredictPipelineTest {
  static final ModelKey MODEL = ModelKey.of("acme", "digits");
  static final PredictPipeline.Caller CALLER = new PredictPipeline.Caller(TenantId.of("acme"), "key-1");
  static final List<TensorSpec> IN = List.of(new TensorSpec("input", "FP32", List.of(-1L, 4L)));
  static final List<TensorSpec> OUT = List.of(new TensorSpec("logits", "FP32", List.of(-1L, 2L)));
  static final Admission.RateLimit LIMITS = new Admission.RateLimit(10, 9, 100_000_000L);
  static final Duration INFER_TIMEOUT = Duration.ofMillis(500);

  static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(ConfigFactory.parseString("akka.loglevel = WARNING"));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  InferenceGateway gateway;
  /** What admission decides next. */
  volatile Admission.Decision decision;
  final AtomicInteger admitted = new AtomicInteger();
  final AtomicInteger released = new AtomicInteger();
  final List<PredictPipeline.Usage> metered = new CopyOnWriteArrayList<>();
  /** The catalog's models: their version numbers. */
  final Map<ModelKey, Set<Integer>> catalog = new java.util.concurrent.ConcurrentHashMap<>();
  /** The versions the catalog's current deployment routes to (absent: no deployment). */
  final Map<ModelKey, Set<Integer>> deployedInCatalog = new java.util.concurrent.ConcurrentHashMap<>();
  PredictPipeline pipeline;
  long generation;

  @BeforeEach
  void setUp() {
    build(Duration.ofMillis(300));
    catalog.put(MODEL, Set.of(1, 2, 3));
  }

  /** The gateway and the pipeline over the fakes, with this cold-start wait. */
  void build(Duration coldStart) {
    build(INFER_TIMEOUT, coldStart);
  }

  void build(Duration inferTimeout, Duration coldStart) {
    gateway = new InferenceGateway(testKit.system(), inferTimeout, coldStart);
    decision = null;
    Admission admission = tenant -> {
      Admission.Decision next = decision;
      if (next != null) {
        return CompletableFuture.completedFuture(next);
      }
      admitted.incrementAndGet();
      return CompletableFuture.completedFuture(new Admission.Permit(LIMITS, released::incrementAndGet));
    };
    ModelCatalog models = model -> CompletableFuture.completedFuture(Optional.ofNullable(catalog.get(model))
        .map(versions -> new ModelCatalog.Entry(versions, deployedInCatalog.getOrDefault(model, Set.of()))));
    pipeline = new PredictPipeline(gateway, admission, models, metered::add);
  }

  // ---- fakes

  /** The inputs of one request, decoded as the edge would; or its failure. */
  static final class FakeInputs implements PredictPipeline.Inputs {
    final List<Tensor> tensors;
    final RuntimeException failure;
    volatile PredictPipeline.Signature decodedFor;
    volatile boolean discarded;

    FakeInputs(List<Tensor> tensors, RuntimeException failure) {
      this.tensors = tensors;
      this.failure = failure;
    }

    @Override
    public CompletionStage<List<Tensor>> decode(PredictPipeline.Signature signature) {
      decodedFor = signature;
      return failure != null ? CompletableFuture.failedFuture(failure) : CompletableFuture.completedFuture(tensors);
    }

    @Override
    public void discard() {
      discarded = true;
    }
  }

  static FakeInputs rows(int rows) {
    return new FakeInputs(List.of(new Tensor("input", "FP32", new long[] {rows, 4}, new byte[rows * 16])), null);
  }

  static Tensor logits(long rows) {
    return new Tensor("logits", "FP32", new long[] {rows, 2}, new byte[(int) rows * 8]);
  }

  /** A worker that answers every Infer as {@code answer} says (null: never), counting them. */
  static ActorRef<WorkerActor.Command> worker(Function<WorkerActor.Infer, WorkerActor.InferResult> answer,
      AtomicInteger asked) {
    Behavior<WorkerActor.Command> behavior = Behaviors.receiveMessage(msg -> {
      if (msg instanceof WorkerActor.Infer infer) {
        asked.incrementAndGet();
        WorkerActor.InferResult result = answer.apply(infer);
        if (result != null) {
          infer.replyTo().tell(result);
        }
      }
      return Behaviors.same();
    });
    return testKit.spawn(behavior);
  }

  static WorkerActor.InferResult echo(WorkerActor.Infer infer) {
    return new WorkerActor.Inferred(List.of(logits(infer.inputs().get(0).shape()[0])), 7);
  }

  /** Publishes a table routing {@link #MODEL} by {@code traffic} to the versions' routes. */
  void route(Map<Integer, Integer> traffic, Map<Integer, RoutingTable.VersionRoute> versions) {
    gateway.update(new RoutingTable(++generation, List.of(new RoutingTable.ModelRoute(MODEL, 1, traffic, versions))));
  }

  static RoutingTable.VersionRoute ready(ActorRef<WorkerActor.Command>... workers) {
    return new RoutingTable.VersionRoute(IN, OUT, List.of(workers), null);
  }

  PredictPipeline.Result predict(Integer version, PredictPipeline.Inputs inputs) {
    return pipeline.predict(CALLER, new PredictPipeline.Request(MODEL, version, inputs)).toCompletableFuture()
        .orTimeout(10, TimeUnit.SECONDS).join();
  }

  PredictFailure failed(Integer version, PredictPipeline.Inputs inputs) {
    PredictPipeline.Result result = predict(version, inputs);
    assertThat(result).isInstanceOf(PredictPipeline.Failed.class);
    PredictFailure failure = ((PredictPipeline.Failed) result).failure();
    assertThat(result.usage().failure()).isEqualTo(failure);
    return failure;
  }

  void assertEveryPermitReleased() {
    assertThat(released.get()).as("permits released").isEqualTo(admitted.get());
  }

  // ---- the way through

  @Test
  void anAdmittedCallIsRoutedInferredAndMetered() {
    AtomicInteger asked = new AtomicInteger();
    route(Map.of(1, 100), Map.of(1, ready(worker(PredictPipelineTest::echo, asked))));
    FakeInputs inputs = rows(3);

    PredictPipeline.Result result = predict(null, inputs);

    assertThat(result).isInstanceOf(PredictPipeline.Predicted.class);
    PredictPipeline.Predicted predicted = (PredictPipeline.Predicted) result;
    assertThat(predicted.version()).isEqualTo(new VersionKey(MODEL, 1));
    assertThat(predicted.outputs()).containsExactly(logits(3));
    assertThat(predicted.computeMicros()).isEqualTo(7);
    assertThat(predicted.rateLimit()).isEqualTo(LIMITS);
    assertThat(inputs.decodedFor).isEqualTo(new PredictPipeline.Signature(IN, OUT));
    assertThat(asked).hasValue(1);
    assertThat(admitted).hasValue(1);
    assertEveryPermitReleased();
    assertThat(metered).hasSize(1);
    assertThat(metered.get(0)).usingRecursiveComparison().ignoringFields("latencyMicros")
        .isEqualTo(new PredictPipeline.Usage(CALLER, MODEL, 1, null, 3, 7, 0));
    assertThat(metered.get(0).latencyMicros()).isNotNegative();
  }

  @Test
  void theMeteredLatencyCoversTheWholeCallUpToItsAnswer() {
    List<Tensor> tensors = rows(2).tensors;
    PredictPipeline.Inputs slowInputs = signature -> CompletableFuture.supplyAsync(() -> tensors,
        CompletableFuture.delayedExecutor(60, TimeUnit.MILLISECONDS));
    route(Map.of(1, 100), Map.of(1, ready(worker(PredictPipelineTest::echo, new AtomicInteger()))));

    assertThat(predict(null, slowInputs)).isInstanceOf(PredictPipeline.Predicted.class);

    assertThat(metered).hasSize(1);
    assertThat(metered.get(0).latencyMicros()).isBetween(60_000L, 10_000_000L);
  }

  @Test
  void aReplicaThatLostItsModelIsRetriedOnceOnAnother() {
    AtomicInteger lostAsked = new AtomicInteger();
    AtomicInteger goodAsked = new AtomicInteger();
    ActorRef<WorkerActor.Command> lost = worker(infer ->
        new WorkerActor.InferFailed(WorkerActor.Reason.MODEL_NOT_RESIDENT, "unloaded"), lostAsked);
    ActorRef<WorkerActor.Command> good = worker(PredictPipelineTest::echo, goodAsked);
    route(Map.of(1, 100), Map.of(1, ready(lost, good)));

    // ties go to a random replica: over 40 calls the one that lost the model is picked first many times
    for (int i = 0; i < 40; i++) {
      assertThat(predict(1, rows(1))).isInstanceOf(PredictPipeline.Predicted.class);
    }
    assertThat(lostAsked.get()).isPositive();
    assertThat(goodAsked).hasValue(40);
    assertEveryPermitReleased();
    assertThat(metered).hasSize(40).allMatch(u -> u.failure() == null && u.version() == 1);

    // the only replica lost it and none other comes within the cold-start wait (300 ms here)
    route(Map.of(1, 100), Map.of(1, ready(lost)));
    long started = System.nanoTime();
    PredictFailure failure = failed(1, rows(1));
    assertThat(failure.code()).isEqualTo(Code.MODEL_NOT_RESIDENT);
    assertThat(failure.retryAfterSeconds()).isEqualTo(1);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
    assertEveryPermitReleased();
  }

  @Test
  void aReplicaThatLostItsModelBeforeThisNodeSawItsSuccessorWaitsForTheSuccessor() {
    // a drain: the successor is loaded before the old replica unloads, but this node's table lags behind
    build(Duration.ofSeconds(20), Duration.ofSeconds(60));
    AtomicInteger lostAsked = new AtomicInteger();
    AtomicInteger goodAsked = new AtomicInteger();
    ActorRef<WorkerActor.Command> lost = worker(infer ->
        new WorkerActor.InferFailed(WorkerActor.Reason.MODEL_NOT_RESIDENT, "unloaded"), lostAsked);
    ActorRef<WorkerActor.Command> good = worker(PredictPipelineTest::echo, goodAsked);
    route(Map.of(1, 100), Map.of(1, ready(lost)));

    CompletableFuture<PredictPipeline.Result> call = pipeline.predict(CALLER,
        new PredictPipeline.Request(MODEL, 1, rows(1))).toCompletableFuture();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (lostAsked.get() == 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(lostAsked).hasValue(1);
    assertThat(call).isNotDone();
    route(Map.of(1, 100), Map.of(1, ready(lost, good)));

    assertThat(call).succeedsWithin(Duration.ofSeconds(5)).isInstanceOf(PredictPipeline.Predicted.class);
    assertThat(goodAsked).hasValue(1);
    assertThat(lostAsked).hasValue(1);
    assertEveryPermitReleased();
  }

  @Test
  void theTrafficSplitIsHonoured() {
    AtomicInteger one = new AtomicInteger();
    AtomicInteger two = new AtomicInteger();
    route(Map.of(1, 80, 2, 20), Map.of(1, ready(worker(PredictPipelineTest::echo, one)),
        2, ready(worker(PredictPipelineTest::echo, two))));

    int calls = 1000;
    for (int i = 0; i < calls; i++) {
      predict(null, rows(1));
    }
    // 80 % expected: binomial sd is ~13 calls, the bounds are more than 7 sd wide
    assertThat(one.get()).isBetween(700, 900);
    assertThat(one.get() + two.get()).isEqualTo(calls);
    assertThat(metered.stream().filter(u -> u.version() == 2).count()).isEqualTo(two.get());
    assertEveryPermitReleased();
  }

  // ---- refusals: each a typed failure, the permit released, the call metered

  @Test
  void admissionRefusalsAreTypedAndNothingElseRuns() {
    AtomicInteger asked = new AtomicInteger();
    route(Map.of(1, 100), Map.of(1, ready(worker(PredictPipelineTest::echo, asked))));
    Map<Admission.Reason, Code> expected = Map.of(Admission.Reason.RATE_LIMITED, Code.RATE_LIMITED,
        Admission.Reason.CONCURRENCY_LIMITED, Code.CONCURRENCY_LIMITED,
        Admission.Reason.BUDGET_EXHAUSTED, Code.BUDGET_EXHAUSTED);
    expected.forEach((reason, code) -> {
      decision = new Admission.Refusal(reason, "no, " + reason, 1_500_000_000L, LIMITS);
      FakeInputs inputs = rows(1);
      PredictPipeline.Result result = predict(null, inputs);
      PredictFailure failure = ((PredictPipeline.Failed) result).failure();
      assertThat(failure.code()).isEqualTo(code);
      assertThat(failure.code().isAdmission()).isTrue();
      assertThat(failure.message()).isEqualTo("no, " + reason);
      assertThat(failure.retryAfterSeconds()).isEqualTo(2); // 1.5 s, rounded up
      assertThat(result.rateLimit()).isEqualTo(LIMITS);
      assertThat(inputs.discarded).isTrue();
      assertThat(inputs.decodedFor).isNull();
    });
    assertThat(asked).hasValue(0);
    assertThat(admitted).hasValue(0);
    assertThat(metered).hasSize(3).allMatch(u -> u.model().equals(MODEL) && u.version() == null && u.items() == 0);
  }

  @Test
  void modelsAndVersionsThatAreNotThereAreTyped() {
    ModelKey other = ModelKey.of("acme", "nope");
    FakeInputs inputs = rows(1);
    PredictPipeline.Result notFound = pipeline.predict(CALLER, new PredictPipeline.Request(other, null, inputs))
        .toCompletableFuture().join();
    assertThat(((PredictPipeline.Failed) notFound).failure().code()).isEqualTo(Code.MODEL_NOT_FOUND);
    assertThat(inputs.discarded).isTrue();
    // made-up names are metered without their name
    assertThat(notFound.usage().model()).isNull();

    catalog.put(other, Set.of(1));
    assertThat(((PredictPipeline.Failed) pipeline.predict(CALLER, new PredictPipeline.Request(other, null, rows(1)))
        .toCompletableFuture().join()).failure().code()).isEqualTo(Code.MODEL_NOT_DEPLOYED);

    route(Map.of(1, 100), Map.of(1, ready(worker(PredictPipelineTest::echo, new AtomicInteger()))));
    assertThat(failed(2, rows(1)).code()).isEqualTo(Code.VERSION_NOT_DEPLOYED);
    PredictFailure missing = failed(9, rows(1));
    assertThat(missing.code()).isEqualTo(Code.VERSION_NOT_FOUND);
    assertThat(missing.message()).contains("version 9");
    assertThat(metered).hasSize(4).allMatch(u -> u.version() == null);
    assertThat(metered.subList(2, 4)).allMatch(u -> u.model().equals(MODEL));
    assertEveryPermitReleased();
    assertThat(admitted).hasValue(4);
  }

  /** A call waiting for a version's first replica is let go as soon as a newer table stops routing that version. */
  @Test
  void aCallWaitingForAVersionThatANewDeploymentDropsIsToldToRetryAtOnce() {
    build(Duration.ofSeconds(60)); // far past this test: only the new table can end the wait
    route(Map.of(1, 100), Map.of(1, new RoutingTable.VersionRoute(IN, OUT, List.of(), null)));
    CompletableFuture<PredictPipeline.Result> waiting =
        pipeline.predict(CALLER, new PredictPipeline.Request(MODEL, null, rows(1))).toCompletableFuture();
    assertThat(waiting).isNotDone();
    route(Map.of(2, 100), Map.of(2, ready(worker(PredictPipelineTest::echo, new AtomicInteger()))));
    PredictPipeline.Result result = waiting.orTimeout(5, TimeUnit.SECONDS).join();
    PredictFailure failure = ((PredictPipeline.Failed) result).failure();
    assertThat(failure.code()).isEqualTo(Code.MODEL_LOADING);
    assertThat(failure.message()).contains("deployment changed");
    assertThat(failure.retryAfterSeconds()).isEqualTo(1);
    assertThat(predict(null, rows(1))).isInstanceOf(PredictPipeline.Predicted.class);
    assertEveryPermitReleased();
  }

  /** Deployed in the journal but not yet in the routing table (the feed trails by a fraction of a second). */
  @Test
  void aDeploymentOnItsWayToTheRoutingTableIsRetriableNotMissing() {
    ModelKey fresh = ModelKey.of("acme", "fresh");
    catalog.put(fresh, Set.of(1, 2));
    deployedInCatalog.put(fresh, Set.of(1));
    PredictFailure placing = ((PredictPipeline.Failed) pipeline.predict(CALLER,
        new PredictPipeline.Request(fresh, null, rows(1))).toCompletableFuture().join()).failure();
    assertThat(placing.code()).isEqualTo(Code.MODEL_LOADING);
    assertThat(placing.retryAfterSeconds()).isEqualTo(1);

    // a new revision routes version 2 in the journal; the table still routes version 1 only
    route(Map.of(1, 100), Map.of(1, ready(worker(PredictPipelineTest::echo, new AtomicInteger()))));
    deployedInCatalog.put(MODEL, Set.of(2));
    assertThat(failed(2, rows(1)).code()).isEqualTo(Code.MODEL_LOADING);
    assertEveryPermitReleased();
  }

  @Test
  void noCapacityIsTypedWithWhenToRetry() {
    // the tenant's resident-bytes quota leaves no room: lasts until the deployment or quota changes
    route(Map.of(1, 100), Map.of(1, new RoutingTable.VersionRoute(IN, OUT, List.of(),
        new RoutingTable.Unservable(RoutingTable.UnservableReason.QUOTA_EXCEEDED, "version 1 cannot be loaded"))));
    PredictFailure quota = failed(null, rows(1));
    assertThat(quota.code()).isEqualTo(Code.QUOTA_EXCEEDED);
    assertThat(quota.retryAfterSeconds()).isEqualTo(30);

    route(Map.of(1, 100), Map.of(1, new RoutingTable.VersionRoute(IN, OUT, List.of(),
        new RoutingTable.Unservable(RoutingTable.UnservableReason.MODEL_FAILED, "version 1 failed to load"))));
    assertThat(failed(null, rows(1)).code()).isEqualTo(Code.MODEL_FAILED);

    // no replica ready within the cold-start wait
    route(Map.of(1, 100), Map.of(1, new RoutingTable.VersionRoute(IN, OUT, List.of(), null)));
    PredictFailure loading = failed(null, rows(1));
    assertThat(loading.code()).isEqualTo(Code.MODEL_LOADING);
    assertThat(loading.retryAfterSeconds()).isEqualTo(1);

    // the replica's queue is full
    route(Map.of(1, 100), Map.of(1, ready(worker(infer ->
        new WorkerActor.InferFailed(WorkerActor.Reason.CAPACITY_EXCEEDED, "queue full"), new AtomicInteger()))));
    assertThat(failed(null, rows(1)).code()).isEqualTo(Code.CAPACITY_EXCEEDED);

    assertThat(metered).hasSize(4).allMatch(u -> u.version() == 1 && u.failure() != null);
    assertEveryPermitReleased();
  }

  @Test
  void aModelThatDoesNotAnswerInTimeIsATimeout() {
    route(Map.of(1, 100), Map.of(1, ready(worker(infer -> null, new AtomicInteger()))));
    PredictFailure failure = failed(null, rows(2));
    assertThat(failure.code()).isEqualTo(Code.INFERENCE_TIMEOUT);
    assertThat(failure.message()).contains(INFER_TIMEOUT.toMillis() + " ms");
    assertThat(metered).singleElement().satisfies(u -> assertThat(u.items()).isEqualTo(2));
    assertEveryPermitReleased();
  }

  @Test
  void invalidInputIsTypedWithTheInputsFault() {
    AtomicInteger asked = new AtomicInteger();
    route(Map.of(1, 100), Map.of(1, ready(worker(PredictPipelineTest::echo, asked))));
    InvalidInputException wrong = InvalidInputException.unprocessable(InvalidInputException.SHAPE_MISMATCH, "bad shape");
    PredictFailure failure = failed(null, new FakeInputs(null, wrong));
    assertThat(failure.code()).isEqualTo(Code.INVALID_INPUT);
    assertThat(failure.cause()).isSameAs(wrong);
    assertThat(asked).hasValue(0);

    // the model itself refusing the input, and failing on it
    route(Map.of(1, 100), Map.of(1, ready(worker(infer -> new WorkerActor.InferFailed(WorkerActor.Reason.INVALID_INPUT,
        "the model wants more", new WorkerActor.InvalidInput(InvalidInputException.Kind.UNPROCESSABLE, "invalid_input")),
        new AtomicInteger()))));
    PredictFailure byModel = failed(null, rows(1));
    assertThat(byModel.code()).isEqualTo(Code.INVALID_INPUT);
    assertThat(((InvalidInputException) byModel.cause()).code()).isEqualTo("invalid_input");
    route(Map.of(1, 100), Map.of(1, ready(worker(infer ->
        new WorkerActor.InferFailed(WorkerActor.Reason.MODEL_ERROR, "boom"), new AtomicInteger()))));
    assertThat(failed(null, rows(1)).code()).isEqualTo(Code.MODEL_ERROR);

    // the edge could not read the request: passed through as its own failure
    IllegalStateException unreadable = new IllegalStateException("body cut short");
    PredictFailure edge = failed(null, new FakeInputs(null, unreadable));
    assertThat(edge.code()).isEqualTo(Code.REQUEST_FAILED);
    assertThat(edge.cause()).isSameAs(unreadable);

    assertThat(metered).hasSize(4).allMatch(u -> u.version() == 1);
    assertEveryPermitReleased();
  }

  @Test
  void outputsTheManifestDoesNotDeclareAreTheModelsFault() {
    route(Map.of(1, 100), Map.of(1, ready(worker(infer -> new WorkerActor.Inferred(
        List.of(new Tensor("probs", "FP32", new long[] {1, 2}, new byte[8])), 11), new AtomicInteger()))));
    PredictFailure failure = failed(null, rows(1));
    assertThat(failure.code()).isEqualTo(Code.OUTPUT_MISMATCH);
    assertThat(failure.message()).contains("probs");
    // the compute was spent: it is metered
    assertThat(metered).singleElement().satisfies(u -> assertThat(u.computeMicros()).isEqualTo(11));
    assertEveryPermitReleased();
  }

  @Test
  void anAdmissionThatFailsIsAFailureNotAnException() {
    Admission broken = tenant -> {
      throw new IllegalStateException("lease table gone");
    };
    PredictPipeline withBroken = new PredictPipeline(gateway, broken, model -> null, metered::add);
    FakeInputs inputs = rows(1);
    PredictPipeline.Result result = withBroken.predict(CALLER, new PredictPipeline.Request(MODEL, null, inputs))
        .toCompletableFuture().join();
    assertThat(((PredictPipeline.Failed) result).failure().code()).isEqualTo(Code.REQUEST_FAILED);
    assertThat(inputs.discarded).isTrue();
    assertThat(metered).hasSize(1);
  }
}
