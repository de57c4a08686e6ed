package io.modelplane.inference.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides which worker holds which model version: a pure function of what is desired, which
 * workers exist and what they hold now. The placement actor carries the decision out.
 */
public final class PlacementPolicy {

  /** A version that should be resident {@code replicas} times; {@code bytes} it needs on a worker. */
  public record DesiredVersion(String key, long bytes, int replicas) {}

  /** A worker and its byte budget. */
  public record WorkerView(String id, long budgetBytes) {}

  public record Assignment(String worker, String version) {}

  /**
   * Loads and unloads to carry out; {@code unplaceable} lists versions that lack a worker with room
   * for one or more of their replicas (the deployment shows them as pending).
   */
  public record Decision(List<Assignment> loads, List<Assignment> unloads, Map<String, String> unplaceable) {
    public boolean isEmpty() {
      return loads.isEmpty() && unloads.isEmpty();
    }
  }

  private PlacementPolicy() {}

  /**
   * Keeps current replicas of desired versions on live workers, adds missing replicas on the
   * workers with the most free bytes (never two replicas of a version on one worker), and removes
   * replicas no longer desired (or beyond the wanted count) and everything on workers that left.
   *
   * @param current version key → workers holding (or loading) it
   */
  public static Decision decide(List<DesiredVersion> desired, List<WorkerView> workers, Map<String, Set<String>> current) {
    Map<String, WorkerView> live = new LinkedHashMap<>();
    workers.forEach(w -> live.put(w.id(), w));
    Map<String, Long> used = new HashMap<>();
    Map<String, DesiredVersion> wanted = new HashMap<>();
    desired.forEach(d -> wanted.put(d.key(), d));

    List<Assignment> unloads = new ArrayList<>();
    Map<String, List<String>> kept = new HashMap<>();
    current.forEach((version, holders) -> holders.stream().sorted().forEach(worker -> {
      DesiredVersion d = wanted.get(version);
      List<String> keptForVersion = kept.computeIfAbsent(version, v -> new ArrayList<>());
      if (d == null || !live.containsKey(worker) || keptForVersion.size() >= d.replicas()) {
        if (live.containsKey(worker)) {
          unloads.add(new Assignment(worker, version));
        }
      } else {
        keptForVersion.add(worker);
        used.merge(worker, d.bytes(), Long::sum);
      }
    }));

    List<Assignment> loads = new ArrayList<>();
    Map<String, String> unplaceable = new LinkedHashMap<>();
    // biggest first: they are the hardest to fit
    List<DesiredVersion> ordered = new ArrayList<>(desired);
    ordered.sort(Comparator.comparingLong(DesiredVersion::bytes).reversed().thenComparing(DesiredVersion::key));
    for (DesiredVersion d : ordered) {
      Set<String> holders = new HashSet<>(kept.getOrDefault(d.key(), List.of()));
      int missing = d.replicas() - holders.size();
      for (int i = 0; i < missing; i++) {
        WorkerView best = live.values().stream()
            .filter(w -> !holders.contains(w.id()))
            .filter(w -> w.budgetBytes() - used.getOrDefault(w.id(), 0L) >= d.bytes())
            .max(Comparator.comparingLong((WorkerView w) -> w.budgetBytes() - used.getOrDefault(w.id(), 0L))
                .thenComparing(WorkerView::id, Comparator.reverseOrder()))
            .orElse(null);
        if (best == null) {
          unplaceable.put(d.key(), live.isEmpty()
              ? "no worker is available"
              : "no worker has " + d.bytes() + " bytes free for replica " + (holders.size() + 1) + " of " + d.replicas());
          break;
        }
        holders.add(best.id());
        used.merge(best.id(), d.bytes(), Long::sum);
        loads.add(new Assignment(best.id(), d.key()));
      }
    }
    return new Decision(loads, unloads, unplaceable);
  }
}
