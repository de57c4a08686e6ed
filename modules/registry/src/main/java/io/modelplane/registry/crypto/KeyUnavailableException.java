package io.modelplane.registry.crypto;

/** A key cannot be had: its KEK is not configured or does not match, or the tenant's data key was destroyed. */
public final class KeyUnavailableException extends RuntimeException {
  public KeyUnavailableException(String message) {
    super(message);
  }

  public KeyUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
