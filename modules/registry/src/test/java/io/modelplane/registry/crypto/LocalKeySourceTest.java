package io.modelplane.registry.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelplane.common.TenantId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKeySourceTest {
  private static final byte[] AAD = "acme".getBytes(StandardCharsets.UTF_8);
  @TempDir
  Path dir;

  private static byte[] key(int fill) {
    byte[] k = new byte[32];
    java.util.Arrays.fill(k, (byte) fill);
    return k;
  }

  @Test
  void wrapsAndUnwrapsBoundToTheTenant() {
    LocalKeySource source = LocalKeySource.of(Map.of("k1", key(1)), "k1");
    byte[] wrapped = source.wrap("k1", key(7), AAD);

    assertThat(source.unwrap("k1", wrapped, AAD)).isEqualTo(key(7));
    assertThatThrownBy(() -> source.unwrap("k1", wrapped, "other".getBytes()))
        .isInstanceOf(KeyUnavailableException.class).hasMessageContaining("k1");
  }

  @Test
  void aWrongOrMissingKekFailsWithAClearMessageAndNoKeyBytes() {
    LocalKeySource right = LocalKeySource.of(Map.of("k1", key(1)), "k1");
    LocalKeySource wrong = LocalKeySource.of(Map.of("k1", key(2)), "k1");
    byte[] wrapped = right.wrap("k1", key(7), AAD);

    assertThatThrownBy(() -> wrong.unwrap("k1", wrapped, AAD)).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("KEK k1").hasMessageContaining("different key")
        .satisfies(e -> assertNoKeyBytes(e.getMessage()));
    assertThatThrownBy(() -> right.unwrap("k0", wrapped, AAD)).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("KEK k0 is not configured");
  }

  @Test
  void readsAKeyFileWithItsActiveKeyAndAnEnvironmentKey() throws Exception {
    Path file = dir.resolve("keks");
    String k1 = Base64.getEncoder().encodeToString(key(1));
    String k2 = Base64.getEncoder().encodeToString(key(2));
    Files.writeString(file, "# keys\nold " + k1 + "\nnew " + k2 + "\nactive old\n");

    LocalKeySource fromFile = LocalKeySource.fromSettings(file, null, null);
    assertThat(fromFile.activeKekId()).isEqualTo("old");
    assertThat(fromFile.kekIds()).containsExactlyInAnyOrder("old", "new");

    Files.writeString(file, "old " + k1 + "\nnew " + k2 + "\n");
    assertThat(LocalKeySource.fromSettings(file, null, null).activeKekId()).isEqualTo("new"); // the last one

    String env = Base64.getEncoder().encodeToString(key(3));
    LocalKeySource both = LocalKeySource.fromSettings(file, env, null);
    assertThat(both.activeKekId()).startsWith("env-");
    assertThat(both.kekIds()).contains("old", "new");
    assertThat(both.toString()).doesNotContain(k1, k2, env);
  }

  @Test
  void refusesMalformedKeys() throws Exception {
    Path file = dir.resolve("keks");
    Files.writeString(file, "k1 c2hvcnQ=\n");
    assertThatThrownBy(() -> LocalKeySource.fromSettings(file, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> LocalKeySource.fromSettings(null, "not base64!", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MODELPLANE_KEK");
    assertThatThrownBy(() -> LocalKeySource.fromSettings(null, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MODELPLANE_KEK_FILE");
  }

  @Test
  void theDevelopmentKeyFileIsCreatedOwnerOnlyAndKept() throws Exception {
    LocalKeySource first = LocalKeySource.fromSettings(null, "", dir);
    Path file = dir.resolve(LocalKeySource.DEV_KEY_FILE);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    LocalKeySource again = LocalKeySource.fromSettings(null, null, dir);
    assertThat(again.activeKekId()).isEqualTo(first.activeKekId());
    byte[] wrapped = first.wrap(first.activeKekId(), key(9), AAD);
    assertThat(again.unwrap(again.activeKekId(), wrapped, AAD)).isEqualTo(key(9));
  }

  @Test
  void aDataKeyShowsNoBytesAndIsNotSerialisable() {
    DataKey key = new DataKey(TenantId.of("acme"), "acme/1", key(0x5a));

    assertThat(key.toString()).isEqualTo("DataKey[acme/1, bytes hidden]");
    assertThat(key.artifactKey().toString()).doesNotContain("5a", "Wl");
    assertThatThrownBy(() -> new ObjectMapper().writeValueAsString(key)).isInstanceOf(Exception.class);
  }

  private static void assertNoKeyBytes(String message) {
    assertThat(message).doesNotContain(HexFormat.of().formatHex(key(1)), Base64.getEncoder().encodeToString(key(1)));
  }
}
