package io.modelplane.control.keys;

import akka.Done;
import io.modelplane.common.TenantId;
import io.modelplane.control.readside.ReadSideDatabase;
import io.modelplane.registry.crypto.DataKey;
import io.modelplane.registry.crypto.KeySource;
import io.modelplane.registry.crypto.KeyUnavailableException;
import io.modelplane.registry.crypto.RotationResult;
import io.modelplane.registry.crypto.TenantKeys;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tenants' data keys in the control database's {@code tenant_data_keys} table, wrapped by the
 * {@link KeySource}'s KEK with the tenant id as associated data. The table is mutable on purpose:
 * destroying a key deletes its wrapped bytes for good. A destroyed key's row stays (wrapped NULL)
 * so that no key is silently created again for the tenant's old artifacts; {@link #forget} lets a
 * released id start over with the next key generation. The facts go to the {@link KeyLedger}.
 */
public final class StoredTenantKeys implements TenantKeys {
  private static final Logger log = LoggerFactory.getLogger(StoredTenantKeys.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ReadSideDatabase db;
  private final KeySource kek;
  private final KeyLedger ledger;
  private final Executor blocking;
  private final Clock clock;

  public StoredTenantKeys(ReadSideDatabase db, KeySource kek, KeyLedger ledger, Executor blocking, Clock clock) {
    this.db = db;
    this.kek = kek;
    this.ledger = ledger;
    this.blocking = blocking;
    this.clock = clock;
  }

  /** The table, if it does not exist yet (idempotent; both H2 and PostgreSQL). */
  public static void createTable(ReadSideDatabase db) {
    String bytes = db.postgres() ? "BYTEA" : "VARBINARY(1024)";
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS tenant_data_keys (tenant VARCHAR(255) NOT NULL PRIMARY KEY,"
          + " generation INT NOT NULL, kek_id VARCHAR(255), wrapped " + bytes + ", created_at TIMESTAMP NOT NULL,"
          + " rewrapped_at TIMESTAMP, destroyed_at TIMESTAMP)");
      c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the tenant_data_keys table: " + e.getMessage(), e);
    }
  }

  private record Row(int generation, String kekId, byte[] wrapped, boolean destroyed) {}

  @Override
  public CompletionStage<DataKey> keyOf(TenantId tenant) {
    return CompletableFuture.supplyAsync(() -> load(tenant), blocking).thenCompose(found -> {
      if (found.created() == null) {
        return CompletableFuture.completedFuture(found.key());
      }
      // journaled after the row is committed: the fact never names a key that does not exist
      return ledger.created(tenant.value(), found.key().id(), found.created()).thenApply(d -> found.key());
    });
  }

  private record Found(DataKey key, String created) {}

  private Found load(TenantId tenant) {
    for (int attempt = 0; attempt < 3; attempt++) {
      try (Connection c = db.connection()) {
        Row row = row(c, tenant);
        if (row != null && row.wrapped() != null) {
          c.rollback();
          return new Found(unwrap(tenant, row), null);
        }
        if (row != null && row.destroyed()) {
          c.rollback();
          throw new KeyUnavailableException("the data key of tenant " + tenant.value() + " was destroyed: its"
              + " artifacts can no longer be read");
        }
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        String kekId = kek.activeKekId();
        byte[] wrapped = kek.wrap(kekId, key, aad(tenant));
        int generation = row == null ? 1 : row.generation() + 1;
        boolean written;
        if (row == null) {
          written = insert(c, tenant, generation, kekId, wrapped);
        } else {
          try (PreparedStatement s = c.prepareStatement("UPDATE tenant_data_keys SET generation = ?, kek_id = ?,"
              + " wrapped = ?, created_at = ?, rewrapped_at = NULL, destroyed_at = NULL"
              + " WHERE tenant = ? AND wrapped IS NULL AND destroyed_at IS NULL AND generation = ?")) {
            s.setInt(1, generation);
            s.setString(2, kekId);
            s.setBytes(3, wrapped);
            s.setTimestamp(4, Timestamp.from(clock.instant()));
            s.setString(5, tenant.value());
            s.setInt(6, row.generation());
            written = s.executeUpdate() == 1;
          }
        }
        if (!written) {
          c.rollback();
          continue; // another node created it meanwhile: read theirs
        }
        c.commit();
        DataKey created = new DataKey(tenant, keyId(tenant, generation), key);
        Arrays.fill(key, (byte) 0);
        log.info("created data key {} for tenant {} (wrapped under KEK {})", created.id(), tenant.value(), kekId);
        return new Found(created, kekId);
      } catch (SQLException e) {
        throw new CompletionException(new IllegalStateException("cannot read the data key of tenant "
            + tenant.value() + ": " + e.getMessage(), e));
      }
    }
    throw new IllegalStateException("the data key of tenant " + tenant.value() + " kept changing while read");
  }

  private boolean insert(Connection c, TenantId tenant, int generation, String kekId, byte[] wrapped) {
    try (PreparedStatement s = c.prepareStatement("INSERT INTO tenant_data_keys (tenant, generation, kek_id, wrapped,"
        + " created_at) VALUES (?, ?, ?, ?, ?)")) {
      s.setString(1, tenant.value());
      s.setInt(2, generation);
      s.setString(3, kekId);
      s.setBytes(4, wrapped);
      s.setTimestamp(5, Timestamp.from(clock.instant()));
      s.executeUpdate();
      return true;
    } catch (SQLException duplicate) {
      return false;
    }
  }

