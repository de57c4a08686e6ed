package io.modelplane.registry.crypto;

import io.modelplane.common.TenantId;
import io.modelplane.common.crypto.ArtifactKey;

/**
 * One tenant's 256-bit AES data key, unwrapped. Deliberately no bean getters and no Jackson
 * annotations (serialising it fails), and {@link #toString()} names the key without its bytes.
 */
public final class DataKey {
  private final TenantId tenant;
  private final ArtifactKey key;

  public DataKey(TenantId tenant, String keyId, byte[] bytes) {
    this.tenant = tenant;
    this.key = new ArtifactKey(keyId, bytes);
  }

  public TenantId tenant() {
    return tenant;
  }

  /** The id written into the header of every artifact encrypted under this key. */
  public String id() {
    return key.id();
  }

  /** The key as the cipher and a worker's load command take it. */
  public ArtifactKey artifactKey() {
    return key;
  }

  @Override
  public String toString() {
    return "DataKey[" + key.id() + ", bytes hidden]";
  }
}
