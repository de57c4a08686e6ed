package io.modelplane.inference.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.TenantId;
import io.modelplane.common.VersionKey;
import io.modelplane.inference.placement.PlacementPolicy.Assignment;
import io.modelplane.inference.placement.PlacementPolicy.DesiredVersion;
import io.modelplane.inference.placement.PlacementPolicy.WorkerView;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementPolicyTest {
  static final long MB = 1024 * 1024;

  /** A tenant by a short test name (tenant ids have at least three characters). */
  static TenantId t(String name) {
    return TenantId.of(name.length() < 3 ? "tenant-" + name : name);
  }

  static VersionKey v(String tenant, String model, int version) {
    return new VersionKey(new ModelKey(t(tenant), ModelId.of(model)), version);
  }

  @Test
  void placesReplicasOnDistinctWorkersWithTheMostRoom() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 2)),
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 500 * MB), new WorkerView("w3", 800 * MB)),
        Map.of());
    assertThat(decision.loads()).containsExactlyInAnyOrder(new Assignment("w1", v("a", "m", 1)), new Assignment("w3", v("a", "m", 1)));
    assertThat(decision.unloads()).isEmpty();
    assertThat(decision.unplaceable()).isEmpty();
  }

  @Test
  void keepsWhatIsAlreadyPlacedAndDoesNothingWhenAllIsInPlace() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 1)),
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 1000 * MB)),
        Map.of(v("a", "m", 1), Set.of("w2")));
    assertThat(decision.isEmpty()).isTrue();
  }

  @Test
  void unloadsVersionsNoLongerDesiredAndExtraReplicas() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("a", "m", 2), 100 * MB, 1)),
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 1000 * MB)),
        Map.of(v("a", "m", 1), Set.of("w1"), v("a", "m", 2), Set.of("w1", "w2")));
    assertThat(decision.unloads()).contains(new Assignment("w1", v("a", "m", 1)));
    assertThat(decision.unloads().stream().filter(a -> a.version().equals(v("a", "m", 2)))).hasSize(1);
    assertThat(decision.loads()).isEmpty();
  }

  @Test
  void aWorkerLeavingMovesItsReplicas() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 1)),
        List.of(new WorkerView("w2", 1000 * MB)),
        Map.of(v("a", "m", 1), Set.of("w1-gone")));
    assertThat(decision.loads()).containsExactly(new Assignment("w2", v("a", "m", 1)));
    assertThat(decision.unloads()).isEmpty(); // nothing to tell a worker that is gone
  }

  @Test
  void aWorkerJoiningTakesReplicasThatHadNoRoom() {
    List<DesiredVersion> desired = List.of(new DesiredVersion(v("a", "m", 1), 600 * MB, 2));
    var alone = PlacementPolicy.decide(desired, List.of(new WorkerView("w1", 1000 * MB)), Map.of());
    assertThat(alone.loads()).containsExactly(new Assignment("w1", v("a", "m", 1)));
    assertThat(alone.unplaceable()).containsKey(v("a", "m", 1));

    var joined = PlacementPolicy.decide(desired,
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 1000 * MB)), Map.of(v("a", "m", 1), Set.of("w1")));
    assertThat(joined.loads()).containsExactly(new Assignment("w2", v("a", "m", 1)));
    assertThat(joined.unplaceable()).isEmpty();
  }

  @Test
  void byteBudgetsAreRespected() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("a", "big", 1), 700 * MB, 1), new DesiredVersion(v("a", "small", 1), 400 * MB, 1),
            new DesiredVersion(v("b", "huge", 1), 2000 * MB, 1)),
        List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 500 * MB)),
        Map.of());
    assertThat(decision.loads()).containsExactlyInAnyOrder(
        new Assignment("w1", v("a", "big", 1)), new Assignment("w2", v("a", "small", 1)));
    assertThat(decision.unplaceable()).containsOnlyKeys(v("b", "huge", 1));
  }

  @Test
  void noWorkersMeansEverythingIsPending() {
    var decision = PlacementPolicy.decide(List.of(new DesiredVersion(v("a", "m", 1), MB, 1)), List.of(), Map.of());
    assertThat(decision.loads()).isEmpty();
    assertThat(decision.unplaceable()).containsEntry(v("a", "m", 1), "no worker is available");
  }

  // ---- the tenant's maxResidentBytes

  static final List<WorkerView> TWO_WORKERS = List.of(new WorkerView("w1", 1000 * MB), new WorkerView("w2", 1000 * MB));

  @Test
  void aLimitBelowTwoReplicasPlacesOneAndRefusesTheOther() {
    var decision = PlacementPolicy.decide(List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 2)), TWO_WORKERS, Map.of(),
        Map.of(t("a"), 150 * MB));
    assertThat(decision.loads()).hasSize(1).allMatch(l -> l.version().equals(v("a", "m", 1)));
    assertThat(decision.overQuota()).containsOnlyKeys(v("a", "m", 1));
    assertThat(decision.overQuota().get(v("a", "m", 1)))
        .contains("maxResidentBytes").contains(String.valueOf(150 * MB)).contains(String.valueOf(100 * MB))
        .contains("replica 2 of 2");
    assertThat(decision.unplaceable()).isEmpty(); // the workers had room: it is the quota, not capacity
  }

  @Test
  void theLimitCountsTheTenantsOtherModelsAndLeavesOtherTenantsAlone() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("a", "x", 1), 100 * MB, 1), new DesiredVersion(v("a", "y", 1), 100 * MB, 1),
            new DesiredVersion(v("b", "x", 1), 100 * MB, 1)),
        TWO_WORKERS,
        Map.of(v("a", "x", 1), Set.of("w1")), // already resident: counts first
        Map.of(t("a"), 150 * MB, t("b"), 100 * MB));
    assertThat(decision.loads()).containsExactly(new Assignment("w2", v("b", "x", 1)));
    assertThat(decision.overQuota()).containsOnlyKeys(v("a", "y", 1));
    assertThat(decision.unloads()).isEmpty();
  }

  @Test
  void aLimitedTenantGetsEveryVersionOnceBeforeASecondReplicaOfAny() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("a", "x", 1), 100 * MB, 2), new DesiredVersion(v("a", "y", 1), 100 * MB, 2)),
        TWO_WORKERS, Map.of(), Map.of(t("a"), 250 * MB));
    assertThat(decision.loads()).extracting(Assignment::version).containsExactlyInAnyOrder(v("a", "x", 1), v("a", "y", 1));
    assertThat(decision.overQuota()).containsOnlyKeys(v("a", "x", 1), v("a", "y", 1));
  }

  @Test
  void noLimitOrAnAbsentTenantBehavesAsBefore() {
    List<DesiredVersion> desired = List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 2));
    var without = PlacementPolicy.decide(desired, TWO_WORKERS, Map.of());
    var otherTenantLimited = PlacementPolicy.decide(desired, TWO_WORKERS, Map.of(), Map.of(t("b"), 0L));
    java.util.HashMap<TenantId, Long> nullLimit = new java.util.HashMap<>();
    nullLimit.put(t("a"), null);
    var nullLimited = PlacementPolicy.decide(desired, TWO_WORKERS, Map.of(), nullLimit);
    for (var decision : List.of(without, otherTenantLimited, nullLimited)) {
      assertThat(decision.loads()).containsExactlyInAnyOrder(new Assignment("w1", v("a", "m", 1)), new Assignment("w2", v("a", "m", 1)));
      assertThat(decision.overQuota()).isEmpty();
    }
  }

  @Test
  void aLimitExactlyAtTheNeedIsEnough() {
    var decision = PlacementPolicy.decide(List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 2)), TWO_WORKERS, Map.of(),
        Map.of(t("a"), 200 * MB));
    assertThat(decision.loads()).hasSize(2);
    assertThat(decision.overQuota()).isEmpty();
  }

  @Test
  void loweringTheLimitUnloadsNothingAndRaisingItPlacesTheRefused() {
    List<DesiredVersion> desired = List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 2), new DesiredVersion(v("a", "n", 1), 100 * MB, 1));
    Map<VersionKey, Set<String>> resident = Map.of(v("a", "m", 1), Set.of("w1", "w2"));

    var lowered = PlacementPolicy.decide(desired, TWO_WORKERS, resident, Map.of(t("a"), 50 * MB));
    assertThat(lowered.unloads()).isEmpty();
    assertThat(lowered.loads()).isEmpty();
    assertThat(lowered.overQuota()).containsOnlyKeys(v("a", "n", 1));

    var raised = PlacementPolicy.decide(desired, TWO_WORKERS, resident, Map.of(t("a"), 300 * MB));
    assertThat(raised.unloads()).isEmpty();
    assertThat(raised.loads()).hasSize(1).allMatch(l -> l.version().equals(v("a", "n", 1)));
    assertThat(raised.overQuota()).isEmpty();
  }

  @Test
  void overQuotaIsNotReportedAsPendingAndPendingNotAsOverQuota() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 3), new DesiredVersion(v("b", "m", 1), 100 * MB, 3)),
        TWO_WORKERS, Map.of(), Map.of(t("a"), 100 * MB));
    assertThat(decision.overQuota()).containsOnlyKeys(v("a", "m", 1));
    assertThat(decision.unplaceable()).containsOnlyKeys(v("b", "m", 1));
  }

  // Dedicated worker pools: hard isolation for tenants that need it

  static final List<WorkerView> SHARED_AND_POOLED = List.of(
      new WorkerView("shared-1", 1000 * MB), new WorkerView("shared-2", 1000 * MB),
      new WorkerView("acme-1", 4000 * MB, "acme-only"));

  @Test
  void anotherTenantsReplicasNeverGoToAPooledWorkerEvenWhenItHasTheMostRoom() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("b", "m", 1), 100 * MB, 3)), SHARED_AND_POOLED, Map.of());
    assertThat(decision.loads()).containsExactlyInAnyOrder(
        new Assignment("shared-1", v("b", "m", 1)), new Assignment("shared-2", v("b", "m", 1)));
    assertThat(decision.loads()).noneMatch(l -> l.worker().equals("acme-1"));
    // the third replica waits rather than land on acme's worker
    assertThat(decision.unplaceable()).containsKey(v("b", "m", 1));
  }

  @Test
  void aPooledTenantsReplicasGoOnlyToItsPoolsWorkers() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("acme", "m", 1), 100 * MB, 2, "acme-only")), SHARED_AND_POOLED, Map.of());
    assertThat(decision.loads()).containsExactly(new Assignment("acme-1", v("acme", "m", 1)));
    assertThat(decision.unplaceable()).containsEntry(v("acme", "m", 1),
        "no worker of pool acme-only has " + 100 * MB + " bytes free for replica 2 of 2");
  }

  @Test
  void aPooledTenantWhosePoolHasNoWorkerIsPendingWithTheReason() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("globex", "m", 1), 100 * MB, 1, "globex-only")), SHARED_AND_POOLED, Map.of());
    assertThat(decision.loads()).isEmpty();
    assertThat(decision.unplaceable()).containsEntry(v("globex", "m", 1), "no worker of pool globex-only is available");
  }

  @Test
  void anUnpooledTenantWithOnlyPooledWorkersIsPendingWithTheReason() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("b", "m", 1), 100 * MB, 1)),
        List.of(new WorkerView("acme-1", 4000 * MB, "acme-only")), Map.of());
    assertThat(decision.loads()).isEmpty();
    assertThat(decision.unplaceable()).containsEntry(v("b", "m", 1),
        "no shared worker is available (every worker is in a dedicated pool)");
  }

  @Test
  void replicasMoveWhenTheTenantIsGivenAPoolOrLeavesIt() {
    var pooled = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("acme", "m", 1), 100 * MB, 1, "acme-only")), SHARED_AND_POOLED,
        Map.of(v("acme", "m", 1), Set.of("shared-1")));
    assertThat(pooled.unloads()).containsExactly(new Assignment("shared-1", v("acme", "m", 1)));
    assertThat(pooled.loads()).containsExactly(new Assignment("acme-1", v("acme", "m", 1)));

    var unpooled = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("acme", "m", 1), 100 * MB, 1)), SHARED_AND_POOLED,
        Map.of(v("acme", "m", 1), Set.of("acme-1")));
    assertThat(unpooled.unloads()).containsExactly(new Assignment("acme-1", v("acme", "m", 1)));
    assertThat(unpooled.loads()).singleElement().matches(l -> l.worker().startsWith("shared-"));
  }

  @Test
  void aPoolsWorkersHoldOnlyThatPoolsTenantsWhateverTheMix() {
    List<WorkerView> workers = List.of(
        new WorkerView("s1", 500 * MB), new WorkerView("s2", 500 * MB),
        new WorkerView("p1", 800 * MB, "p"), new WorkerView("p2", 800 * MB, "p"), new WorkerView("q1", 800 * MB, "q"));
    List<DesiredVersion> desired = List.of(
        new DesiredVersion(v("a", "m", 1), 100 * MB, 2), new DesiredVersion(v("b", "m", 1), 300 * MB, 3),
        new DesiredVersion(v("pt", "m", 1), 200 * MB, 2, "p"), new DesiredVersion(v("pt", "n", 1), 300 * MB, 3, "p"),
        new DesiredVersion(v("qt", "m", 1), 100 * MB, 2, "q"));
    Map<String, String> poolOfWorker = Map.of("p1", "p", "p2", "p", "q1", "q");
    Map<VersionKey, String> poolOfVersion = Map.of(v("pt", "m", 1), "p", v("pt", "n", 1), "p", v("qt", "m", 1), "q");
    var decision = PlacementPolicy.decide(desired, workers, Map.of());
    assertThat(decision.loads()).isNotEmpty().allSatisfy(load ->
        assertThat(poolOfWorker.get(load.worker())).as(load.toString()).isEqualTo(poolOfVersion.get(load.version())));
  }

  @Test
  void aDrainingWorkerGetsNoNewReplica() {
    var decision = PlacementPolicy.decide(
        List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 1)),
        List.of(new WorkerView("w1", 1000 * MB, null, true), new WorkerView("w2", 500 * MB)),
        Map.of(), Map.of(), Map.of());
    assertThat(decision.loads()).containsExactly(new Assignment("w2", v("a", "m", 1)));
  }

  @Test
  void drainingPlacesTheReplicaElsewhereFirstAndUnloadsItOnlyOnceTheNewOneIsReady() {
    List<DesiredVersion> desired = List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 1));
    List<WorkerView> workers = List.of(new WorkerView("w1", 1000 * MB, null, true), new WorkerView("w2", 1000 * MB));

    var start = PlacementPolicy.decide(desired, workers, Map.of(v("a", "m", 1), Set.of("w1")),
        Map.of(v("a", "m", 1), Set.of("w1")), Map.of());
    assertThat(start.loads()).containsExactly(new Assignment("w2", v("a", "m", 1)));
    assertThat(start.unloads()).isEmpty(); // w1 keeps serving meanwhile
    assertThat(start.drainBlocked()).isEmpty();

    var loading = PlacementPolicy.decide(desired, workers, Map.of(v("a", "m", 1), Set.of("w1", "w2")),
        Map.of(v("a", "m", 1), Set.of("w1")), Map.of());
    assertThat(loading.isEmpty()).isTrue();

    var ready = PlacementPolicy.decide(desired, workers, Map.of(v("a", "m", 1), Set.of("w1", "w2")),
        Map.of(v("a", "m", 1), Set.of("w1", "w2")), Map.of());
    assertThat(ready.unloads()).containsExactly(new Assignment("w1", v("a", "m", 1)));
    assertThat(ready.loads()).isEmpty();
  }

  @Test
  void aDrainWaitsWhileNoOtherWorkerCanTakeAReplicaAndSaysWhy() {
    List<DesiredVersion> desired = List.of(new DesiredVersion(v("a", "m", 1), 600 * MB, 1),
        new DesiredVersion(v("a", "small", 1), 10 * MB, 1));
    List<WorkerView> workers = List.of(new WorkerView("w1", 1000 * MB, null, true), new WorkerView("w2", 500 * MB));
    Map<VersionKey, Set<String>> held = Map.of(v("a", "m", 1), Set.of("w1"), v("a", "small", 1), Set.of("w1"));

    var decision = PlacementPolicy.decide(desired, workers, held, held, Map.of());
    assertThat(decision.loads()).containsExactly(new Assignment("w2", v("a", "small", 1))); // what fits moves
    assertThat(decision.unloads()).isEmpty();
    assertThat(decision.drainBlocked()).containsOnlyKeys("w1");
    assertThat(decision.drainBlocked().get("w1")).singleElement().asString()
        .contains(v("a", "m", 1).toString()).contains("no worker has " + 600 * MB + " bytes free");

    var alone = PlacementPolicy.decide(desired, List.of(new WorkerView("w1", 1000 * MB, null, true)), held, held, Map.of());
    assertThat(alone.unloads()).isEmpty();
    assertThat(alone.drainBlocked().get("w1")).hasSize(2).allMatch(r -> r.contains("that is not draining"));
  }

  @Test
  void undrainingKeepsTheReplicasThereAndPlacesThereAgain() {
    List<DesiredVersion> desired = List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 1),
        new DesiredVersion(v("a", "n", 1), 100 * MB, 1));
    var decision = PlacementPolicy.decide(desired,
        List.of(new WorkerView("w1", 1000 * MB, null, false), new WorkerView("w2", 150 * MB)),
        Map.of(v("a", "m", 1), Set.of("w1")), Map.of(v("a", "m", 1), Set.of("w1")), Map.of());
    assertThat(decision.unloads()).isEmpty();
    assertThat(decision.loads()).containsExactly(new Assignment("w1", v("a", "n", 1)));
    assertThat(decision.drainBlocked()).isEmpty();
  }

  @Test
  void aReplicaBeingMovedDoesNotCountTowardItsTenantsLimit() {
    List<DesiredVersion> desired = List.of(new DesiredVersion(v("a", "m", 1), 100 * MB, 1));
    Map<VersionKey, Set<String>> held = Map.of(v("a", "m", 1), Set.of("w1"));
    var decision = PlacementPolicy.decide(desired,
        List.of(new WorkerView("w1", 1000 * MB, null, true), new WorkerView("w2", 1000 * MB)),
        held, held, Map.of(t("a"), 100 * MB));
    assertThat(decision.loads()).containsExactly(new Assignment("w2", v("a", "m", 1)));
    assertThat(decision.overQuota()).isEmpty();
  }

  @Test
  void aDrainingWorkersReplicasOfVersionsNoLongerDeployedGoAtOnce() {
    var decision = PlacementPolicy.decide(List.of(),
        List.of(new WorkerView("w1", 1000 * MB, null, true), new WorkerView("w2", 1000 * MB)),
        Map.of(v("a", "m", 1), Set.of("w1")), Map.of(v("a", "m", 1), Set.of("w1")), Map.of());
    assertThat(decision.unloads()).containsExactly(new Assignment("w1", v("a", "m", 1)));
    assertThat(decision.loads()).isEmpty();
  }
}
