package io.modelplane.control.placement;

import akka.actor.typed.ActorRef;
import akka.persistence.query.Sequence;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.jdbc.javadsl.JdbcHandler;
import io.modelplane.common.ModelKey;
import io.modelplane.common.Quota;
import io.modelplane.common.TenantId;
import io.modelplane.control.readside.ReadSideDatabase;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The placement feed of one slice: keeps the desired placement tables from the tenant and model
 * events alone, and once each event's writes are committed tells the coordinator what changed (in
 * journal order) and {@code tenantChanged} which tenants every node must forget what it cached of.
 */
final class PlacementFeedHandler extends JdbcHandler<EventEnvelope<Object>, ReadSideDatabase.Session> {
  private static final Logger log = LoggerFactory.getLogger(PlacementFeedHandler.class);

  private final String slice;
  private final ActorRef<PlacementCoordinator.Command> coordinator;
  private final DesiredDeployments deployments;
  private final Consumer<TenantId> tenantChanged;
  private final ReadSideDatabase db;

  PlacementFeedHandler(String slice, ActorRef<PlacementCoordinator.Command> coordinator, DesiredDeployments deployments,
      Consumer<TenantId> tenantChanged, ReadSideDatabase db) {
    this.slice = slice;
    this.coordinator = coordinator;
    this.deployments = deployments;
    this.tenantChanged = tenantChanged;
    this.db = db;
  }

  /**
   * Tells the coordinator this slice's deployments again when the projection (re)starts: a node that died
   * between a commit and its tell leaves nothing missing. Older than what it holds, they change nothing.
   */
  @Override
  public void start() {
    try (Connection c = db.connection()) {
      for (PlacementTables.DeploymentRow row : PlacementTables.deployedIn(c, slice)) {
        Optional<PlacementTables.TenantRow> tenant = PlacementTables.tenant(c, row.tenant());
        tenant.ifPresent(t -> coordinator.tell(quota(t)));
        coordinator.tell(setDeployment(row, tenant.map(PlacementTables.TenantRow::workerPool).orElse(null)));
      }
      c.rollback();
    } catch (SQLException e) {
      // the coordinator read the tables when it started; only a crash between a commit and its tell stays uncovered
      log.warn("could not re-tell placement the deployments of {}: {}", slice, e.toString());
    }
  }

  @Override
  public void process(ReadSideDatabase.Session session, EventEnvelope<Object> envelope) throws Exception {
    long order = ((Sequence) envelope.offset()).value();
    List<PlacementCoordinator.Command> tell = session.withConnection(c -> {
      if (envelope.event() instanceof ModelEntity.Event e) {
        return onModelEvent(c, ModelKey.parse(entityId(envelope)), e, order);
      }
      if (envelope.event() instanceof TenantEntity.Event e) {
        return onTenantEvent(c, TenantId.of(entityId(envelope)), e, order);
      }
      return List.of();
    });
    boolean invalidates = envelope.event() instanceof TenantEntity.Event e && invalidatesCaches(e);
    if (!tell.isEmpty() || invalidates) {
      session.afterCommit(() -> {
        tell.forEach(coordinator::tell);
        if (invalidates) {
          tenantChanged.accept(TenantId.of(entityId(envelope)));
        }
      });
    }
  }

  /** What nodes cache for the predict path (keys, tenant status, tokens, admission leases) depends on these. */
  static boolean invalidatesCaches(TenantEntity.Event e) {
    return e instanceof TenantEntity.TenantCreated || e instanceof TenantEntity.TenantSuspended
        || e instanceof TenantEntity.TenantResumed || e instanceof TenantEntity.QuotaChanged
        || e instanceof TenantEntity.PlanTermsChanged
        || e instanceof TenantEntity.DeletionStarted || e instanceof TenantEntity.TenantDeleted
        || e instanceof TenantEntity.ApiKeyAdded || e instanceof TenantEntity.ApiKeyRevoked
        || e instanceof TenantEntity.AccessChanged a && a.revokesTokensOf() != null;
  }

