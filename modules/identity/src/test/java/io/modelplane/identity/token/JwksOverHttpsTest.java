package io.modelplane.identity.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import io.modelplane.common.testing.TestCertificates;
import io.modelplane.common.tls.OutgoingTrust;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The realm's keys fetched over HTTPS: only from a server whose certificate the node's trust vouches for. */
class JwksOverHttpsTest {
  private static final TestCertificates.Issued CA = TestCertificates.authority("keycloak-ca");
  private static final JWKSelector K1 = new JWKSelector(new JWKMatcher.Builder().keyID("k1").build());

  @TempDir
  Path dir;

  private OutgoingTrust trustingCa() {
    CA.writeCertificate(dir.resolve("ca.crt"));
    return OutgoingTrust.withExtraCa(dir.resolve("ca.crt"));
  }

  private static JwksKeySource keys(FakeRealm realm, OutgoingTrust trust) {
    return new JwksKeySource(realm.realm.jwksUri(), JwksKeySource.Settings.defaults(), realm.clock,
        trust.sslContext().getSocketFactory());
  }

  @Test
  void fetchesTheKeysWhenTheExtraCaIsTrusted() throws Exception {
    try (FakeRealm realm = new FakeRealm(CA.issue("keycloak", "EC", "127.0.0.1").serverContext(), FakeRealm.rsaKey("k1"));
         JwksKeySource keys = keys(realm, trustingCa())) {
      assertThat(realm.realm.jwksUri().getScheme()).isEqualTo("https");
      assertThat(keys.get(K1, null)).hasSize(1);
      assertThat(realm.jwksHits.get()).isEqualTo(1);
    }
  }

  @Test
  void refusesAServerItsTrustDoesNotVouchForOrWhoseCertificateNamesAnotherHost() throws Exception {
    try (FakeRealm realm = new FakeRealm(CA.issue("keycloak", "EC", "127.0.0.1").serverContext(), FakeRealm.rsaKey("k1"));
         JwksKeySource keys = keys(realm, OutgoingTrust.jdkDefaults())) {
      assertThatThrownBy(() -> keys.get(K1, null)).isInstanceOf(KeySourceException.class)
          .hasMessageContaining("PKIX path building failed");
      assertThat(realm.jwksHits.get()).isZero();
    }
    try (FakeRealm realm = new FakeRealm(CA.issue("keycloak", "EC", "keycloak.example").serverContext(),
        FakeRealm.rsaKey("k1"));
         JwksKeySource keys = keys(realm, trustingCa())) {
      assertThatThrownBy(() -> keys.get(K1, null)).isInstanceOf(KeySourceException.class)
          .hasMessageContaining("127.0.0.1");
      assertThat(realm.jwksHits.get()).isZero();
    }
  }
}
