package io.modelplane.inference.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.inference.placement.PlacementPolicy.Assignment;
import io.modelplane.inference.placement.PlacementPolicy.DesiredVersion;
import io.modelplane.inference.placement.PlacementPolicy.WorkerView;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementPolicyTest {
  static final long MB = 1024 * 1024;

  @Test
  void placesReplicasOnDistinctWorkersWithTheMostRoom() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion("a/m:1", 100 * MB, 2)),
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 500 * MB), new WorkerView("w3", 800 * MB)),
        Map.of());
    assertThat(decision.loads()).containsExactlyInAnyOrder(new Assignment("w1", "a/m:1"), new Assignment("w3", "a/m:1"));
    assertThat(decision.unloads()).isEmpty();
    assertThat(decision.unplaceable()).isEmpty();
  }

  @Test
  void keepsWhatIsAlreadyPlacedAndDoesNothingWhenAllIsInPlace() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion("a/m:1", 100 * MB, 1)),
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 1000 * MB)),
        Map.of("a/m:1", Set.of("w2")));
    assertThat(decision.isEmpty()).isTrue();
  }

  @Test
  void unloadsVersionsNoLongerDesiredAndExtraReplicas() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion("a/m:2", 100 * MB, 1)),
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 1000 * MB)),
        Map.of("a/m:1", Set.of("w1"), "a/m:2", Set.of("w1", "w2")));
    assertThat(decision.unloads()).contains(new Assignment("w1", "a/m:1"));
    assertThat(decision.unloads().stream().filter(a -> a.version().equals("a/m:2"))).hasSize(1);
    assertThat(decision.loads()).isEmpty();
  }

  @Test
  void aWorkerLeavingMovesItsReplicas() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion("a/m:1", 100 * MB, 1)),
        List.of(new WorkerView("w2", 1000 * MB)),
        Map.of("a/m:1", Set.of("w1-gone")));
    assertThat(decision.loads()).containsExactly(new Assignment("w2", "a/m:1"));
    assertThat(decision.unloads()).isEmpty(); // nothing to tell a worker that is gone
  }

  @Test
  void aWorkerJoiningTakesReplicasThatHadNoRoom() {
    List<DesiredVersion> desired = List.of(new DesiredVersion("a/m:1", 600 * MB, 2));
    var alone = PlacementPolicy.decide(desired, List.of(new WorkerView("w1", 1000 * MB)), Map.of());
    assertThat(alone.loads()).containsExactly(new Assignment("w1", "a/m:1"));
    assertThat(alone.unplaceable()).containsKey("a/m:1");

    var joined = PlacementPolicy.decide(desired,
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 1000 * MB)), Map.of("a/m:1", Set.of("w1")));
    assertThat(joined.loads()).containsExactly(new Assignment("w2", "a/m:1"));
    assertThat(joined.unplaceable()).isEmpty();
  }

  @Test
  void byteBudgetsAreRespected() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion("a/big:1", 700 * MB, 1), new DesiredVersion("a/small:1", 400 * MB, 1),
            new DesiredVersion("b/huge:1", 2000 * MB, 1)),
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 500 * MB)),
        Map.of());
    assertThat(decision.loads()).containsExactlyInAnyOrder(
        new Assignment("w1", "a/big:1"), new Assignment("w2", "a/small:1"));
    assertThat(decision.unplaceable()).containsOnlyKeys("b/huge:1");
  }

  @Test
  void noWorkersMeansEverythingIsPending() {
    var decision = PlacementPolicy.decide(List.of(new DesiredVersion("a/m:1", MB, 1)), List.of(), Map.of());
    assertThat(decision.loads()).isEmpty();
    assertThat(decision.unplaceable()).containsEntry("a/m:1", "no worker is available");
  }
}
