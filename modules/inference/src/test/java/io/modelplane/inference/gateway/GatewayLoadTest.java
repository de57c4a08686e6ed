package io.modelplane.inference.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.gateway.PredictFailure.Code;
import io.modelplane.inference.runtime.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a gateway tells placement's autoscaler: each version's load, and requests for versions scaled to zero. */
class GatewayLoadTest {
  static final ModelKey MODEL = ModelKey.of("acme", "digits");
  static final VersionKey PARKED = new VersionKey(MODEL, 1);
  static final VersionKey LOADING = new VersionKey(MODEL, 2);
  static final List<TensorSpec> SIG = List.of(new TensorSpec("input", "FP32", List.of(-1L, 4L)));
  static final List<Tensor> INPUTS = List.of(new Tensor("input", "FP32", new long[] {1, 4}, new byte[16]));

  static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Version 1 scaled to zero, version 2 loading: neither has a ready replica. */
  static InferenceGateway gateway(List<VersionKey> demanded) {
    InferenceGateway gateway = new InferenceGateway(testKit.system(), Duration.ofSeconds(5), Duration.ofMillis(300));
    gateway.onDemand(demanded::add);
    gateway.update(new RoutingTable(1, List.of(new RoutingTable.ModelRoute(MODEL, 1, Map.of(1, 50, 2, 50), Map.of(
        1, new RoutingTable.VersionRoute(SIG, SIG, List.of(), null, true),
        2, new RoutingTable.VersionRoute(SIG, SIG, List.of(), null, false))))));
    return gateway;
  }

  static Code failure(CompletableFuture<?> call) {
    try {
      call.join();
      throw new AssertionError("expected a failure");
    } catch (CompletionException e) {
      return ((InferenceRejected) e.getCause()).failure().code();
    }
  }

  @Test
  void aRequestForAVersionScaledToZeroAsksPlacementOnceAndWaitsUpToTheColdStartTimeout() {
    List<VersionKey> demanded = new CopyOnWriteArrayList<>();
    InferenceGateway gateway = gateway(demanded);

    CompletableFuture<?> first = gateway.infer(PARKED, INPUTS).toCompletableFuture();
    CompletableFuture<?> second = gateway.infer(PARKED, INPUTS).toCompletableFuture();
    CompletableFuture<?> loading = gateway.infer(LOADING, INPUTS).toCompletableFuture();

    assertThat(demanded).as("one wake per second and node, none for a version that is loading anyway")
        .containsExactly(PARKED);
    long start = System.nanoTime();
    assertThat(failure(first)).isEqualTo(Code.MODEL_LOADING); // 503 with Retry-After at the edge
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(200);
    assertThat(failure(second)).isEqualTo(Code.MODEL_LOADING);
    assertThat(failure(loading)).isEqualTo(Code.MODEL_LOADING);
  }

  @Test
  void loadCountsRequestsAndTheirTimeInFlightThenForgetsAnIdleVersion() throws Exception {
    InferenceGateway gateway = gateway(new CopyOnWriteArrayList<>());
    gateway.takeLoad();

    CompletableFuture<?> waiting = gateway.infer(LOADING, INPUTS).toCompletableFuture();
    CompletableFuture<?> alsoWaiting = gateway.infer(LOADING, INPUTS).toCompletableFuture();
    assertThat(gateway.takeLoad()).singleElement().satisfies(load -> {
      assertThat(load.version()).isEqualTo(LOADING);
      assertThat(load.requests()).isEqualTo(2);
      assertThat(load.inFlight()).as("both still waiting").isGreaterThanOrEqualTo(2);
    });

    // each answer completes after its request left the count
    failure(waiting);
    failure(alsoWaiting);
    assertThat(gateway.takeLoad()).singleElement().satisfies(load -> {
      assertThat(load.requests()).as("none arrived since").isZero();
      assertThat(load.inFlight()).as("their waits, averaged over the interval").isGreaterThan(0);
    });
    assertThat(gateway.takeLoad()).isEmpty();
  }
}
