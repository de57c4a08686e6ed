package io.modelplane.identity.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JwksKeySourceTest {
  static final RSAKey OLD_KEY = FakeRealm.rsaKey("2026-02");
  static final RSAKey NEW_KEY = FakeRealm.rsaKey("2026-03");
  static final Duration REFETCH_INTERVAL = JwksKeySource.Settings.defaults().refetchInterval();

  FakeRealm realm;
  JwksKeySource keys;
  TokenVerifier verifier;

  @BeforeEach
  void start() throws Exception {
    realm = new FakeRealm(OLD_KEY);
    keys = realm.keySource(JwksKeySource.Settings.defaults());
    verifier = realm.verifier(keys);
  }

  @AfterEach
  void stop() {
    keys.close();
    realm.close();
  }

  boolean verifies(RSAKey key) {
    return verifier.verify(realm.tenantToken(key, "/tenants/acme/developer")).isPresent();
  }

  /** Signed by a real key of the realm, but naming a key id the realm never published. */
  String tokenWithUnknownKid(int n) throws Exception {
    SignedJWT jwt = new SignedJWT(FakeRealm.header(JWSAlgorithm.RS256, "made-up-" + n),
        realm.claims("/tenants/acme/developer").build());
    jwt.sign(new RSASSASigner(OLD_KEY));
    return jwt.serialize();
  }

  @Test
  void verifyingIsLocalOnceTheKeysAreFetched() {
    for (int i = 0; i < 200; i++) {
      assertThat(verifies(OLD_KEY)).isTrue();
    }
    assertThat(realm.jwksHits).hasValue(1);
  }

  @Test
  void aRotatedKeyIsFetchedByTheFirstTokenThatUsesIt() {
    assertThat(verifies(OLD_KEY)).isTrue();
    realm.publish(NEW_KEY, OLD_KEY);
    assertThat(verifies(NEW_KEY)).isTrue();
    assertThat(realm.jwksHits).hasValue(2);
    assertThat(verifies(NEW_KEY)).isTrue();
    assertThat(verifies(OLD_KEY)).isTrue();
    assertThat(realm.jwksHits).hasValue(2);
  }

  @Test
  void aFloodOfUnknownKeyIdsFetchesAtMostOncePerInterval() throws Exception {
    assertThat(verifies(OLD_KEY)).isTrue();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> answers = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String jwt = tokenWithUnknownKid(i);
        answers.add(pool.submit(() -> verifier.verify(jwt).isPresent()));
      }
      for (Future<Boolean> answer : answers) {
        assertThat(answer.get()).isFalse();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(realm.jwksHits).hasValue(2); // the first fetch and one refetch

    realm.clock.advance(REFETCH_INTERVAL.minusMillis(1));
    for (int i = 0; i < 50; i++) {
      assertThat(verifier.verify(tokenWithUnknownKid(1000 + i))).isEmpty();
    }
    assertThat(realm.jwksHits).hasValue(2);

    realm.clock.advance(Duration.ofMillis(1));
    for (int i = 0; i < 50; i++) {
      assertThat(verifier.verify(tokenWithUnknownKid(2000 + i))).isEmpty();
    }
    assertThat(realm.jwksHits).hasValue(3);
    assertThat(verifies(OLD_KEY)).isTrue(); // the flood never cost the real key its place
  }

  @Test
  void whileTheEndpointIsDownTheCachedKeysKeepVerifying() {
    assertThat(verifies(OLD_KEY)).isTrue();
    realm.stop();
    realm.clock.advance(JwksKeySource.Settings.defaults().cacheTimeToLive().plusMinutes(1));
    assertThat(verifies(OLD_KEY)).isTrue(); // time-to-live over, refetch failed: the old set stays
    realm.clock.advance(Duration.ofMinutes(30));
    assertThat(verifies(OLD_KEY)).isTrue();
    assertThat(verifies(NEW_KEY)).isFalse();
  }

  @Test
  void pastTheOutageToleranceTokensAreRefused() {
    assertThat(verifies(OLD_KEY)).isTrue();
    realm.stop();
    realm.clock.advance(JwksKeySource.Settings.defaults().outageTolerance().plusMinutes(6));
    assertThat(verifies(OLD_KEY)).isFalse();
  }

  @Test
  void aFailingEndpointIsAskedAtMostOncePerIntervalUntilItRecovers() {
    realm.failing(true);
    for (int i = 0; i < 20; i++) {
      assertThat(verifies(OLD_KEY)).isFalse();
    }
    assertThat(realm.jwksHits).hasValue(1);
    realm.failing(false);
    assertThat(verifies(OLD_KEY)).isFalse(); // still within the interval: no network
    assertThat(realm.jwksHits).hasValue(1);
    realm.clock.advance(REFETCH_INTERVAL);
    assertThat(verifies(OLD_KEY)).isTrue();
    assertThat(realm.jwksHits).hasValue(2);
  }

  @Test
  void aRefreshShortlyBeforeTheTimeToLiveEndsRunsInTheBackground() throws Exception {
    assertThat(verifies(OLD_KEY)).isTrue();
    realm.publish(NEW_KEY);
    JwksKeySource.Settings settings = JwksKeySource.Settings.defaults();
    realm.clock.advance(settings.cacheTimeToLive().minus(settings.refreshAhead()).plusSeconds(1));
    assertThat(verifies(OLD_KEY)).isTrue(); // answered from memory while the refresh starts
    awaitCondition(() -> realm.jwksHits.get() >= 2);
    assertThat(realm.jwksHits).hasValue(2);
    awaitCondition(() -> verifies(NEW_KEY));
    assertThat(verifies(NEW_KEY)).isTrue();
    assertThat(realm.jwksHits).hasValue(2);
  }

  /** Waits (at most 10 s) for what a background refresh does. */
  private static void awaitCondition(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the background refresh did not happen within 10 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(java.time.Duration.ofMillis(20).toNanos());
    }
  }
}
