package io.modelplane.app;

import io.modelplane.common.PrivateFiles;
import io.modelplane.identity.Secrets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The bootstrap operator credential. Given (MODELPLANE_OPERATOR_KEY): only its hash is kept in
 * memory. Not given: generated on first start, printed once to the console (never to a log) and
 * only its hash stored under the data dir.
 */
final class OperatorKey {
  static final String HASH_FILE = "operator-key.sha256";

  private OperatorKey() {}

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
