package io.modelplane.common.crypto;

/** An encrypted artifact that cannot be read back: wrong key, changed, cut short or not in this format. */
public final class ArtifactDecryptionException extends RuntimeException {
  public ArtifactDecryptionException(String message) {
    super(message);
  }

  public ArtifactDecryptionException(String message, Throwable cause) {
    super(message, cause);
  }
}
