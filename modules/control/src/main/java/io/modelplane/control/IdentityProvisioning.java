package io.modelplane.control;

import io.modelplane.control.readside.TenantDirectory;
import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import io.modelplane.common.TenantId;
import io.modelplane.identity.keycloak.KeycloakProvisioner;
import io.modelplane.tenancy.TenantEntity;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keycloak mode: provisions each tenant in Keycloak and records the ids in the tenant's events.
 * A tenant whose provisioning failed (Keycloak down) shows {@code provisioning} and is provisioned
 * by {@link #resync()}, which the node runs periodically; every step is idempotent. Admin calls
 * block, so they run on their own executor.
 */
public final class IdentityProvisioning {
  private static final Logger log = LoggerFactory.getLogger(IdentityProvisioning.class);
  static final String ACTOR = "keycloak-provisioning";

  private final KeycloakProvisioner keycloak;
  private final ControlPlane controlPlane;
  private final TenantDirectory tenants;
  private final Executor blocking;
  private final AtomicBoolean realmReady = new AtomicBoolean();
  private final AtomicBoolean resyncing = new AtomicBoolean();
  /** Tenants whose provisioning failed on this node: retried on every pass. */
  private final java.util.Set<TenantId> pending = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Every this many passes (and on the first) all tenants are checked, e.g. after a crash of another node. */
  static final int FULL_PASS_EVERY = 30;
  private final java.util.concurrent.atomic.AtomicLong passes = new java.util.concurrent.atomic.AtomicLong();
  /** Set while Keycloak fails: an outage is logged once, not once per retry. */
  private final AtomicBoolean unreachable = new AtomicBoolean();

  /** {@code tenants}: every tenant, from the read tables. */
  public IdentityProvisioning(KeycloakProvisioner keycloak, ControlPlane controlPlane,
      TenantDirectory tenants, Executor blocking) {
    this.keycloak = keycloak;
    this.tenants = tenants;
    this.controlPlane = controlPlane;
    this.blocking = blocking;
  }

  public KeycloakProvisioner.Settings settings() {
    return keycloak.settings();
  }

  public KeycloakProvisioner keycloak() {
    return keycloak;
  }

  /**
   * The tenant as soon as it is provisioned, or as it is after {@code wait} (then still
   * {@code provisioning}: the periodic resync finishes it).
   */
  public CompletionStage<TenantEntity.Summary> provisionWithin(TenantId tenant, TenantEntity.Summary created, java.time.Duration wait) {
    return provision(tenant).toCompletableFuture()
        .exceptionally(failure -> {
          log.warn("tenant {} created; its Keycloak provisioning is pending: {}", tenant, describe(failure));
          return created;
        })
        .completeOnTimeout(created, wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Provisions the tenant (and the realm first, if needed) and records the Keycloak ids. */
  public CompletionStage<TenantEntity.Summary> provision(TenantId tenant) {
    return call(() -> {
      ensureRealm();
      return keycloak.ensureTenant(tenant);
    }).thenCompose(resources -> controlPlane.tenant(tenant, r -> new TenantEntity.RecordIdentity(
        new TenantEntity.Identity(resources.organizationId(), resources.groupIds()), ACTOR, r), TenantEntity.Summary.class))
        .whenComplete((done, failure) -> {
          if (failure == null) {
            pending.remove(tenant);
          } else {
            pending.add(tenant);
          }
        });
  }

  /**
   * Provisions the tenants not provisioned yet: those that failed on this node on every pass, all
   * tenants on the first pass and every {@value #FULL_PASS_EVERY}th. One pass at a time.
   */
  public CompletionStage<Void> resync() {
    if (!resyncing.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    boolean full = passes.getAndIncrement() % FULL_PASS_EVERY == 0;
    CompletionStage<java.util.List<String>> candidates = full ? tenants.allIds()
        : CompletableFuture.completedFuture(pending.stream().map(TenantId::value).sorted().toList());
    // one tenant after the other; the first failure ends the pass (Keycloak is likely down)
    return candidates.thenCompose(ids -> {
      CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
      for (String id : ids) {
        TenantId tenant = TenantId.of(id);
        chain = chain.thenCompose(done -> controlPlane.tenantSummary(tenant)
            .thenCompose(s -> s.identity() != null || s.status() == TenantEntity.Status.DELETING
                    || s.status() == TenantEntity.Status.DELETED ? CompletableFuture.completedFuture(null)
                : provision(tenant).thenAccept(p -> log.info("tenant {} provisioned in Keycloak", tenant))));
      }
      return chain;
    }).whenComplete((done, failure) -> {
      resyncing.set(false);
      if (failure != null && !unreachable.getAndSet(true)) {
        log.warn("Keycloak provisioning paused, retrying in the background: {}", describe(failure));
      } else if (failure == null && unreachable.getAndSet(false)) {
        log.info("Keycloak provisioning resumed");
      }
    }).exceptionally(failure -> null);
  }

  /** Suspension disables the tenant's service accounts in Keycloak; resumption enables them. */
  public CompletionStage<Void> statusChanged(TenantId tenant, boolean active) {
    return call(() -> {
      keycloak.setTenantEnabled(tenant, active);
      return null;
    }).<Void>thenApply(x -> null).exceptionally(failure -> {
      log.warn("could not {} tenant {}'s clients in Keycloak: {}", active ? "enable" : "disable", tenant, describe(failure));
      return null;
    });
  }

  /**
   * Removes the tenant from Keycloak as it is deleted: its service accounts, Organization and role groups (people
   * stay, without this tenant's groups). Idempotent; fails (503) while Keycloak is unreachable.
   */
  public CompletionStage<Void> removeTenant(TenantId tenant) {
    return call(() -> {
      keycloak.removeTenant(tenant);
      return null;
    });
  }

  /** Runs an admin call off the request threads; outages become 503, conflicts 409, bad input 400. */
  public <T> CompletionStage<T> call(Supplier<T> adminCall) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return adminCall.get();
      } catch (KeycloakProvisioner.Conflict e) {
        throw new Rejected(Rejection.conflict("conflict", e.getMessage()));
      } catch (IllegalArgumentException e) {
        throw new Rejected(Rejection.invalid("invalid_request", e.getMessage()));
      } catch (RuntimeException e) {
        log.debug("Keycloak call failed: {}", describe(e));
        throw new Rejected(Rejection.unavailable("identity_unavailable",
            "the identity provider is not reachable; retry shortly"), 5);
      }
    }, blocking);
  }

  private void ensureRealm() {
    if (!realmReady.get()) {
      keycloak.ensureRealm();
      realmReady.set(true);
    }
  }

  /** Brings the realm up at start (retried by {@link #resync()} if Keycloak is not there yet). */
  public CompletionStage<Void> start() {
    return call(() -> {
      ensureRealm();
      return null;
    }).thenCompose(x -> resync()).exceptionally(failure -> {
      log.warn("Keycloak not ready at start, will retry: {}", describe(failure));
      return null;
    });
  }

  static String describe(Throwable failure) {
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage().lines().findFirst().orElse(""));
  }
}
