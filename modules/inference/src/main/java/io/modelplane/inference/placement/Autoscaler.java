package io.modelplane.inference.placement;

import java.time.Duration;
import java.time.Instant;

/**
 * Decides how many replicas an autoscaled version wants, one load sample at a time: a pure function of
 * what it remembers of the version, the deployment's bounds and the sample. The placement coordinator
 * carries the decision out and records it.
 *
 * <p>It adds replicas once the version has had more requests in flight than its target per replica for
 * {@code scaleUpAfter}, and removes them once it could have done with one replica fewer at no more than
 * {@code scaleDownBelow} of the target for {@code scaleDownAfter} (the gap between the two is the
 * hysteresis: a load near the target neither adds nor removes). After a change it waits {@code cooldown}
 * before the next, so a change's effect is measured before another is made. With {@code minReplicas} 0
 * a version that had no request for its idle period goes to zero; a request brings it back ({@link #wake}).
 */
public final class Autoscaler {

  /** How quickly the policy reacts; the same for every deployment. */
  public record Settings(Duration scaleUpAfter, Duration scaleDownAfter, Duration cooldown, double scaleDownBelow) {
    public static final Settings DEFAULTS =
        new Settings(Duration.ofSeconds(15), Duration.ofSeconds(60), Duration.ofSeconds(30), 0.5);

    public Settings {
      if (scaleDownBelow <= 0 || scaleDownBelow >= 1) {
        throw new IllegalArgumentException("scaleDownBelow must be between 0 and 1 (exclusive): " + scaleDownBelow);
      }
    }
  }

  /** A deployment's bounds, as its revision gives them. */
  public record Bounds(int minReplicas, int maxReplicas, int targetInFlight, Duration idleUnload) {}

  /**
   * One observation of a version since the previous one: the requests it had in flight on average (waiting
   * for a replica, queued or running, from every gateway) and how many requests arrived.
   */
  public record Sample(double inFlight, long requests) {
    public static final Sample IDLE = new Sample(0, 0);

    boolean active() {
      return inFlight > 0 || requests > 0;
    }
  }

  /**
   * What the policy remembers of a version: the replicas it wants, when that last changed, when it last had
   * a request, and since when its load has been above the target ({@code overSince}) or low enough to do with
   * one replica fewer ({@code underSince}); null while not.
   */
  public record VersionState(int replicas, Instant changedAt, Instant activeAt, Instant overSince, Instant underSince) {

    /** A version that starts with {@code replicas} (a new revision, or a coordinator that just started). */
    public static VersionState start(int replicas, Instant now) {
      return new VersionState(replicas, now, now, null, null);
    }

    /** Active at {@code now}: its idle period starts again (a version still loading is not idle). */
    public VersionState activeAt(Instant now) {
      return new VersionState(replicas, changedAt, now, overSince, underSince);
    }

    /** Within new bounds (a new revision): the count stays where it is unless the bounds exclude it. */
    public VersionState within(Bounds bounds) {
      int clamped = Math.max(bounds.minReplicas(), Math.min(bounds.maxReplicas(), replicas));
      return clamped == replicas ? this : new VersionState(clamped, changedAt, activeAt, null, null);
    }
  }

  /** The next state, and the change to make ({@code reason} null: none). */
  public record Step(VersionState state, int fromReplicas, String reason) {
    public boolean changed() {
      return reason != null;
    }

    public int toReplicas() {
      return state.replicas();
    }
  }

  private Autoscaler() {}

  /** A request for a version scaled to zero: one replica at once (no cooldown: a caller is waiting). */
  public static Step wake(VersionState state, Bounds bounds, Instant now) {
    VersionState active = new VersionState(state.replicas(), state.changedAt(), now, null, null);
    if (state.replicas() > 0 || bounds.maxReplicas() < 1) {
      return new Step(active, state.replicas(), null);
    }
    return new Step(new VersionState(1, now, now, null, null), 0, "a request arrived while scaled to zero");
  }

  /** The state after {@code sample}, taken at {@code now}, and the change it calls for. */
  public static Step next(VersionState state, Bounds bounds, Sample sample, Instant now, Settings settings) {
    int replicas = state.replicas();
    Instant activeAt = sample.active() ? now : state.activeAt();
    if (replicas == 0) {
      return sample.active()
          ? new Step(new VersionState(1, now, now, null, null), 0, "requests arrived while scaled to zero")
          : new Step(new VersionState(0, state.changedAt(), activeAt, null, null), 0, null);
    }
    int target = bounds.targetInFlight();
    int floor = Math.max(1, bounds.minReplicas());
    boolean over = sample.inFlight() > (double) replicas * target && replicas < bounds.maxReplicas();
    boolean under = replicas > floor && sample.inFlight() <= settings.scaleDownBelow() * (replicas - 1) * target;
    Instant overSince = over ? (state.overSince() != null ? state.overSince() : now) : null;
    Instant underSince = under ? (state.underSince() != null ? state.underSince() : now) : null;

    if (bounds.minReplicas() == 0 && !sample.active() && !now.isBefore(activeAt.plus(bounds.idleUnload()))) {
      return new Step(new VersionState(0, now, activeAt, null, null), replicas,
          "no request for " + bounds.idleUnload().toSeconds() + " s");
    }
    boolean cooling = now.isBefore(state.changedAt().plus(settings.cooldown()));
    if (!cooling && overSince != null && !now.isBefore(overSince.plus(settings.scaleUpAfter()))) {
      int wanted = (int) Math.ceil(sample.inFlight() / target);
      int to = Math.min(bounds.maxReplicas(), Math.max(replicas + 1, wanted));
      return new Step(new VersionState(to, now, activeAt, null, null), replicas, String.format(
          "%.1f requests in flight per replica, over the target %d, for %d s", sample.inFlight() / replicas, target,
          Duration.between(overSince, now).toSeconds()));
    }
    if (!cooling && underSince != null && !now.isBefore(underSince.plus(settings.scaleDownAfter()))) {
      int needed = (int) Math.ceil(sample.inFlight() / (settings.scaleDownBelow() * target));
      int to = Math.min(replicas - 1, Math.max(floor, needed));
      return new Step(new VersionState(to, now, activeAt, null, null), replicas, String.format(
          "%.1f requests in flight per replica, under %.0f%% of the target %d, for %d s", sample.inFlight() / replicas,
          settings.scaleDownBelow() * 100, target, Duration.between(underSince, now).toSeconds()));
    }
    return new Step(new VersionState(replicas, state.changedAt(), activeAt, overSince, underSince), replicas, null);
  }
}
