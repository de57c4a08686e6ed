package io.modelplane.control.changes;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.pubsub.Topic;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.TenantId;
import io.modelplane.tenancy.admission.QuotaEntity;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Tells every node at once that a tenant was created or its status, quota, keys or access changed, so what
 * nodes keep in memory for the predict path (key lookups, admission leases) is dropped now instead of at the
 * end of its time-to-live. The placement feed calls {@link #changed} for each such event it reads from the
 * journal; the node that made a change calls {@link #changedHere} before it answers. The time-to-lives stay
 * as the fallback for a lost message.
 */
public final class TenantChanges {
  record Changed(String tenant) implements CborSerializable {}

  private final ActorRef<Topic.Command<Changed>> topic;
  private final ClusterSharding sharding;
  private final List<Consumer<TenantId>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Joins the cluster-wide topic; the node's caches {@link #listen} for changes. */
  public TenantChanges(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
    this.topic = system.systemActorOf(Topic.create(Changed.class, "tenant-changes"), "tenant-changes", Props.empty());
    ActorRef<Changed> subscriber = system.systemActorOf(Behaviors.receiveMessage(changed -> {
      TenantId tenant = TenantId.of(changed.tenant());
      listeners.forEach(l -> l.accept(tenant));
      return Behaviors.same();
    }), "tenant-changes-subscriber", Props.empty());
    topic.tell(Topic.subscribe(subscriber));
  }

  /** Runs {@code listener} on this node for every change of any tenant (a gateway's caches). */
  public void listen(Consumer<TenantId> listener) {
    listeners.add(listener);
  }

  /**
   * The tenant changed: its quota entity reads the quota again, then every node forgets what it
   * cached (in that order, so no node refills its lease from the old quota).
   */
  public CompletionStage<Void> changed(TenantId tenant) {
    return refreshQuota(tenant).thenRun(() -> topic.tell(Topic.publish(new Changed(tenant.value()))));
  }

  /**
   * The tenant changed through this node: its quota entity reads the quota again, then this node forgets
   * what it cached, before completing, so the caller's next request here already sees the change. The
   * other nodes hear of it from the journal ({@link #changed}).
   */
  public CompletionStage<Void> changedHere(TenantId tenant) {
    return refreshQuota(tenant).thenRun(() -> listeners.forEach(l -> l.accept(tenant)));
  }

  private CompletionStage<Void> refreshQuota(TenantId tenant) {
    // even if the entity did not answer, nodes must drop their caches (their TTLs are the fallback)
    return sharding.entityRefFor(QuotaEntity.ENTITY_KEY, tenant.value())
        .<QuotaEntity.Refreshed>ask(QuotaEntity.Refresh::new, Duration.ofSeconds(2))
        .handle((refreshed, failure) -> null);
  }
}
