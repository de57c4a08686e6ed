package io.modelplane.registry.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.stream.Materializer;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.modelplane.common.TenantId;
import io.modelplane.common.testing.TestCertificates;
import io.modelplane.common.tls.OutgoingTrust;
import io.modelplane.registry.ArtifactStore.StoredArtifact;
import io.modelplane.registry.ArtifactStoreUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The S3 store over HTTPS (S3Proxy's TLS endpoint): it verifies the server's certificate against its trust. */
class S3TlsTest {
  private static final TenantId ACME = TenantId.of("acme");
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());
  private static final TestCertificates.Issued CA = TestCertificates.authority("s3-ca");
  @TempDir static Path dir;
  private static S3TestServer server;
  private static OutgoingTrust trusted;

  @BeforeAll
  static void start() {
    CA.issue("s3", "RSA", "127.0.0.1").writePkcs12(dir.resolve("s3.p12"), "changeit");
    CA.writeCertificate(dir.resolve("ca.crt"));
    trusted = OutgoingTrust.withExtraCa(dir.resolve("ca.crt"));
    server = S3TestServer.startHttps(dir.resolve("s3.p12"), "changeit", trusted);
    server.createBucket("tls");
  }

  @AfterAll
  static void stop() {
    server.close();
    testKit.shutdownTestKit();
  }

  private static byte[] bytes() {
    byte[] bytes = new byte[20_000];
    new Random(7).nextBytes(bytes);
    return bytes;
  }

  @Test
  void storesAndDownloadsOverHttpsWhenTheCaIsTrusted() throws Exception {
    assertThat(server.endpoint()).startsWith("https://");
    try (S3ArtifactStore store = S3ArtifactStore.open(server.settings("tls"), dir.resolve("staging-ok"), 1 << 20,
        server.credentials(), trusted)) {
      StoredArtifact stored = store.store(ACME, Source.single(ByteString.fromArray(bytes())), null, Flow.create(), mat)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      store.release(stored, true);
      Path downloaded = dir.resolve("downloaded");
      store.download(ACME, stored.sha256(), downloaded);
      assertThat(Files.readAllBytes(downloaded)).isEqualTo(bytes());
    }
  }

  @Test
  void refusesAServerWhoseCertificateItsTrustDoesNotVouchFor() throws Exception {
    try (S3ArtifactStore store = S3ArtifactStore.open(server.settings("tls"), dir.resolve("staging-refused"), 1 << 20,
        server.credentials(), OutgoingTrust.jdkDefaults())) {
      assertThatThrownBy(() -> store.store(ACME, Source.single(ByteString.fromArray(bytes())), null, Flow.create(), mat)
          .toCompletableFuture().get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(ArtifactStoreUnavailableException.class)
          .hasMessageContaining("bucket tls").hasMessageContaining("PKIX path building failed");
    }
  }
}
