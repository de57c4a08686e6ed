package io.modelplane.inference.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelplane.inference.placement.Autoscaler.Bounds;
import io.modelplane.inference.placement.Autoscaler.Sample;
import io.modelplane.inference.placement.Autoscaler.Settings;
import io.modelplane.inference.placement.Autoscaler.Step;
import io.modelplane.inference.placement.Autoscaler.VersionState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The policy over simulated load traces: one sample every 5 s, as the coordinator takes them. */
class AutoscalerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration TICK = Duration.ofSeconds(5);
  private static final Settings SETTINGS =
      new Settings(Duration.ofSeconds(15), Duration.ofSeconds(60), Duration.ofSeconds(30), 0.5);

  /** A trace run through the policy: the replicas wanted after each sample, and every change made. */
  private record Run(List<Integer> replicas, List<Step> changes, VersionState last) {}

  private static Run run(VersionState start, Bounds bounds, List<Sample> trace) {
    VersionState state = start;
    List<Integer> replicas = new ArrayList<>();
    List<Step> changes = new ArrayList<>();
    Instant now = T0;
    for (Sample sample : trace) {
      now = now.plus(TICK);
      Step step = Autoscaler.next(state, bounds, sample, now, SETTINGS);
      if (step.changed()) {
        changes.add(step);
      }
      state = step.state();
      replicas.add(state.replicas());
    }
    return new Run(replicas, changes, state);
  }

  /** {@code ticks} samples of the same average in-flight, with requests arriving. */
  private static List<Sample> load(double inFlight, int ticks) {
    List<Sample> trace = new ArrayList<>();
    for (int i = 0; i < ticks; i++) {
      trace.add(inFlight == 0 ? Sample.IDLE : new Sample(inFlight, (long) Math.ceil(inFlight * 10)));
    }
    return trace;
  }

  private static List<Sample> concat(List<Sample> first, List<Sample> second) {
    List<Sample> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }

  private static Bounds bounds(int min, int max) {
    return new Bounds(min, max, 4, Duration.ofMinutes(10));
  }

  @Test
  void sustainedLoadAddsReplicasUpToWhatItNeeds() {
    // 10 in flight at 4 per replica: 3 replicas, once it lasted 15 s
    Run run = run(VersionState.start(1, T0.minusSeconds(600)), bounds(1, 8), load(10, 6));

    assertThat(run.replicas()).containsExactly(1, 1, 1, 3, 3, 3);
    assertThat(run.changes()).singleElement().satisfies(step -> {
      assertThat(step.fromReplicas()).isEqualTo(1);
      assertThat(step.toReplicas()).isEqualTo(3);
      assertThat(step.reason()).contains("10.0 requests in flight per replica", "target 4", "15 s");
    });
  }

  @Test
  void aShortBurstAddsNothing() {
    List<Sample> trace = concat(concat(load(10, 2), load(2, 1)), concat(load(10, 2), load(2, 6)));

    assertThat(run(VersionState.start(1, T0.minusSeconds(600)), bounds(1, 8), trace).changes()).isEmpty();
  }

  @Test
  void neverMoreThanMaxReplicas() {
    Run run = run(VersionState.start(1, T0.minusSeconds(600)), bounds(1, 2), load(100, 40));

    assertThat(run.replicas()).allMatch(r -> r <= 2);
    assertThat(run.last().replicas()).isEqualTo(2);
    assertThat(run.changes()).hasSize(1); // at the bound: no further "change"
  }

  @Test
  void theCooldownSpacesChangesOut() {
    // the load keeps growing: each step waits out the cooldown after the one before
    List<Sample> trace = concat(load(6, 4), concat(load(14, 6), load(30, 10)));
    Run run = run(VersionState.start(1, T0.minusSeconds(600)), bounds(1, 16), trace);

    assertThat(run.changes()).hasSizeGreaterThanOrEqualTo(2);
    for (int i = 1; i < run.changes().size(); i++) {
      Duration between = Duration.between(run.changes().get(i - 1).state().changedAt(), run.changes().get(i).state().changedAt());
      assertThat(between).isGreaterThanOrEqualTo(SETTINGS.cooldown());
    }
    assertThat(run.last().replicas()).isEqualTo(8); // 30 in flight / 4 per replica
  }

  @Test
  void idleLoadRemovesReplicasDownToMinReplicasAfterAWhile() {
    VersionState four = VersionState.start(4, T0.minusSeconds(600));
    Run run = run(four, bounds(2, 8), load(1, 40));

    // 1 in flight fits one replica at half the target: down to the floor 2, after 60 s low
    assertThat(run.replicas().subList(0, 12)).containsOnly(4);
    assertThat(run.replicas().get(12)).isEqualTo(2);
    assertThat(run.last().replicas()).isEqualTo(2);
    assertThat(run.changes()).singleElement().satisfies(step -> assertThat(step.reason()).contains("under 50% of the target"));
  }

  @Test
  void aLoadBetweenTheThresholdsNeitherAddsNorRemoves() {
    // 3 replicas at 4 per replica: up above 12, down only at <= 0.5 * 2 * 4 = 4
    Run run = run(VersionState.start(3, T0.minusSeconds(600)), bounds(1, 8), concat(load(11, 30), load(5, 30)));

    assertThat(run.changes()).isEmpty();
  }

  @Test
  void loadThatSwingsAroundTheTargetDoesNotFlap() {
    List<Sample> trace = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      trace.add(new Sample(i % 2 == 0 ? 9 : 7, 50)); // around 2 replicas' worth at target 4
    }
    Run run = run(VersionState.start(2, T0.minusSeconds(600)), bounds(1, 8), trace);

    assertThat(run.changes()).isEmpty();
  }

  @Test
  void minReplicasZeroUnloadsAfterTheIdlePeriodAndARequestBringsOneBack() {
    Bounds bounds = new Bounds(0, 4, 4, Duration.ofSeconds(60));
    Run run = run(VersionState.start(1, T0), bounds, concat(load(1, 2), load(0, 14)));

    // last request in the sample at 10 s: unloaded once 60 s passed without one
    assertThat(run.replicas().subList(0, 13)).containsOnly(1);
    assertThat(run.replicas().get(13)).isZero();
    assertThat(run.changes()).singleElement().satisfies(step -> {
      assertThat(step.toReplicas()).isZero();
      assertThat(step.reason()).isEqualTo("no request for 60 s");
    });

    Step woken = Autoscaler.wake(run.last(), bounds, T0.plusSeconds(200));
    assertThat(woken.changed()).isTrue();
    assertThat(woken.toReplicas()).isEqualTo(1);
    assertThat(Autoscaler.wake(woken.state(), bounds, T0.plusSeconds(201)).changed()).as("already woken").isFalse();
  }

  @Test
  void aSampleWithRequestsAlsoWakesAVersionAtZero() {
    Bounds bounds = new Bounds(0, 4, 4, Duration.ofSeconds(60));
    VersionState zero = new VersionState(0, T0, T0, null, null);

    assertThat(Autoscaler.next(zero, bounds, Sample.IDLE, T0.plusSeconds(5), SETTINGS).changed()).isFalse();
    Step step = Autoscaler.next(zero, bounds, new Sample(0.2, 3), T0.plusSeconds(5), SETTINGS);
    assertThat(step.toReplicas()).isEqualTo(1);
  }

  @Test
  void minReplicasAboveZeroNeverUnloadsAnIdleVersion() {
    Run run = run(VersionState.start(1, T0), new Bounds(1, 4, 4, Duration.ofSeconds(10)), load(0, 100));

    assertThat(run.replicas()).containsOnly(1);
  }

  @Test
  void steadyTrafficKeepsAScaleToZeroVersionLoaded() {
    List<Sample> trace = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      trace.add(i % 10 == 0 ? new Sample(0.01, 1) : Sample.IDLE); // one request every 50 s
    }
    Run run = run(VersionState.start(1, T0), new Bounds(0, 4, 4, Duration.ofSeconds(60)), trace);

    assertThat(run.replicas()).containsOnly(1);
  }

  @Test
  void newBoundsClampTheCountAndKeepItOtherwise() {
    VersionState five = VersionState.start(5, T0);

    assertThat(five.within(bounds(1, 3)).replicas()).isEqualTo(3);
    assertThat(five.within(bounds(6, 8)).replicas()).isEqualTo(6);
    assertThat(five.within(bounds(1, 8))).isSameAs(five);
  }

  @Test
  void settingsRefuseAScaleDownThresholdOutsideZeroToOne() {
    assertThatThrownBy(() -> new Settings(TICK, TICK, TICK, 1.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Settings(TICK, TICK, TICK, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
