package io.modelplane.inference.placement;

import io.modelplane.common.TenantId;
import io.modelplane.common.VersionKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides which worker holds which model version: a pure function of what is desired, which
 * workers exist, what they hold now and how many bytes each tenant may keep resident. The
 * placement actor carries the decision out.
 */
public final class PlacementPolicy {

  /**
   * A version that should be resident {@code replicas} times; {@code bytes} it needs on a worker;
   * {@code pool} its tenant's dedicated worker pool (null: the shared workers).
   */
  public record DesiredVersion(VersionKey key, long bytes, int replicas, String pool) {
    public DesiredVersion {
      pool = poolName(pool);
    }

    public DesiredVersion(VersionKey key, long bytes, int replicas) {
      this(key, bytes, replicas, null);
    }

    public TenantId tenant() {
      return key.tenant();
    }
  }

  /** A stable order of versions, for decisions that do not depend on hash order. */
  static final Comparator<VersionKey> VERSION_ORDER = Comparator.comparing((VersionKey v) -> v.model().entityId())
      .thenComparingInt(VersionKey::version);

  /**
   * A worker, its byte budget, the dedicated pool it belongs to (null: shared by every tenant without one)
   * and whether an operator is draining it (it gets no new replicas; its replicas move elsewhere).
   */
  public record WorkerView(String id, long budgetBytes, String pool, boolean draining) {
    public WorkerView {
      pool = poolName(pool);
    }

    public WorkerView(String id, long budgetBytes, String pool) {
      this(id, budgetBytes, pool, false);
    }

    public WorkerView(String id, long budgetBytes) {
      this(id, budgetBytes, null, false);
    }
  }

  /** A blank pool name is no pool. */
  private static String poolName(String pool) {
    return pool == null || pool.isBlank() ? null : pool;
  }

  /**
   * Hard isolation: a pooled worker holds only its pool's tenants' replicas, and a pooled tenant's
   * replicas go only to its pool's workers.
   */
  static boolean mayHold(WorkerView worker, DesiredVersion version) {
    return Objects.equals(worker.pool(), version.pool());
  }

  public record Assignment(String worker, VersionKey version) {}

  /**
   * Loads and unloads to carry out; {@code unplaceable} lists versions that lack a worker with room
   * for one or more of their replicas (the deployment shows them as pending); {@code overQuota}
   * lists versions with one or more replicas refused because their tenant would exceed its
   * resident-bytes limit (the deployment shows them as over quota). Values are the reasons.
   * {@code drainBlocked}: draining worker → why replicas stay on it (no other worker can take them).
   */
  public record Decision(List<Assignment> loads, List<Assignment> unloads, Map<VersionKey, String> unplaceable,
      Map<VersionKey, String> overQuota, Map<String, List<String>> drainBlocked) {
    public boolean isEmpty() {
      return loads.isEmpty() && unloads.isEmpty();
    }
  }

  private PlacementPolicy() {}

  /** {@link #decide(List, List, Map, Map)} with no tenant limited. */
  public static Decision decide(List<DesiredVersion> desired, List<WorkerView> workers,
      Map<VersionKey, Set<String>> current) {
    return decide(desired, workers, current, Map.of());
  }

  /**
   * Keeps current replicas of desired versions on live workers, adds missing replicas on the
   * workers with the most free bytes (never two replicas of a version on one worker) while their
   * tenant stays within its limit, and removes replicas no longer desired (or beyond the wanted
   * count) and everything on workers that left. Missing replicas are added in rounds (the first
   * replica of every version, then the second, …) so that a limited tenant gets each deployed
   * version served once before any version gets a second replica. A version goes only to workers
   * of its tenant's pool ({@link #mayHold}); a replica on a worker it may not use (its tenant's pool
   * changed) is unloaded.
   *
   * <p>Kept replicas count toward their tenant's usage first and are never unloaded for the limit:
   * after a limit is lowered, what is resident stays as long as its version stays deployed with
   * that many replicas; only new or missing replicas are refused.
   *
   * @param current version → workers holding (or loading) it
   * @param tenantByteLimits tenant → bytes its replicas may keep resident in all; a tenant absent is unlimited
   */
  public static Decision decide(List<DesiredVersion> desired, List<WorkerView> workers,
      Map<VersionKey, Set<String>> current, Map<TenantId, Long> tenantByteLimits) {
    return decide(desired, workers, current, current, tenantByteLimits);
  }