  private List<PlacementCoordinator.Command> onModelEvent(Connection c, ModelKey key, ModelEntity.Event event, long order)
      throws SQLException {
    String model = key.entityId();
    if (event instanceof ModelEntity.VersionRegistered e) {
      PlacementTables.putVersion(c, model, e.version(), DesiredSpec.Version.of(e));
      return List.of();
    }
    long revision;
    ModelEntity.DeploymentSpec spec;
    if (event instanceof ModelEntity.DeploymentRevised e) {
      PlacementTables.putRevision(c, model, e.revision(), e.spec());
      revision = e.revision();
      spec = e.spec();
    } else if (event instanceof ModelEntity.DeploymentRolledBack e) {
      revision = e.toRevision();
      spec = revision == 0 ? null : PlacementTables.revision(c, model, revision);
    } else if (event instanceof ModelEntity.ModelPurged) {
      // purged with its tenant: nothing desired any more, so placement unloads every replica
      Optional<PlacementTables.DeploymentRow> deployed = PlacementTables.deployment(c, model);
      if (deployed.isEmpty() || deployed.get().desired() == null) {
        return List.of();
      }
      revision = deployed.get().revision();
      spec = null;
    } else {
      return List.of(); // archive and released reservations change no deployment
    }
    Optional<PlacementTables.DeploymentRow> before = PlacementTables.deployment(c, model);
    if (before.isPresent() && before.get().journalOrder() >= order) {
      return List.of(); // a replay over kept tables: this change is in them already
    }
    DesiredSpec desired = null;
    if (spec != null) {
      Map<Integer, DesiredSpec.Version> versions = new TreeMap<>();
      for (Integer number : spec.traffic().keySet()) {
        versions.put(number, PlacementTables.version(c, model, number));
      }
      desired = DesiredSpec.of(revision, spec, versions);
    }
    PlacementTables.DeploymentRow row = new PlacementTables.DeploymentRow(model, key.tenant().value(), slice, revision,
        order, desired);
    PlacementTables.putDeployment(c, row);
    Optional<PlacementTables.TenantRow> tenant = PlacementTables.tenant(c, key.tenant().value());
    List<PlacementCoordinator.Command> tell = new ArrayList<>();
    // the tenant's limit first: a coordinator that started after the tenant's last change may not have it yet
    tenant.ifPresent(t -> tell.add(quota(t)));
    tell.add(setDeployment(row, tenant.map(PlacementTables.TenantRow::workerPool).orElse(null)));
    return tell;
  }

  private List<PlacementCoordinator.Command> onTenantEvent(Connection c, TenantId tenantId, TenantEntity.Event event,
      long order) throws SQLException {
    String tenant = tenantId.value();
    Optional<PlacementTables.TenantRow> before = PlacementTables.tenant(c, tenant);
    if (before.isPresent() && before.get().journalOrder() >= order) {
      return List.of();
    }
    Long bytes = before.map(PlacementTables.TenantRow::maxResidentBytes).orElse(null);
    String pool = before.map(PlacementTables.TenantRow::workerPool).orElse(null);
    if (event instanceof TenantEntity.TenantCreated e) {
      bytes = maxResidentBytes(e.quota());
    } else if (event instanceof TenantEntity.QuotaChanged e) {
      bytes = maxResidentBytes(e.quota());
    } else if (event instanceof TenantEntity.PlanTermsChanged e) {
      bytes = maxResidentBytes(e.quota());
    } else if (event instanceof TenantEntity.WorkerPoolChanged e) {
      pool = e.workerPool();
    } else {
      return List.of();
    }
    PlacementTables.TenantRow row = new PlacementTables.TenantRow(tenant, slice, bytes, pool, order);
    PlacementTables.putTenant(c, row);
    List<PlacementCoordinator.Command> tell = new ArrayList<>();
    tell.add(quota(row));
    if (event instanceof TenantEntity.WorkerPoolChanged) {
      // every deployment of the tenant moves to the pool's workers (or back to the shared ones)
      for (PlacementTables.DeploymentRow deployed : PlacementTables.deployedOf(c, tenant)) {
        PlacementTables.DeploymentRow moved = new PlacementTables.DeploymentRow(deployed.modelKey(), tenant,
            deployed.slice(), deployed.revision(), order, deployed.desired());
        PlacementTables.putDeployment(c, moved);
        tell.add(setDeployment(moved, pool));
      }
    }
    return tell;
  }

  private static Long maxResidentBytes(Quota quota) {
    return quota == null ? null : quota.maxResidentBytes();
  }

  static PlacementCoordinator.SetTenantQuota quota(PlacementTables.TenantRow row) {
    return new PlacementCoordinator.SetTenantQuota(TenantId.of(row.tenant()), row.maxResidentBytes(), row.journalOrder());
  }

  PlacementCoordinator.SetDeployment setDeployment(PlacementTables.DeploymentRow row, String workerPool) {
    return new PlacementCoordinator.SetDeployment(ModelKey.parse(row.modelKey()),
        row.desired() == null ? null : deployments.toPlace(ModelKey.parse(row.modelKey()), row.desired(), workerPool),
        row.journalOrder());
  }

  /** {@code Model|acme/m} → {@code acme/m} */
  private static String entityId(EventEnvelope<Object> envelope) {
    String id = envelope.persistenceId();
    return id.substring(id.indexOf('|') + 1);
  }
}
