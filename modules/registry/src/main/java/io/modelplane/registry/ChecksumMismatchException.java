package io.modelplane.registry;

/** The bytes received do not have the SHA-256 the uploader declared. */
public final class ChecksumMismatchException extends ArtifactStoreException {
  private static final long serialVersionUID = 1L;

  private final String expectedSha256;
  private final String actualSha256;

  public ChecksumMismatchException(String expectedSha256, String actualSha256) {
    super("artifact sha256 is " + actualSha256 + ", expected " + expectedSha256);
    this.expectedSha256 = expectedSha256;
    this.actualSha256 = actualSha256;
  }

  public String expectedSha256() {
    return expectedSha256;
  }

  public String actualSha256() {
    return actualSha256;
  }
}
