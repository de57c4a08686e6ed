package io.modelplane.registry;

/** Why the artifact store refused or failed to store an artifact. */
public class ArtifactStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ArtifactStoreException(String message) {
    super(message);
  }

  public ArtifactStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
