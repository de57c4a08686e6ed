package io.modelplane.app;

import io.modelplane.common.PrivateFiles;
import io.modelplane.identity.Secrets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The bootstrap operator credential. Given (MODELPLANE_OPERATOR_KEY): only its hash is kept in
 * memory. Not given: generated on first start, printed once to the console (never to a log) and
 * only its hash stored under the data dir.
 */
final class OperatorKey {
  static final String HASH_FILE = "operator-key.sha256";
  static final int MIN_LENGTH = 32;
  static final double MIN_BITS = 128;

  private OperatorKey() {}

  /**
   * Refuses a given operator key that is too short or too predictable to guard the whole platform.
   * The estimate is the smaller of two: length times log2 of the alphabet its character classes span
   * (lower, upper, digits, other), and length times the Shannon entropy of its characters, which
   * catches skewed keys ("aaaa…b") that a class count would rate highly; a key that repeats a block
   * ("abcabc…") is rated as its block. The message never contains the key.
   */
  static void requireStrong(String given) {
    String key = given.trim();
    if (key.isEmpty()) {
      return; // none given: one is generated on first start
    }
    String fix = "; generate one with `openssl rand -hex 32` (or leave MODELPLANE_OPERATOR_KEY unset to get"
        + " one generated on first start)";
    if (key.length() < MIN_LENGTH) {
      throw new RefusedSettingException("the operator key (MODELPLANE_OPERATOR_KEY or modelplane.operator-key) is too"
          + " short: " + key.length() + " characters, at least " + MIN_LENGTH + " are needed" + fix);
    }
    double bits = estimatedBits(key);
    if (bits < MIN_BITS) {
      throw new RefusedSettingException("the operator key (MODELPLANE_OPERATOR_KEY or modelplane.operator-key) is too"
          + " predictable: about " + Math.round(bits) + " bits of entropy, at least " + Math.round(MIN_BITS)
          + " are needed" + fix);
    }
  }

  /** The key's estimated entropy in bits (see {@link #requireStrong}). */
  static double estimatedBits(String key) {
    int[] chars = key.codePoints().toArray();
    int period = period(chars);
    if (period < chars.length) {
      return estimatedBits(new String(chars, 0, period));
    }
    boolean lower = false;
    boolean upper = false;
    boolean digit = false;
    boolean other = false;
    Map<Integer, Integer> counts = new HashMap<>();
    for (int c : chars) {
      lower |= c >= 'a' && c <= 'z';
      upper |= c >= 'A' && c <= 'Z';
      digit |= c >= '0' && c <= '9';
      other |= !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9');
      counts.merge(c, 1, Integer::sum);
    }
    int alphabet = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 33 : 0);
    int length = chars.length;
    double byClasses = length * log2(alphabet);
    double perChar = 0;
    for (int n : counts.values()) {
      double p = (double) n / length;
      perChar -= p * log2(p);
    }
    return Math.min(byClasses, length * perChar);
  }

  /** The length of the shortest block that {@code chars} repeats (its whole length when it repeats none). */
  private static int period(int[] chars) {
    for (int p = 1; p <= chars.length / 2; p++) {
      if (chars.length % p != 0) {
        continue;
      }
      boolean repeats = true;
      for (int i = p; i < chars.length && repeats; i++) {
        repeats = chars[i] == chars[i - p];
      }
      if (repeats) {
        return p;
      }
    }
    return chars.length;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  /** The hash of the operator credential, creating the credential if there is none yet. */
  static String hash(NodeSettings settings) {
    if (!settings.operatorKey().isBlank()) {
      return Secrets.sha256Hex(settings.operatorKey().trim());
    }
    Path file = settings.dataDir().resolve(HASH_FILE);
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.US_ASCII).trim();
      }
      String key = "mp_operator_" + Secrets.randomHex(32);
      String hash = Secrets.sha256Hex(key);
      PrivateFiles.directory(settings.dataDir());
      Files.writeString(Files.createFile(file, PrivateFiles.FILE), hash + "\n", StandardCharsets.US_ASCII,
          StandardOpenOption.WRITE);
      System.out.println("""

          ==== ModelPlane operator key (shown once; only its hash is stored in %s) ====
          %s
          ====
          """.formatted(file, key));
      return hash;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the operator key hash in " + file, e);
    }
  }
}