  private DataKey unwrap(TenantId tenant, Row row) {
    byte[] bytes = kek.unwrap(row.kekId(), row.wrapped(), aad(tenant));
    try {
      return new DataKey(tenant, keyId(tenant, row.generation()), bytes);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  @Override
  public CompletionStage<Boolean> destroy(TenantId tenant) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = db.connection()) {
        Row row = row(c, tenant);
        if (row == null || row.wrapped() == null) {
          // never had one, or destroyed already: mark it so no key is created for the tenant's old artifacts
          if (row == null) {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO tenant_data_keys (tenant, generation,"
                + " created_at, destroyed_at) VALUES (?, 0, ?, ?)")) {
              s.setString(1, tenant.value());
              s.setTimestamp(2, Timestamp.from(clock.instant()));
              s.setTimestamp(3, Timestamp.from(clock.instant()));
              s.executeUpdate();
            }
          }
          c.commit();
          return null;
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE tenant_data_keys SET wrapped = NULL, kek_id = NULL,"
            + " destroyed_at = ? WHERE tenant = ?")) {
          s.setTimestamp(1, Timestamp.from(clock.instant()));
          s.setString(2, tenant.value());
          s.executeUpdate();
        }
        c.commit();
        return keyId(tenant, row.generation());
      } catch (SQLException e) {
        throw new IllegalStateException("cannot destroy the data key of tenant " + tenant.value() + ": "
            + e.getMessage(), e);
      }
    }, blocking).thenCompose(keyId -> {
      if (keyId == null) {
        return CompletableFuture.completedFuture(false);
      }
      log.info("destroyed data key {} of tenant {}", keyId, tenant.value());
      return ledger.destroyed(tenant.value(), keyId, "platform").thenApply(d -> true);
    });
  }

  @Override
  public CompletionStage<Boolean> forget(TenantId tenant) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = db.connection();
           PreparedStatement s = c.prepareStatement("UPDATE tenant_data_keys SET destroyed_at = NULL"
               + " WHERE tenant = ? AND wrapped IS NULL AND destroyed_at IS NOT NULL")) {
        s.setString(1, tenant.value());
        boolean changed = s.executeUpdate() == 1;
        c.commit();
        return changed;
      } catch (SQLException e) {
        throw new IllegalStateException("cannot release the data key of tenant " + tenant.value() + ": "
            + e.getMessage(), e);
      }
    }, blocking);
  }

  @Override
  public CompletionStage<RotationResult> rotate(String actor) {
    return CompletableFuture.supplyAsync(this::rewrapAll, blocking)
        .thenCompose(result -> ledger.rewrapped(result.previousKek(), result.activeKek(), result.rewrapped(), actor)
            .thenApply(d -> result));
  }

  /** One transaction per key: a KEK that fails part-way leaves each key wrapped under one KEK or the other. */
  private RotationResult rewrapAll() {
    String active = kek.activeKekId();
    Map<String, Integer> previous = new HashMap<>();
    List<String> tenants = new ArrayList<>();
    try (Connection c = db.connection();
         PreparedStatement s = c.prepareStatement("SELECT tenant, kek_id FROM tenant_data_keys WHERE wrapped IS NOT NULL"
             + " ORDER BY tenant")) {
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          previous.merge(rs.getString(2), 1, Integer::sum);
          if (!active.equals(rs.getString(2))) {
            tenants.add(rs.getString(1));
          }
        }
      }
      c.rollback();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the data keys: " + e.getMessage(), e);
    }
    int rewrapped = 0;
    for (String name : tenants) {
      TenantId tenant = new TenantId(name);
      try (Connection c = db.connection()) {
        Row row = row(c, tenant);
        if (row == null || row.wrapped() == null || active.equals(row.kekId())) {
          c.rollback();
          continue;
        }
        byte[] key = kek.unwrap(row.kekId(), row.wrapped(), aad(tenant));
        byte[] wrapped = kek.wrap(active, key, aad(tenant));
        Arrays.fill(key, (byte) 0);
        try (PreparedStatement s = c.prepareStatement("UPDATE tenant_data_keys SET kek_id = ?, wrapped = ?,"
            + " rewrapped_at = ? WHERE tenant = ? AND kek_id = ? AND wrapped IS NOT NULL")) {
          s.setString(1, active);
          s.setBytes(2, wrapped);
          s.setTimestamp(3, Timestamp.from(clock.instant()));
          s.setString(4, name);
          s.setString(5, row.kekId());
          rewrapped += s.executeUpdate();
        }
        c.commit();
      } catch (SQLException e) {
        throw new IllegalStateException("cannot re-wrap the data key of tenant " + name + ": " + e.getMessage(), e);
      }
    }
    // the KEK most keys were under before (the active one when all already were)
    String before = previous.entrySet().stream().filter(e -> !e.getKey().equals(active))
        .max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(active);
    log.info("re-wrapped {} data keys from {} to KEK {}", rewrapped, before, active);
    return new RotationResult(before, active, rewrapped);
  }

  private static Row row(Connection c, TenantId tenant) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT generation, kek_id, wrapped, destroyed_at"
        + " FROM tenant_data_keys WHERE tenant = ?")) {
      s.setString(1, tenant.value());
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? new Row(rs.getInt(1), rs.getString(2), rs.getBytes(3), rs.getTimestamp(4) != null) : null;
      }
    }
  }

  private static String keyId(TenantId tenant, int generation) {
    return tenant.value() + "/" + generation;
  }

  private static byte[] aad(TenantId tenant) {
    return tenant.value().getBytes(StandardCharsets.UTF_8);
  }
}
