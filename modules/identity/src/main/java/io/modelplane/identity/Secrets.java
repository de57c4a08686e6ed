package io.modelplane.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Random secrets and their hashes. Secrets are 256-bit random values, so a plain SHA-256 is a
 * sound one-way hash for them (no password stretching needed); comparisons are constant-time.
 */
public final class Secrets {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private Secrets() {}

  /** {@code bytes} random bytes as lowercase hex. */
  public static String randomHex(int bytes) {
    byte[] buffer = new byte[bytes];
    RANDOM.nextBytes(buffer);
    return HEX.formatHex(buffer);
  }

  /** Lowercase hex SHA-256 of the UTF-8 bytes of {@code secret}. */
  public static String sha256Hex(String secret) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HEX.formatHex(digest.digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Whether {@code secret} hashes to {@code expectedHash}, in time independent of where they differ. */
  public static boolean matches(String secret, String expectedHash) {
    if (secret == null || expectedHash == null) {
      return false;
    }
    return MessageDigest.isEqual(
        sha256Hex(secret).getBytes(StandardCharsets.US_ASCII),
        expectedHash.getBytes(StandardCharsets.US_ASCII));
  }
}
