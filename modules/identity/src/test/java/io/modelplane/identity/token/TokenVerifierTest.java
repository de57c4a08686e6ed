package io.modelplane.identity.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TokenVerifierTest {
  static final RSAKey KEY = FakeRealm.rsaKey("k1");
  static final RSAKey IMPOSTOR_SAME_KID = FakeRealm.rsaKey("k1");
  static final ECKey EC_KEY = FakeRealm.ecKey("ec1");

  FakeRealm realm;
  JwksKeySource keys;
  TokenVerifier verifier;

  @BeforeEach
  void start() throws Exception {
    realm = new FakeRealm(KEY, EC_KEY);
    keys = realm.keySource(JwksKeySource.Settings.defaults());
    verifier = realm.verifier(keys);
  }

  @AfterEach
  void stop() {
    keys.close();
    realm.close();
  }

  @Test
  void aTenantTokenGivesItsTenantRoleAndExpiry() {
    VerifiedToken token = verifier.verify(realm.tenantToken(KEY, "/tenants/acme/developer")).orElseThrow();
    assertThat(token.tenant()).isEqualTo(TenantId.of("acme"));
    assertThat(token.role()).isEqualTo(Role.DEVELOPER);
    assertThat(token.subject()).isEqualTo("token:alice");
    assertThat(token.expiresAt()).isEqualTo(realm.clock.instant().plus(Duration.ofMinutes(5)));
  }

  @Test
  void anEs256TokenFromTheRealmsKeysIsAccepted() {
    assertThat(verifier.verify(realm.tenantToken(EC_KEY, "/tenants/acme/viewer")))
        .hasValueSatisfying(t -> assertThat(t.role()).isEqualTo(Role.VIEWER));
  }

  @Test
  void severalRolesInOneTenantGiveTheStrongest() {
    assertThat(verifier.verify(realm.tenantToken(KEY, "/tenants/acme/viewer", "/tenants/acme/tenant-admin",
        "/tenants/acme/predictor")).orElseThrow().role()).isEqualTo(Role.TENANT_ADMIN);
    // documented: viewer and predictor together do not add up to developer
    assertThat(verifier.verify(realm.tenantToken(KEY, "/tenants/acme/predictor", "/tenants/acme/viewer"))
        .orElseThrow().role()).isEqualTo(Role.VIEWER);
  }

  @Test
  void anOperatorTokenGivesTheOperatorWhateverItsGroups() {
    String jwt = realm.token(KEY, c -> c.claim("realm_access", Map.of("roles", List.of("operator"))));
    VerifiedToken token = verifier.verify(jwt).orElseThrow();
    assertThat(token.role()).isEqualTo(Role.OPERATOR);
    assertThat(token.tenant()).isNull();
  }

  @Test
  void rolesInTwoTenantsMakeTheTokenInvalid() {
    assertThat(verifier.verify(realm.tenantToken(KEY, "/tenants/acme/developer", "/tenants/globex/viewer"))).isEmpty();
  }

  @Test
  void aPersonInTwoTenantsSignsInToOneOfThemThroughTheOrganizationClaim() {
    String[] both = {"/tenants/acme/developer", "/tenants/globex/viewer"};
    // Keycloak's default claim: a list of aliases
    VerifiedToken globex = verifier.verify(realm.token(KEY, c -> c.claim("groups", List.of(both))
        .claim("organization", List.of("globex")))).orElseThrow();
    assertThat(globex.tenant()).isEqualTo(TenantId.of("globex"));
    assertThat(globex.role()).isEqualTo(Role.VIEWER);
    // the mapper with ids or attributes: a map keyed by alias
    VerifiedToken acme = verifier.verify(realm.token(KEY, c -> c.claim("groups", List.of(both))
        .claim("organization", Map.of("acme", Map.of("id", "42c3e46f"))))).orElseThrow();
    assertThat(acme.tenant()).isEqualTo(TenantId.of("acme"));
    assertThat(acme.role()).isEqualTo(Role.DEVELOPER);
    // an organization in which the token has no role group, or several organizations: not valid
    assertThat(verifier.verify(realm.token(KEY, c -> c.claim("groups", List.of(both))
        .claim("organization", List.of("initech"))))).isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.claim("groups", List.of(both))
        .claim("organization", List.of("acme", "globex"))))).isEmpty();
    // one tenant's token with its organization named is unchanged
    assertThat(verifier.verify(realm.token(KEY, c -> c.claim("groups", List.of("/tenants/acme/viewer"))
        .claim("organization", List.of("acme"))))).hasValueSatisfying(t -> assertThat(t.role()).isEqualTo(Role.VIEWER));
  }

  @Test
  void groupsOfAnyOtherShapeAreIgnored() {
    assertThat(verifier.verify(realm.tenantToken(KEY, "/tenants/acme/viewer", "/tenants/globex/owner",
        "/tenants/globex/operator", "/teams/globex/developer", "/tenants/globex/developer/extra",
        "/tenants/Not_A_Tenant/developer", "tenants/globex/developer", "/tenants/globex")))
        .hasValueSatisfying(t -> {
          assertThat(t.tenant()).isEqualTo(TenantId.of("acme"));
          assertThat(t.role()).isEqualTo(Role.VIEWER);
        });
    assertThat(verifier.verify(realm.tenantToken(KEY, "/tenants/acme/owner", "/staff"))).isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.claim("groups", null)))).isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.claim("groups", "/tenants/acme/developer")))).isEmpty();
  }

  @Test
  void aServiceAccountIsNamedByItsClient() {
    String jwt = realm.token(KEY, c -> c.claim("preferred_username", null).claim("client_id", "acme-ci"));
    assertThat(verifier.verify(jwt).orElseThrow().subject()).isEqualTo("token:acme-ci");
    String azpOnly = realm.token(KEY, c -> c.claim("preferred_username", null));
    assertThat(verifier.verify(azpOnly).orElseThrow().subject()).isEqualTo("token:modelplane-portal");
  }

  @Test
  void anExpiredTokenIsRefusedBeyondTheClockSkewOnly() {
    String jwt = realm.tenantToken(KEY, "/tenants/acme/developer");
    realm.clock.advance(Duration.ofMinutes(5).plusSeconds(25));
    assertThat(verifier.verify(jwt)).isPresent();
    realm.clock.advance(Duration.ofSeconds(10));
    assertThat(verifier.verify(jwt)).isEmpty();
  }

  @Test
  void aTokenNotYetValidIsRefusedBeyondTheClockSkewOnly() {
    Date now = Date.from(realm.clock.instant());
    assertThat(verifier.verify(realm.token(KEY, c -> c.notBeforeTime(Date.from(now.toInstant().plusSeconds(60))))))
        .isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.notBeforeTime(Date.from(now.toInstant().plusSeconds(20))))))
        .isPresent();
    assertThat(verifier.verify(realm.token(KEY, c -> c.issueTime(Date.from(now.toInstant().plusSeconds(60))))))
        .isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.issueTime(Date.from(now.toInstant().plusSeconds(20))))))
        .isPresent();
  }

  @Test
  void aTokenWithoutExpiryIsRefused() {
    assertThat(verifier.verify(realm.token(KEY, c -> c.expirationTime(null)))).isEmpty();
  }

  @Test
  void aTokenSignedByAnotherKeyIsRefused() {
    assertThat(verifier.verify(realm.tenantToken(IMPOSTOR_SAME_KID, "/tenants/acme/developer"))).isEmpty();
    assertThat(verifier.verify(realm.tenantToken(FakeRealm.rsaKey("k9"), "/tenants/acme/developer"))).isEmpty();
  }

  @Test
  void anUnsignedTokenIsRefused() {
    JWTClaimsSet claims = realm.claims("/tenants/acme/tenant-admin").build();
    assertThat(verifier.verify(new PlainJWT(claims).serialize())).isEmpty();
    // "alg": "none" with the realm's kid and a signature part that is not empty
    String header = Base64URL.encode("{\"alg\":\"none\",\"kid\":\"k1\",\"typ\":\"JWT\"}"
        .getBytes(StandardCharsets.UTF_8)).toString();
    String signed = realm.tenantToken(KEY, "/tenants/acme/tenant-admin");
    String forged = header + signed.substring(signed.indexOf('.'));
    assertThat(verifier.verify(forged)).isEmpty();
  }

  @Test
  void anHmacTokenKeyedWithThePublicKeyIsRefused() throws Exception {
    SignedJWT jwt = new SignedJWT(FakeRealm.header(JWSAlgorithm.HS256, "k1"),
        realm.claims("/tenants/acme/tenant-admin").build());
    jwt.sign(new MACSigner(KEY.toRSAPublicKey().getEncoded()));
    assertThat(verifier.verify(jwt.serialize())).isEmpty();
    SignedJWT withJwkBytes = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(),
        realm.claims("/tenants/acme/tenant-admin").build());
    withJwkBytes.sign(new MACSigner(KEY.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
    assertThat(verifier.verify(withJwkBytes.serialize())).isEmpty();
  }

  @Test
  void aTokenOfAnotherRealmOrIssuerIsRefused() {
    String otherRealm = realm.issuer().replace("/realms/" + FakeRealm.REALM, "/realms/other");
    assertThat(verifier.verify(realm.token(KEY, c -> c.issuer(otherRealm)))).isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.issuer(realm.issuer() + "/")))).isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.issuer(null)))).isEmpty();
  }

  @Test
  void aTokenForAnotherAudienceOrNoneIsRefused() {
    assertThat(verifier.verify(realm.token(KEY, c -> c.audience("account")))).isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.audience((String) null)))).isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.audience("modelplane")))).isPresent();
  }

  @Test
  void onlyAccessTokensAreAccepted() {
    assertThat(verifier.verify(realm.token(KEY, c -> c.claim("typ", "Refresh")))).isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.claim("typ", "ID")))).isEmpty();
    assertThat(verifier.verify(realm.token(KEY, c -> c.claim("typ", null)))).isPresent();
  }

  @Test
  void malformedStringsAreRefusedWithoutException() {
    String valid = realm.tenantToken(KEY, "/tenants/acme/developer");
    String[] parts = valid.split("\\.");
    for (String bad : new String[] {"", "abc", "a.b.c", "a.b", "...", "mp_acme.0123456789ab_" + "0".repeat(64),
        parts[0] + "." + parts[1], parts[0] + ".!!!." + parts[2], parts[0] + "." + parts[1] + "." + parts[2] + "x",
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", valid + "." + parts[2]}) {
      assertThat(verifier.verify(bad)).as(bad).isEmpty();
    }
  }
}
