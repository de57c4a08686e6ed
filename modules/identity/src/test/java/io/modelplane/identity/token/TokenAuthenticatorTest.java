package io.modelplane.identity.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import io.modelplane.identity.AccessPolicy;
import io.modelplane.identity.Action;
import io.modelplane.identity.ApiKeyCredential;
import io.modelplane.identity.Principal;
import io.modelplane.identity.Secrets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TokenAuthenticatorTest {
  static final RSAKey KEY = FakeRealm.rsaKey("k1");
  static final Map<TenantId, Boolean> TENANTS = Map.of(TenantId.of("acme"), true, TenantId.of("frozen"), false);
  static final String ALICE = "3f1c0a57-8d4e-4f0e-9a51-6a2b1d7c9e10"; // FakeRealm's sub
  final Map<String, Instant> revocations = new java.util.concurrent.ConcurrentHashMap<>();

  FakeRealm realm;
  final AtomicInteger keyLookups = new AtomicInteger();
  final AtomicInteger tenantLookups = new AtomicInteger();
  TokenAuthenticator authenticator;

  @BeforeEach
  void start() throws Exception {
    realm = new FakeRealm(KEY);
    JWKSource<SecurityContext> inMemory = new ImmutableJWKSet<>(new JWKSet(KEY.toPublicJWK()));
    JWKSource<SecurityContext> counted = (selector, context) -> {
      keyLookups.incrementAndGet();
      return inMemory.get(selector, context);
    };
    TokenVerifier verifier = new TokenVerifier(realm.issuer(), FakeRealm.AUDIENCE, counted, realm.clock,
        TokenVerifier.DEFAULT_CLOCK_SKEW);
    authenticator = new TokenAuthenticator(verifier, tenant -> {
      tenantLookups.incrementAndGet();
      return CompletableFuture.completedFuture(Optional.ofNullable(TENANTS.get(tenant))
          .map(active -> new TenantAccess(active, revocations)));
    });
  }

  @AfterEach
  void stop() {
    realm.close();
  }

  Optional<Principal> authenticate(String credential) {
    return authenticator.authenticate(credential).toCompletableFuture().join();
  }

  @Test
  void aTenantTokenBecomesAPrincipalOfItsTenant() {
    Principal principal = authenticate(realm.tenantToken(KEY, "/tenants/acme/predictor")).orElseThrow();
    assertThat(principal).isEqualTo(Principal.token("alice", Role.PREDICTOR, TenantId.of("acme"), true));
    assertThat(AccessPolicy.decide(principal, Action.PREDICT, TenantId.of("acme"))).isEqualTo(AccessPolicy.Decision.ALLOW);
    assertThat(AccessPolicy.decide(principal, Action.READ_MODELS, TenantId.of("acme")))
        .isEqualTo(AccessPolicy.Decision.FORBIDDEN);
  }

  @Test
  void tokensIssuedBeforeTheirSubjectWasRevokedAreRefusedNewerOnesWork() {
    String before = realm.tenantToken(KEY, "/tenants/acme/tenant-admin");
    assertThat(authenticate(before)).isPresent();
    realm.clock.advance(java.time.Duration.ofSeconds(2));
    revocations.put(ALICE, realm.clock.instant()); // e.g. removed from the tenant, or given another role
    assertThat(authenticate(before)).as("issued 2 s before the revocation").isEmpty();
    // issued in the second of the revocation: iat has whole seconds, so it cannot be told apart
    assertThat(authenticate(realm.tenantToken(KEY, "/tenants/acme/viewer"))).isPresent();
    realm.clock.advance(java.time.Duration.ofSeconds(1));
    assertThat(authenticate(realm.tenantToken(KEY, "/tenants/acme/viewer"))).isPresent();
    // another subject's tokens are untouched
    assertThat(authenticate(realm.token(KEY, c -> c.subject("someone-else")
        .claim("groups", List.of("/tenants/acme/viewer"))))).isPresent();
    // without an issue time a token cannot be shown to be newer than its subject's revocation
    assertThat(authenticate(realm.token(KEY, c -> c.issueTime(null).subject("someone-else")))).isPresent();
    assertThat(authenticate(realm.token(KEY, c -> c.issueTime(null)))).isEmpty();
  }

  @Test
  void anOperatorTokenBecomesTheOperatorWithoutATenantLookup() {
    String jwt = realm.token(KEY, c -> c.claim("realm_access", Map.of("roles", List.of("operator"))));
    assertThat(authenticate(jwt)).contains(Principal.token("alice", Role.OPERATOR, null, true));
    assertThat(tenantLookups).hasValue(0);
  }

  @Test
  void aSuspendedTenantsTokenAuthenticatesButIsRefusedAsSuspended() {
    Principal principal = authenticate(realm.tenantToken(KEY, "/tenants/frozen/tenant-admin")).orElseThrow();
    assertThat(principal.tenantActive()).isFalse();
    assertThat(AccessPolicy.decide(principal, Action.READ_MODELS, TenantId.of("frozen")))
        .isEqualTo(AccessPolicy.Decision.SUSPENDED);
  }

  @Test
  void aTokenOfATenantThatDoesNotExistIsNotValid() {
    assertThat(authenticate(realm.tenantToken(KEY, "/tenants/ghost/tenant-admin"))).isEmpty();
  }

  @Test
  void anInvalidTokenIsNotValidAndAsksNoTenant() {
    realm.clock.advance(java.time.Duration.ofHours(1));
    String expired = realm.tenantToken(KEY, "/tenants/acme/developer");
    realm.clock.advance(java.time.Duration.ofHours(1));
    assertThat(authenticate(expired)).isEmpty();
    assertThat(tenantLookups).hasValue(0);
  }

  @Test
  void apiKeysAndOperatorKeysAreNeverParsedAsTokens() {
    String jwt = realm.tenantToken(KEY, "/tenants/acme/developer");
    for (String notAJwt : new String[] {ApiKeyCredential.generate(TenantId.of("acme")).token(), Secrets.randomHex(32),
        "mp_acme.abc", "", " " + jwt, jwt + "\n", jwt.replaceFirst("\\.", ".."), jwt + ".x",
        "a".repeat(20_000) + "." + "b" + ".c"}) {
      assertThat(TokenAuthenticator.looksLikeJwt(notAJwt)).as(notAJwt).isFalse();
      assertThat(authenticate(notAJwt)).isEmpty();
    }
    assertThat(authenticate(null)).isEmpty();
    assertThat(keyLookups).hasValue(0);
    assertThat(TokenAuthenticator.looksLikeJwt(jwt)).isTrue();
  }
}
