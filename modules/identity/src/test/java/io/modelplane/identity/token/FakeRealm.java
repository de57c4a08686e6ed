package io.modelplane.identity.token;

import io.modelplane.common.testing.ManualClock;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for a Keycloak realm: real keys, a real JWKS endpoint on 127.0.0.1 (counting its
 * hits) and tokens shaped like Keycloak's access tokens.
 */
final class FakeRealm implements AutoCloseable {
  static final String REALM = "modelplane";
  static final String AUDIENCE = "modelplane";

  final ManualClock clock = new ManualClock(Instant.parse("2026-03-01T10:00:00Z"));
  final AtomicInteger jwksHits = new AtomicInteger();
  private final HttpServer server;
  private volatile List<JWK> published;
  private volatile boolean failing;
  final KeycloakRealm realm;

  FakeRealm(JWK... signingKeys) throws IOException {
    this(null, signingKeys);
  }

  /** A realm served over HTTPS with {@code tls}'s certificate (null: plain HTTP). */
  FakeRealm(SSLContext tls, JWK... signingKeys) throws IOException {
    this.published = List.of(signingKeys);
    if (tls == null) {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } else {
      HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = https;
    }
    realm = new KeycloakRealm((tls == null ? "http" : "https") + "://127.0.0.1:" + server.getAddress().getPort(), REALM);
    server.createContext(realm.jwksUri().getPath(), exchange -> {
      jwksHits.incrementAndGet();
      byte[] body = new JWKSet(published).toPublicJWKSet().toString().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(failing ? 503 : 200, failing ? -1 : body.length);
      if (!failing) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
      exchange.close();
    });
    server.start();
  }

  static RSAKey rsaKey(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static ECKey ecKey(String kid) {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** From now on the endpoint publishes these keys. */
  void publish(JWK... keys) {
    published = List.of(keys);
  }

  /** The endpoint answers 503 while failing. */
  void failing(boolean failing) {
    this.failing = failing;
  }

  void stop() {
    server.stop(0);
  }

  @Override
  public void close() {
    stop();
  }

  String issuer() {
    return realm.issuer();
  }

  JwksKeySource keySource(JwksKeySource.Settings settings) {
    return new JwksKeySource(realm.jwksUri(), settings, clock);
  }

  TokenVerifier verifier(JwksKeySource keys) {
    return new TokenVerifier(issuer(), AUDIENCE, keys, clock, TokenVerifier.DEFAULT_CLOCK_SKEW);
  }

  /** Claims as Keycloak writes them for a user in {@code groups}, valid for five minutes from now. */
  JWTClaimsSet.Builder claims(String... groups) {
    Instant now = clock.instant();
    return new JWTClaimsSet.Builder()
        .issuer(issuer())
        .audience(List.of(AUDIENCE, "account"))
        .subject("3f1c0a57-8d4e-4f0e-9a51-6a2b1d7c9e10")
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
        .jwtID("jti-" + now.toEpochMilli())
        .claim("typ", "Bearer")
        .claim("azp", "modelplane-portal")
        .claim("preferred_username", "alice")
        .claim("realm_access", Map.of("roles", List.of("offline_access", "default-roles-modelplane")))
        .claim("groups", List.of(groups));
  }

  String tenantToken(JWK key, String... groups) {
    return sign(key, claims(groups).build());
  }

  String token(JWK key, UnaryOperator<JWTClaimsSet.Builder> edit) {
    return sign(key, edit.apply(claims("/tenants/acme/developer")).build());
  }

  static String sign(JWK key, JWTClaimsSet claims) {
    try {
      if (key instanceof ECKey ec) {
        SignedJWT jwt = new SignedJWT(header(JWSAlgorithm.ES256, key.getKeyID()), claims);
        jwt.sign(new ECDSASigner(ec));
        return jwt.serialize();
      }
      SignedJWT jwt = new SignedJWT(header(JWSAlgorithm.RS256, key.getKeyID()), claims);
      jwt.sign(new RSASSASigner((RSAKey) key));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static JWSHeader header(JWSAlgorithm alg, String kid) {
    return new JWSHeader.Builder(alg).type(JOSEObjectType.JWT).keyID(kid).build();
  }
}
