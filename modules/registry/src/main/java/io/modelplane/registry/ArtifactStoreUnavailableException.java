package io.modelplane.registry;

/** The artifact store could not be reached or refused the request (not the artifact's fault: retry later). */
public final class ArtifactStoreUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ArtifactStoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
