package io.modelplane.registry;

import com.typesafe.config.Config;
import io.modelplane.common.tls.OutgoingTrust;
import io.modelplane.registry.s3.S3ArtifactStore;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code modelplane.artifacts}: which {@link ArtifactStore} the node uses, its S3 settings and the
 * size of the workers' local artifact cache. Credentials for S3 come from the AWS SDK's default
 * provider chain, never from here.
 */
public record ArtifactStoreSettings(Kind store, Path localDir, S3 s3, long cacheBytes) {

  public enum Kind { LOCAL, S3 }

  /** {@code endpoint} empty: AWS's own endpoint for the region. */
  public record S3(String endpoint, String region, String bucket, boolean pathStyle, String prefix, int partBytes) {}

  /**
   * Reads {@code modelplane.artifacts}; an {@link IllegalArgumentException} names the setting
   * that is wrong (an unknown store, {@code s3} without a bucket, a part size S3 refuses).
   */
  public static ArtifactStoreSettings fromConfig(Config config) {
    Config c = config.getConfig("modelplane.artifacts");
    String name = c.getString("store").trim().toLowerCase(Locale.ROOT);
    Kind store = switch (name) {
      case "local" -> Kind.LOCAL;
      case "s3" -> Kind.S3;
      default -> throw new IllegalArgumentException("MODELPLANE_ARTIFACT_STORE (modelplane.artifacts.store) is '"
          + name + "'; use local or s3");
    };
    Config s = c.getConfig("s3");
    String prefix = s.getString("prefix").trim();
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      prefix = prefix + "/";
    }
    if (prefix.startsWith("/")) {
      throw new IllegalArgumentException("MODELPLANE_S3_PREFIX (modelplane.artifacts.s3.prefix) must not start with /");
    }
    long partBytes = s.getBytes("part-bytes");
    if (partBytes < S3ArtifactStore.MIN_PART_BYTES || partBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("modelplane.artifacts.s3.part-bytes must be between 5 MiB and 2 GiB, was "
          + partBytes);
    }
    S3 s3 = new S3(s.getString("endpoint").trim(), s.getString("region").trim(), s.getString("bucket").trim(),
        s.getBoolean("path-style"), prefix, (int) partBytes);
    if (store == Kind.S3 && s3.bucket().isEmpty()) {
      throw new IllegalArgumentException("MODELPLANE_ARTIFACT_STORE is s3 but no bucket is set: set MODELPLANE_S3_BUCKET"
          + " (modelplane.artifacts.s3.bucket) to the bucket that holds the model artifacts");
    }
    if (store == Kind.S3 && s3.region().isEmpty()) {
      throw new IllegalArgumentException("MODELPLANE_S3_REGION (modelplane.artifacts.s3.region) must not be empty");
    }
    String localDir = c.getString("local-dir").trim();
    long cacheBytes = c.getBytes("cache-bytes");
    if (cacheBytes <= 0) {
      throw new IllegalArgumentException("MODELPLANE_ARTIFACT_CACHE_BYTES (modelplane.artifacts.cache-bytes) must be"
          + " positive, was " + cacheBytes);
    }
    return new ArtifactStoreSettings(store, localDir.isEmpty() ? null : Path.of(localDir), s3, cacheBytes);
  }

  /**
   * Opens the store these settings name: the local one under {@code localDir} (null: {@code
   * dataDir/artifacts}), only read when {@code writes} is false (worker-only nodes), or the S3
   * bucket (its uploads' local copies under {@code dataDir/artifact-uploads}).
   */
  public ArtifactStore open(Path dataDir, long maxBytes, boolean writes) {
    return open(dataDir, maxBytes, writes, OutgoingTrust.jdkDefaults());
  }

  /** {@link #open(Path, long, boolean)}, calling S3 over HTTPS with {@code trust}. */
  public ArtifactStore open(Path dataDir, long maxBytes, boolean writes, OutgoingTrust trust) {
    return switch (store) {
      case LOCAL -> writes ? new LocalArtifactStore(uploadDir(dataDir), maxBytes) : LocalArtifactStore.readOnly(uploadDir(dataDir));
      case S3 -> S3ArtifactStore.open(s3, uploadDir(dataDir), maxBytes, trust);
    };
  }

  /** Where this node writes uploaded bytes: the local store's directory, or S3 uploads' local copies. */
  public Path uploadDir(Path dataDir) {
    return switch (store) {
      case LOCAL -> localDir != null ? localDir : dataDir.resolve("artifacts");
      case S3 -> dataDir.resolve("artifact-uploads");
    };
  }
}
