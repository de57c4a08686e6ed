package io.modelplane.inference.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.Address;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.gateway.PredictFailure.Code;
import io.modelplane.inference.runtime.Tensor;
import io.modelplane.inference.worker.WorkerActor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A worker's node goes away while the worker has a request: the gateway tries another replica (or
 * answers 503) at once instead of waiting out the infer timeout. The "remote" worker lives in a
 * second actor system (its own address), as a worker on another node would.
 */
class WorkerDepartureTest {
  static final ModelKey MODEL = ModelKey.of("acme", "digits");
  static final VersionKey VERSION = new VersionKey(MODEL, 1);
  static final List<TensorSpec> IN = List.of(new TensorSpec("input", "FP32", List.of(-1L, 4L)));
  static final List<TensorSpec> OUT = List.of(new TensorSpec("logits", "FP32", List.of(-1L, 2L)));
  static final Duration INFER_TIMEOUT = Duration.ofSeconds(20);

  static ActorTestKit gatewayNode;
  static ActorTestKit workerNode;

  @BeforeAll
  static void start() {
    gatewayNode = ActorTestKit.create("gateway", ConfigFactory.parseString("akka.loglevel = WARNING"));
    workerNode = ActorTestKit.create("worker", ConfigFactory.parseString("akka.loglevel = WARNING"));
  }

  @AfterAll
  static void stop() {
    workerNode.shutdownTestKit();
    gatewayNode.shutdownTestKit();
  }

  final InferenceGateway gateway = new InferenceGateway(gatewayNode.system(), INFER_TIMEOUT, Duration.ofMillis(300));
  final List<Tensor> inputs = List.of(new Tensor("input", "FP32", new long[] {1, 4}, new byte[16]));
  final AtomicInteger asked = new AtomicInteger();

  /** A worker that takes requests and never answers (its node is about to go away). */
  ActorRef<WorkerActor.Command> silent(ActorTestKit node) {
    return node.spawn(Behaviors.receiveMessage(msg -> {
      asked.incrementAndGet();
      return Behaviors.same();
    }));
  }

  ActorRef<WorkerActor.Command> answering(ActorTestKit node) {
    return node.spawn(Behaviors.receiveMessage(msg -> {
      if (msg instanceof WorkerActor.Infer infer) {
        asked.incrementAndGet();
        infer.replyTo().tell(new WorkerActor.Inferred(
            List.of(new Tensor("logits", "FP32", new long[] {1, 2}, new byte[8])), 5));
      }
      return Behaviors.same();
    }));
  }

  void route(long generation, ActorRef<WorkerActor.Command>... ready) {
    gateway.update(new RoutingTable(generation, List.of(new RoutingTable.ModelRoute(MODEL, 1, Map.of(1, 100),
        Map.of(1, new RoutingTable.VersionRoute(IN, OUT, List.of(ready), null))))));
  }

  static Address addressOf(ActorTestKit node) {
    return node.system().address();
  }

  void awaitAsked(int n) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (asked.get() < n && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertThat(asked).hasValue(n);
  }

  @Test
  void aRequestOnAWorkerWhoseNodeLeftIsTriedOnAnotherReplicaAtOnce() throws Exception {
    route(1, silent(workerNode));
    CompletableFuture<InferenceGateway.Prediction> prediction = gateway.infer(VERSION, inputs).toCompletableFuture();
    awaitAsked(1);
    route(2, silent(workerNode), answering(gatewayNode)); // one more replica, on a node that stays
    assertThat(prediction).isNotDone();

    long left = System.nanoTime();
    gateway.nodeGone(addressOf(workerNode));

    InferenceGateway.Prediction answered = prediction.get(5, TimeUnit.SECONDS);
    assertThat(answered.computeMicros()).isEqualTo(5);
    assertThat(Duration.ofNanos(System.nanoTime() - left)).isLessThan(Duration.ofSeconds(5));
    assertThat(asked).hasValue(2);
  }

  @Test
  void withNoOtherReplicaTheRequestIsAnswered503AtOnce() throws Exception {
    route(1, silent(workerNode));
    CompletableFuture<InferenceGateway.Prediction> prediction = gateway.infer(VERSION, inputs).toCompletableFuture();
    awaitAsked(1);

    gateway.nodeGone(addressOf(workerNode));

    assertThat(prediction).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .satisfies(e -> {
          Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
          assertThat(cause).isInstanceOf(InferenceRejected.class);
          PredictFailure failure = ((InferenceRejected) cause).failure();
          assertThat(failure.code()).isEqualTo(Code.WORKER_UNAVAILABLE);
          assertThat(failure.retryAfterSeconds()).isEqualTo(1);
        });
  }

  @Test
  void replicasOnAGoneNodeGetNoRequestsUntilItIsBack() throws Exception {
    ActorRef<WorkerActor.Command> there = answering(workerNode);
    route(1, there, answering(gatewayNode));
    gateway.nodeGone(addressOf(workerNode));
    for (int i = 0; i < 20; i++) {
      gateway.infer(VERSION, inputs).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    route(2, there); // the table still lists only the gone node's replica: no request is sent to it
    int before = asked.get();
    assertThat(gateway.isReady(VERSION)).isFalse();
    gateway.nodeBack(addressOf(workerNode));
    assertThat(gateway.isReady(VERSION)).isTrue();
    gateway.infer(VERSION, inputs).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(asked).hasValue(before + 1);
  }
}
