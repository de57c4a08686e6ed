package io.modelplane.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArtifactStoreSettingsTest {

  private static ArtifactStoreSettings read(Map<String, Object> settings) {
    Config config = ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultReference()).resolve();
    return ArtifactStoreSettings.fromConfig(config);
  }

  @Test
  void theDefaultsAreTheLocalStoreAndA10GiBCache() {
    ArtifactStoreSettings settings = read(Map.of());
    assertThat(settings.store()).isEqualTo(ArtifactStoreSettings.Kind.LOCAL);
    assertThat(settings.localDir()).isNull();
    assertThat(settings.cacheBytes()).isEqualTo(10L * 1024 * 1024 * 1024);
    assertThat(settings.s3()).isEqualTo(new ArtifactStoreSettings.S3("", "us-east-1", "", false, "artifacts/",
        8 * 1024 * 1024));
  }

  @Test
  void s3SettingsAreReadAndThePrefixEndsInASlash() {
    ArtifactStoreSettings settings = read(Map.of("modelplane.artifacts.store", "S3",
        "modelplane.artifacts.s3.bucket", "models", "modelplane.artifacts.s3.endpoint", "http://127.0.0.1:9000",
        "modelplane.artifacts.s3.path-style", "true", "modelplane.artifacts.s3.prefix", "prod/artifacts",
        "modelplane.artifacts.s3.region", "eu-west-1", "modelplane.artifacts.cache-bytes", "1 GiB",
        "modelplane.artifacts.local-dir", "/srv/artifacts"));
    assertThat(settings.store()).isEqualTo(ArtifactStoreSettings.Kind.S3);
    assertThat(settings.s3()).isEqualTo(new ArtifactStoreSettings.S3("http://127.0.0.1:9000", "eu-west-1", "models",
        true, "prod/artifacts/", 8 * 1024 * 1024));
    assertThat(settings.cacheBytes()).isEqualTo(1L << 30);
    assertThat(settings.localDir()).isEqualTo(Path.of("/srv/artifacts"));
  }

  @Test
  void s3WithoutABucketAnUnknownStoreAndTooSmallPartsAreRefusedByName() {
    assertThatThrownBy(() -> read(Map.of("modelplane.artifacts.store", "s3")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MODELPLANE_S3_BUCKET");
    assertThatThrownBy(() -> read(Map.of("modelplane.artifacts.store", "nfs")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MODELPLANE_ARTIFACT_STORE")
        .hasMessageContaining("nfs");
    assertThatThrownBy(() -> read(Map.of("modelplane.artifacts.s3.part-bytes", "1 MiB")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("part-bytes");
    assertThatThrownBy(() -> read(Map.of("modelplane.artifacts.cache-bytes", "0")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MODELPLANE_ARTIFACT_CACHE_BYTES");
  }
}
