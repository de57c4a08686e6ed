package io.modelplane.identity.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.modelplane.common.testing.TestCertificates;
import io.modelplane.common.tls.OutgoingTrust;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLHandshakeException;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin client's calls over HTTPS: they reach a server whose certificate the node's trust vouches for,
 * and never one it does not (the handshake fails before any request, credentials included, is sent).
 */
class KeycloakTlsTest {
  private static final TestCertificates.Issued CA = TestCertificates.authority("keycloak-ca");

  @TempDir
  Path dir;
  private HttpsServer server;
  private final AtomicInteger requests = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(CA.issue("keycloak", "EC", "127.0.0.1").serverContext()));
    server.createContext("/", exchange -> {
      requests.incrementAndGet();
      byte[] body = "{\"error\":\"invalid_grant\"}".getBytes();
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(401, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private KeycloakProvisioner provisioner(OutgoingTrust trust) {
    return new KeycloakProvisioner(new KeycloakProvisioner.Settings("https://127.0.0.1:" + server.getAddress().getPort(),
        "modelplane", "admin", "not-the-password", "https://modelplane.example.com"), trust.sslContext());
  }

  @Test
  void reachesAKeycloakWhoseCaIsTrusted() {
    CA.writeCertificate(dir.resolve("ca.crt"));
    try (KeycloakProvisioner keycloak = provisioner(OutgoingTrust.withExtraCa(dir.resolve("ca.crt")))) {
      // the server's answer (401 to the admin's sign-in) arrives: TLS worked
      Throwable refused = Assertions.catchThrowable(keycloak::ensureRealm);
      assertThat(refused).isNotNull();
      assertThat(refused).hasStackTraceContaining("401");
      assertThat(requests.get()).isPositive();
    }
  }

  @Test
  void neverSendsARequestToAServerItsTrustDoesNotVouchFor() {
    try (KeycloakProvisioner keycloak = provisioner(OutgoingTrust.jdkDefaults())) {
      assertThatThrownBy(keycloak::ensureRealm).hasStackTraceContaining(SSLHandshakeException.class.getName())
          .hasStackTraceContaining("PKIX path building failed");
      assertThat(requests.get()).isZero();
    }
  }
}
