package io.modelplane.registry.crypto;

import io.modelplane.common.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KEKs held by this process: from a key file ({@code MODELPLANE_KEK_FILE}: lines {@code <id> <base64
 * of 32 bytes>}, and {@code active <id>} naming the active one, else the last key listed) and/or an
 * environment secret ({@code MODELPLANE_KEK}, base64 of 32 bytes, id {@code env-<fingerprint>}).
 * Wrapping is AES-256-GCM with a random nonce and the tenant id as associated data.
 */
public final class LocalKeySource implements KeySource {
  private static final Logger log = LoggerFactory.getLogger(LocalKeySource.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int NONCE_BYTES = 12;
  /** The file written on a node's first start when no KEK is configured (development only). */
  public static final String DEV_KEY_FILE = "kek.keys";

  private final Map<String, SecretKeySpec> keks;
  private final String active;

  private LocalKeySource(Map<String, SecretKeySpec> keks, String active) {
    if (!keks.containsKey(active)) {
      throw new IllegalArgumentException("the active KEK '" + active + "' is not among the configured keys "
          + keks.keySet());
    }
    this.keks = Map.copyOf(keks);
    this.active = active;
  }

  /**
   * The KEKs of {@code kekFile} (null or blank: none) and {@code kekBase64} (null or blank: none).
   * When neither is given and {@code devDir} is not null, the key file {@code devDir/kek.keys}
   * (created 0600 with a fresh key on first use, with a warning) is used; otherwise that is an error.
   * Both given: the file's {@code active} line decides when it has one, else the environment key.
   */
  public static LocalKeySource fromSettings(Path kekFile, String kekBase64, Path devDir) {
    Map<String, SecretKeySpec> keks = new LinkedHashMap<>();
    String active = null;
    boolean fileNamesActive = false;
    if (kekFile == null && (kekBase64 == null || kekBase64.isBlank())) {
      if (devDir == null) {
        throw new IllegalArgumentException("no key-encryption key: set MODELPLANE_KEK_FILE or MODELPLANE_KEK");
      }
      kekFile = devKeyFile(devDir);
    }
    if (kekFile != null) {
      KeyFile parsed = readKeyFile(kekFile);
      keks.putAll(parsed.keys());
      active = parsed.active();
      fileNamesActive = parsed.named();
    }
    if (kekBase64 != null && !kekBase64.isBlank()) {
      byte[] bytes = decode(kekBase64.strip(), "MODELPLANE_KEK");
      String id = "env-" + fingerprint(bytes);
      keks.put(id, new SecretKeySpec(bytes, "AES"));
      if (!fileNamesActive) {
        active = id;
      }
    }
    LocalKeySource source = new LocalKeySource(keks, active);
    log.info("key-encryption keys: {} configured, active {}", keks.size(), active);
    return source;
  }

  /** A source of exactly these keys (id → 32 bytes), {@code active} among them; for tests and tools. */
  public static LocalKeySource of(Map<String, byte[]> keys, String active) {
    Map<String, SecretKeySpec> keks = new LinkedHashMap<>();
    keys.forEach((id, bytes) -> keks.put(id, new SecretKeySpec(checkLength(bytes, id), "AES")));
    return new LocalKeySource(keks, active);
  }

  /** 32 random bytes in base64: a new KEK for a key file or {@code MODELPLANE_KEK}. */
  public static String newKeyBase64() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  @Override
  public String activeKekId() {
    return active;
  }

  /** The ids of every KEK this source can unwrap with. */
  public Set<String> kekIds() {
    return keks.keySet();
  }

  @Override
  public byte[] wrap(String kekId, byte[] dataKey, byte[] associatedData) {
    SecretKeySpec kek = kek(kekId);
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(128, nonce));
      cipher.updateAAD(associatedData);
      byte[] sealed = cipher.doFinal(dataKey);
      byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new KeyUnavailableException("wrapping a data key under KEK " + kekId + " failed: "
          + e.getClass().getSimpleName(), e);
    }
  }

  @Override
  public byte[] unwrap(String kekId, byte[] wrapped, byte[] associatedData) {
    SecretKeySpec kek = kek(kekId);
    if (wrapped == null || wrapped.length <= NONCE_BYTES + 16) {
      throw new KeyUnavailableException("the data key wrapped under KEK " + kekId + " is damaged");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(128, wrapped, 0, NONCE_BYTES));
      cipher.updateAAD(associatedData);
      return cipher.doFinal(wrapped, NONCE_BYTES, wrapped.length - NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw new KeyUnavailableException("the data key wrapped under KEK " + kekId + " does not unwrap with the"
          + " configured key of that id: the key file or MODELPLANE_KEK holds a different key than the one it was"
          + " wrapped with", e);
    }
  }

  private SecretKeySpec kek(String kekId) {
    SecretKeySpec kek = keks.get(kekId);
    if (kek == null) {
      throw new KeyUnavailableException("KEK " + kekId + " is not configured on this node (configured: "
          + keks.keySet() + "); keep every KEK that data keys are still wrapped under until a rotation re-wraps them");
    }
    return kek;
  }

  @Override
  public String toString() {
    return "LocalKeySource[active " + active + ", keys " + keks.keySet() + "]";
  }

  private record KeyFile(Map<String, SecretKeySpec> keys, String active, boolean named) {}

  private static KeyFile readKeyFile(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the KEK file " + file + " (MODELPLANE_KEK_FILE): "
          + e.getMessage(), e);
    }
    Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
    String active = null;
    String last = null;
    int number = 0;
    for (String raw : text.split("\n")) {
      number++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length != 2 || !parts[0].matches("[A-Za-z0-9._-]{1,64}")) {
        throw new IllegalArgumentException("the KEK file " + file + " line " + number
            + " is not '<id> <base64 key>' or 'active <id>'");
      }
      if (parts[0].equals("active")) {
        active = parts[1];
      } else {
        keys.put(parts[0], new SecretKeySpec(decode(parts[1], "the KEK file " + file + " line " + number), "AES"));
        last = parts[0];
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("the KEK file " + file + " holds no key");
    }
    return new KeyFile(keys, active != null ? active : last, active != null);
  }

  private static Path devKeyFile(Path dir) {
    Path file = dir.resolve(DEV_KEY_FILE);
    try {
      if (!Files.exists(file)) {
        PrivateFiles.directory(dir);
        String id = "dev-" + HexFormat.of().formatHex(randomBytes(4));
        Files.writeString(file, "# development KEK generated by ModelPlane; production must provide MODELPLANE_KEK_FILE"
            + " or MODELPLANE_KEK\n" + id + " " + newKeyBase64() + "\n", StandardCharsets.US_ASCII,
            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        PrivateFiles.setMode(file, PrivateFiles.FILE_MODE);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the development KEK file " + file, e);
    }
    log.warn("no MODELPLANE_KEK_FILE or MODELPLANE_KEK: data keys are wrapped with the development key in {};"
        + " production (and every multi-node cluster) must provide a KEK", file);
    return file;
  }

  private static byte[] decode(String base64, String where) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + " is not base64");
    }
    return checkLength(bytes, where);
  }

  private static byte[] checkLength(byte[] bytes, String where) {
    if (bytes.length != 32) {
      throw new IllegalArgumentException(where + " must be 32 bytes (base64 of a 256-bit key), was " + bytes.length);
    }
    return bytes;
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  /** A short, one-way id of a key: the first 6 bytes of SHA-256 over a label and the key. */
  private static String fingerprint(byte[] key) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update("modelplane kek id".getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(Arrays.copyOf(digest.digest(key), 6));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
