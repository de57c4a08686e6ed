package io.modelplane.common.crypto;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.modelplane.common.CborSerializable;
import java.util.Arrays;

/**
 * A tenant's 256-bit data key as a worker receives it with a load command (over the cluster's
 * mutually authenticated remoting), to decrypt that tenant's artifacts. Never persisted, never
 * logged: {@link #toString()} shows the key's id only.
 */
public final class ArtifactKey implements CborSerializable {
  public static final int BYTES = 32;

  private final String id;
  private final byte[] bytes;

  @JsonCreator
  public ArtifactKey(@JsonProperty("id") String id, @JsonProperty("bytes") byte[] bytes) {
    if (id == null || id.isEmpty() || id.length() > 255) {
      throw new IllegalArgumentException("a data key needs an id of 1-255 characters");
    }
    if (bytes == null || bytes.length != BYTES) {
      throw new IllegalArgumentException("a data key has " + BYTES + " bytes");
    }
    this.id = id;
    this.bytes = bytes.clone();
  }

  /** The key's id, written into every artifact encrypted under it. */
  @JsonProperty("id")
  public String id() {
    return id;
  }

  /** A copy of the key bytes (for the cipher and the wire only). */
  @JsonProperty("bytes")
  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ArtifactKey other && id.equals(other.id)
        && java.security.MessageDigest.isEqual(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "ArtifactKey[" + id + ", bytes hidden]";
  }

  /** Overwrites this copy's bytes; it cannot be used afterwards. */
  public void destroy() {
    Arrays.fill(bytes, (byte) 0);
  }
}
