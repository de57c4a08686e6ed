package io.modelplane.control.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelplane.common.TenantId;
import io.modelplane.control.readside.ReadSideDatabase;
import io.modelplane.registry.crypto.DataKey;
import io.modelplane.registry.crypto.KeySource;
import io.modelplane.registry.crypto.KeyUnavailableException;
import io.modelplane.registry.crypto.LocalKeySource;
import io.modelplane.registry.crypto.RotationResult;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link StoredTenantKeys} against a real database; H2 and PostgreSQL run it. */
abstract class StoredTenantKeysContract {
  private static final TenantId ACME = TenantId.of("acme");
  private static final TenantId GLOBEX = TenantId.of("globex");
  private static final byte[] KEK1 = filled(1);
  private static final byte[] KEK2 = filled(2);

  private ReadSideDatabase db;
  private final RecordedKeyLedger ledger = new RecordedKeyLedger();

  abstract String jdbcUrl() throws Exception;

  abstract String user();

  abstract String password();

  @BeforeEach
  void open() throws Exception {
    db = ReadSideDatabase.open(jdbcUrl(), user(), password(), 2, null);
    StoredTenantKeys.createTable(db);
    StoredTenantKeys.createTable(db); // idempotent
  }

  @AfterEach
  void close() {
    db.close();
  }

  private StoredTenantKeys keys(KeySource kek) {
    return new StoredTenantKeys(db, kek, ledger, Runnable::run, Clock.systemUTC());
  }

  @Test
  void createsAKeyOnceStoresItOnlyWrappedAndJournalsTheFact() throws Exception {
    StoredTenantKeys keys = keys(LocalKeySource.of(Map.of("k1", KEK1), "k1"));

    DataKey first = await(keys.keyOf(ACME));
    DataKey again = await(keys.keyOf(ACME));

    assertThat(first.id()).isEqualTo("acme/1");
    assertThat(again.artifactKey()).isEqualTo(first.artifactKey());
    assertThat(await(keys.keyOf(GLOBEX)).artifactKey()).isNotEqualTo(first.artifactKey());
    assertThat(ledger.facts).containsExactly("created acme/1 under k1", "created globex/1 under k1");
    // the table holds the key wrapped, never its bytes
    String raw = HexFormat.of().formatHex(first.artifactKey().bytes());
    assertThat(rowOf("acme")).noneMatch(column -> column != null && column.contains(raw));
  }

  @Test
  void aWrongOrMissingKekFailsClearly() throws Exception {
    await(keys(LocalKeySource.of(Map.of("k1", KEK1), "k1")).keyOf(ACME));

    assertThatThrownBy(() -> await(keys(LocalKeySource.of(Map.of("k1", KEK2), "k1")).keyOf(ACME)))
        .isInstanceOf(KeyUnavailableException.class).hasMessageContaining("KEK k1");
    assertThatThrownBy(() -> await(keys(LocalKeySource.of(Map.of("k2", KEK2), "k2")).keyOf(ACME)))
        .isInstanceOf(KeyUnavailableException.class).hasMessageContaining("KEK k1 is not configured");
  }

  @Test
  void rotationRewrapsEveryKeyUnderTheActiveKekAndKeepsThemReadable() throws Exception {
    StoredTenantKeys before = keys(LocalKeySource.of(Map.of("k1", KEK1), "k1"));
    DataKey acme = await(before.keyOf(ACME));
    DataKey globex = await(before.keyOf(GLOBEX));
    StoredTenantKeys after = keys(LocalKeySource.of(Map.of("k1", KEK1, "k2", KEK2), "k2"));

    RotationResult result = await(after.rotate("operator-1"));

    assertThat(result).isEqualTo(new RotationResult("k1", "k2", 2));
    assertThat(ledger.facts).contains("rewrapped 2 from k1 to k2 by operator-1");
    // only the new KEK is needed from now on; the keys themselves did not change
    StoredTenantKeys onlyNew = keys(LocalKeySource.of(Map.of("k2", KEK2), "k2"));
    assertThat(await(onlyNew.keyOf(ACME)).artifactKey()).isEqualTo(acme.artifactKey());
    assertThat(await(onlyNew.keyOf(GLOBEX)).artifactKey()).isEqualTo(globex.artifactKey());
    assertThat(await(onlyNew.rotate("operator-1"))).isEqualTo(new RotationResult("k2", "k2", 0));
  }

  @Test
  void aDestroyedKeyIsGoneAndNotCreatedAgainUntilTheIdIsReleased() throws Exception {
    StoredTenantKeys keys = keys(LocalKeySource.of(Map.of("k1", KEK1), "k1"));
    DataKey old = await(keys.keyOf(ACME));

    assertThat(await(keys.destroy(ACME))).isTrue();
    assertThat(await(keys.destroy(ACME))).isFalse();

    assertThatThrownBy(() -> await(keys.keyOf(ACME))).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("destroyed");
    assertThat(rowOf("acme")).containsNull(); // the wrapped bytes are deleted, not kept aside
    assertThat(ledger.facts).contains("destroyed acme/1 by platform");
    // a tenant that never had a key cannot get one after a destroy either
    assertThat(await(keys.destroy(GLOBEX))).isFalse();
    assertThatThrownBy(() -> await(keys.keyOf(GLOBEX))).isInstanceOf(KeyUnavailableException.class);

    assertThat(await(keys.forget(ACME))).isTrue();
    DataKey fresh = await(keys.keyOf(ACME));
    assertThat(fresh.id()).isEqualTo("acme/2");
    assertThat(fresh.artifactKey()).isNotEqualTo(old.artifactKey());
  }

  private List<String> rowOf(String tenant) throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT * FROM tenant_data_keys WHERE tenant = '" + tenant + "'")) {
      assertThat(rs.next()).isTrue();
      List<String> columns = new ArrayList<>();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        Object value = rs.getObject(i);
        columns.add(value instanceof byte[] bytes ? HexFormat.of().formatHex(bytes) : value == null ? null : value.toString());
      }
      c.rollback();
      return columns;
    }
  }

  private static byte[] filled(int value) {
    byte[] bytes = new byte[32];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }
}