  /**
   * {@link #decide(List, List, Map, Map)} where some workers may be draining. A draining worker gets
   * no new replica; each replica it holds is replaced on another worker first, and unloaded only once
   * its version has all its wanted replicas ready elsewhere (so the version keeps serving throughout).
   * When no other worker can take the replacement, the replica stays and {@code drainBlocked} says why.
   * A replica being moved does not count toward its tenant's limit: the move briefly holds both.
   *
   * @param ready version → workers where it is loaded and serving (a subset of {@code current})
   */
  public static Decision decide(List<DesiredVersion> desired, List<WorkerView> workers,
      Map<VersionKey, Set<String>> current, Map<VersionKey, Set<String>> ready, Map<TenantId, Long> tenantByteLimits) {
    Map<String, WorkerView> live = new LinkedHashMap<>();
    workers.forEach(w -> live.put(w.id(), w));
    Map<String, Long> used = new HashMap<>();
    Map<TenantId, Long> tenantUsed = new HashMap<>();
    Map<VersionKey, DesiredVersion> wanted = new HashMap<>();
    desired.forEach(d -> wanted.put(d.key(), d));

    List<Assignment> unloads = new ArrayList<>();
    Map<VersionKey, List<String>> kept = new HashMap<>();
    // replicas on draining workers that still serve their version while it moves
    List<Assignment> moving = new ArrayList<>();
    current.forEach((version, holders) -> holders.stream().sorted().forEach(worker -> {
      DesiredVersion d = wanted.get(version);
      List<String> keptForVersion = kept.computeIfAbsent(version, v -> new ArrayList<>());
      if (d != null && live.containsKey(worker) && live.get(worker).draining() && mayHold(live.get(worker), d)) {
        moving.add(new Assignment(worker, version));
        used.merge(worker, d.bytes(), Long::sum);
      } else if (d == null || !live.containsKey(worker) || keptForVersion.size() >= d.replicas()
          || !mayHold(live.get(worker), d)) {
        if (live.containsKey(worker)) {
          unloads.add(new Assignment(worker, version));
        }
      } else {
        keptForVersion.add(worker);
        used.merge(worker, d.bytes(), Long::sum);
        tenantUsed.merge(d.tenant(), d.bytes(), Long::sum);
      }
    }));

    List<Assignment> loads = new ArrayList<>();
    Map<VersionKey, String> unplaceable = new LinkedHashMap<>();
    Map<VersionKey, String> overQuota = new LinkedHashMap<>();
    Map<VersionKey, Set<String>> holders = new HashMap<>();
    desired.forEach(d -> holders.put(d.key(), new HashSet<>(kept.getOrDefault(d.key(), List.of()))));
    // biggest first: they are the hardest to fit
    List<DesiredVersion> ordered = new ArrayList<>(desired);
    ordered.sort(Comparator.comparingLong(DesiredVersion::bytes).reversed()
        .thenComparing(DesiredVersion::key, VERSION_ORDER));
    int rounds = desired.stream().mapToInt(DesiredVersion::replicas).max().orElse(0);
    for (int round = 1; round <= rounds; round++) {
      for (DesiredVersion d : ordered) {
        Set<String> held = holders.get(d.key());
        if (held.size() >= round || d.replicas() < round
            || unplaceable.containsKey(d.key()) || overQuota.containsKey(d.key())) {
          continue; // has this replica already, wants no more, or a smaller replica number was refused
        }
        Long limit = tenantByteLimits.get(d.tenant());
        long tenantBytes = tenantUsed.getOrDefault(d.tenant(), 0L);
        if (limit != null && tenantBytes + d.bytes() > limit) {
          overQuota.put(d.key(), "tenant " + d.tenant() + " may keep " + limit + " bytes resident (maxResidentBytes) and uses "
              + tenantBytes + "; replica " + (held.size() + 1) + " of " + d.replicas() + " needs " + d.bytes() + " more");
          continue;
        }
        List<WorkerView> eligible = live.values().stream().filter(w -> !w.draining() && mayHold(w, d)).toList();
        WorkerView best = eligible.stream()
            .filter(w -> !held.contains(w.id()))
            .filter(w -> w.budgetBytes() - used.getOrDefault(w.id(), 0L) >= d.bytes())
            .max(Comparator.comparingLong((WorkerView w) -> w.budgetBytes() - used.getOrDefault(w.id(), 0L))
                .thenComparing(WorkerView::id, Comparator.reverseOrder()))
            .orElse(null);
        if (best == null) {
          String which = d.pool() == null ? "worker" : "worker of pool " + d.pool();
          unplaceable.put(d.key(), live.isEmpty() ? "no worker is available"
              : eligible.isEmpty() && live.values().stream().anyMatch(w -> mayHold(w, d))
                  ? "no " + which + " that is not draining is available"
              : eligible.isEmpty() && d.pool() == null ? "no shared worker is available (every worker is in a dedicated pool)"
              : eligible.isEmpty() ? "no worker of pool " + d.pool() + " is available"
              : "no " + which + " has " + d.bytes() + " bytes free for replica " + (held.size() + 1) + " of " + d.replicas());
          continue;
        }
        held.add(best.id());
        used.merge(best.id(), d.bytes(), Long::sum);
        tenantUsed.merge(d.tenant(), d.bytes(), Long::sum);
        loads.add(new Assignment(best.id(), d.key()));
      }
    }
    Map<String, List<String>> drainBlocked = new LinkedHashMap<>();
    moving.sort(Comparator.comparing(Assignment::worker).thenComparing(Assignment::version, VERSION_ORDER));
    for (Assignment m : moving) {
      DesiredVersion d = wanted.get(m.version());
      Set<String> readyElsewhere = new HashSet<>(ready.getOrDefault(m.version(), Set.of()));
      readyElsewhere.retainAll(kept.getOrDefault(m.version(), List.of()));
      if (readyElsewhere.size() >= d.replicas()) {
        unloads.add(m);
      } else if (unplaceable.containsKey(m.version()) || overQuota.containsKey(m.version())) {
        String why = unplaceable.containsKey(m.version()) ? unplaceable.get(m.version()) : overQuota.get(m.version());
        drainBlocked.computeIfAbsent(m.worker(), w -> new ArrayList<>())
            .add(m.version() + " stays (it keeps serving): " + why);
      }
    }
    return new Decision(loads, unloads, unplaceable, overQuota, drainBlocked);
  }
}
