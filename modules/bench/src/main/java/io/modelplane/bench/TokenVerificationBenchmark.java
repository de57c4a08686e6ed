package io.modelplane.bench;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.modelplane.identity.token.JwksKeySource;
import io.modelplane.identity.token.TokenVerifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * The cost of verifying one Keycloak-shaped access token (RS256, 2048-bit key) on the request path:
 * parse, key lookup in the cached JWKS, signature, claims and role. One thread, keys in memory, so
 * no network is measured. Usage: {@code TokenVerificationBenchmark [verifications] [distinctTokens]}.
 */
public final class TokenVerificationBenchmark {
  private static final String ISSUER = "http://127.0.0.1:18080/realms/modelplane";

  private TokenVerificationBenchmark() {}

  public static void main(String[] args) throws Exception {
    int verifications = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int distinct = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    RSAKey key = new RSAKeyGenerator(2048).keyID("bench").algorithm(JWSAlgorithm.RS256).generate();
    JWKSet published = new JWKSet(key.toPublicJWK());
    JWKSetSource<SecurityContext> inMemory = new JWKSetSource<>() {
      @Override
      public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator evaluator, long currentTime, SecurityContext context) {
        return published;
      }

      @Override
      public void close() {}
    };
    try (JwksKeySource keys = new JwksKeySource(inMemory, JwksKeySource.Settings.defaults(), Clock.systemUTC())) {
      TokenVerifier verifier = new TokenVerifier(ISSUER, "modelplane", keys);
      // distinct tokens, as on a real gateway; signing is slow, so they are reused round-robin
      String[] tokens = new String[distinct];
      for (int i = 0; i < distinct; i++) {
        tokens[i] = sign(key, i);
      }
      for (int i = 0; i < Math.min(verifications, 50_000); i++) {
        check(verifier, tokens[i % distinct]);
      }
      long start = System.nanoTime();
      for (int i = 0; i < verifications; i++) {
        check(verifier, tokens[i % distinct]);
      }
      long elapsed = System.nanoTime() - start;
      System.out.printf("%d verifications of %d distinct RS256 tokens, one thread: %.1f µs each (%.0f/s)%n",
          verifications, distinct, elapsed / 1e3 / verifications, verifications / (elapsed / 1e9));
    }
  }

  private static void check(TokenVerifier verifier, String token) {
    if (verifier.verify(token).isEmpty()) {
      throw new IllegalStateException("a valid token was refused");
    }
  }

  private static String sign(RSAKey key, int n) throws Exception {
    Instant now = Instant.now();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(List.of("modelplane", "account"))
        .subject("user-" + n)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofHours(1))))
        .jwtID("jti-" + n)
        .claim("typ", "Bearer")
        .claim("azp", "modelplane-portal")
        .claim("preferred_username", "user" + n)
        .claim("realm_access", Map.of("roles", List.of("offline_access", "default-roles-modelplane")))
        .claim("groups", List.of("/tenants/acme/developer"))
        .build();
    SignedJWT jwt = new SignedJWT(
        new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }
}
