package io.modelplane.common.tls;

/** A certificate, key or keystore file that cannot be used; the message names the file, never its content. */
public final class TlsFileException extends IllegalStateException {
  public TlsFileException(String message) {
    super(message);
  }
}
