package io.modelplane.identity.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prepare-once protocol, with a stand-in distribution whose kc.sh only records that it ran. */
class KeycloakDistributionTest {

  @TempDir
  Path dir;

  @Test
  void unpacksAndBuildsOnceThenReusesTheCache() throws IOException {
    Path zip = fakeDistribution("echo \"$@\" >> \"$(dirname \"$0\")/../builds\"");
    Path cache = dir.resolve("cache/keycloak-9.9.9");

    KeycloakDistribution first = KeycloakDistribution.prepare("9.9.9", zip, cache);
    KeycloakDistribution second = KeycloakDistribution.prepare("9.9.9", zip, cache);

    assertThat(first.home()).isEqualTo(cache);
    assertThat(Files.readString(cache.resolve("builds"))).isEqualTo("build --db=dev-file --health-enabled=true\n");
    assertThat(Files.isExecutable(cache.resolve("bin/kc.sh"))).isTrue();
    assertThat(Files.exists(cache.resolve("lib/marker.jar"))).isTrue();
    assertThat(first.preparedIn()).isPositive();
    assertThat(second.preparedIn()).isZero();
  }

  @Test
  void aFailedBuildLeavesNoCacheBehindAndTellsWhy() throws IOException {
    Path zip = fakeDistribution("echo 'Unknown option: --db' ; exit 2");
    Path cache = dir.resolve("cache/keycloak-9.9.9");

    assertThatThrownBy(() -> KeycloakDistribution.prepare("9.9.9", zip, cache))
        .hasMessageContaining("exit code 2")
        .hasMessageContaining("Unknown option: --db");
    assertThat(cache).doesNotExist();
    try (var siblings = Files.list(cache.getParent())) {
      assertThat(siblings.map(p -> p.getFileName().toString())).containsExactly("keycloak-9.9.9.lock");
    }
  }

  @Test
  void removesStagingDirsOfKilledBuildsButNotRecentOnes() throws IOException {
    Path zip = fakeDistribution("true");
    Path cache = dir.resolve("cache/keycloak-9.9.9");
    Path abandoned = Files.createDirectories(dir.resolve("cache/keycloak-9.9.9.staging-1"));
    Path recent = Files.createDirectories(dir.resolve("cache/keycloak-9.9.9.staging-2"));
    Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minus(Duration.ofHours(2))));

    KeycloakDistribution.prepare("9.9.9", zip, cache);

    assertThat(abandoned).doesNotExist();
    assertThat(recent).exists();
  }

  private Path fakeDistribution(String kcShBody) throws IOException {
    Path zip = dir.resolve("keycloak-quarkus-dist-9.9.9.zip");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
      entry(out, "keycloak-9.9.9/bin/kc.sh", "#!/bin/sh\n" + kcShBody + "\n");
      entry(out, "keycloak-9.9.9/lib/marker.jar", "not a jar");
    }
    return zip;
  }

  private static void entry(ZipOutputStream out, String name, String content) throws IOException {
    out.putNextEntry(new ZipEntry(name));
    OutputStream body = out;
    body.write(content.getBytes(StandardCharsets.UTF_8));
    out.closeEntry();
  }
}
