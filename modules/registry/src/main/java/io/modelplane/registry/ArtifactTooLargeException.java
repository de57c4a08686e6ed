package io.modelplane.registry;

/** An artifact grew beyond the store's size limit; the message names the limit. */
public final class ArtifactTooLargeException extends ArtifactStoreException {
  private static final long serialVersionUID = 1L;

  private final long maxBytes;

  public ArtifactTooLargeException(long maxBytes) {
    super("the artifact exceeds the limit of " + maxBytes + " bytes");
    this.maxBytes = maxBytes;
  }

  public long maxBytes() {
    return maxBytes;
  }
}
