package io.modelplane.identity.token;

import io.modelplane.common.NamedThreads;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.jwk.source.RefreshAheadCachingJWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocketFactory;

/**
 * A realm's public signing keys, fetched from its JWKS endpoint and kept in memory, so verifying a
 * token needs no network. Built from nimbus's caching sources: the set is refreshed in the
 * background shortly before its time-to-live ends; while the endpoint is down the last set fetched
 * stays in use (for up to {@link Settings#outageTolerance()}), so tokens already issued keep working.
 *
 * <p>A token whose key id is not in the set (Keycloak rotated its key) causes one refetch, but at
 * most one per {@link Settings#refetchInterval()}, so a flood of made-up key ids cannot flood
 * Keycloak. After a failed fetch with nothing usable in memory, requests fail at once, without
 * network, until the same interval has passed.
 */
public final class JwksKeySource implements JWKSource<SecurityContext>, Closeable {

  /**
   * @param cacheTimeToLive   how long a fetched set is used before it must be fetched again
   * @param refreshAhead      how long before the time-to-live ends a request starts a background refresh
   * @param refetchInterval   the least time between two refetches caused by unknown key ids
   * @param outageTolerance   how long the last set stays in use while the endpoint cannot be reached
   * @param httpTimeout       connect and read timeout of one fetch
   */
  public record Settings(Duration cacheTimeToLive, Duration refreshAhead, Duration refetchInterval,
                         Duration outageTolerance, Duration httpTimeout) {

    public static Settings defaults() {
      return new Settings(Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(10),
          Duration.ofHours(1), Duration.ofSeconds(2));
    }

    public Settings withRefetchInterval(Duration interval) {
      return new Settings(cacheTimeToLive, refreshAhead, interval, outageTolerance, httpTimeout);
    }
  }

  private static final int MAX_JWKS_BYTES = 256 * 1024;

  private final RefreshAheadCachingJWKSetSource<SecurityContext> cache;
  private final Clock clock;
  private final long refetchIntervalMillis;
  private final AtomicLong nextRefetchAllowedAt = new AtomicLong(Long.MIN_VALUE);
  private volatile long failingUntil = Long.MIN_VALUE;

  /** The keys at {@code jwksUri}, with default settings and the system clock. */
  public JwksKeySource(URI jwksUri) {
    this(jwksUri, Settings.defaults(), Clock.systemUTC());
  }

  public JwksKeySource(URI jwksUri, Settings settings, Clock clock) {
    this(jwksUri, settings, clock, null);
  }

  /** Fetching over HTTPS with {@code tls}'s trust (null: the JDK's default authorities). */
  public JwksKeySource(URI jwksUri, Settings settings, Clock clock, SSLSocketFactory tls) {
    this(fetchingFrom(jwksUri, settings, tls), settings, clock);
  }

  /** Keys from any upstream source (the tests' in-memory sets, for one). */
  public JwksKeySource(JWKSetSource<SecurityContext> upstream, Settings settings, Clock clock) {
    this.clock = clock;
    this.refetchIntervalMillis = settings.refetchInterval().toMillis();
    long refreshTimeout = settings.httpTimeout().multipliedBy(2).plusSeconds(1).toMillis();
    // the JOSE library's refresh-ahead cache wants a plain ExecutorService of its own
    ExecutorService refresher = Executors.newSingleThreadExecutor(NamedThreads.daemon("jwks-refresh"));
    this.cache = new RefreshAheadCachingJWKSetSource<>(
        new OutageTolerantJWKSetSource<>(upstream, settings.outageTolerance().toMillis(), null),
        settings.cacheTimeToLive().toMillis(), refreshTimeout, settings.refreshAhead().toMillis(),
        refresher, true, null,
        // no scheduled refresh: it would run on the system clock, not ours; the request-driven one suffices
        null, false);
  }

  private static JWKSetSource<SecurityContext> fetchingFrom(URI jwksUri, Settings settings, SSLSocketFactory tls) {
    int timeout = Math.toIntExact(settings.httpTimeout().toMillis());
    try {
      return new URLBasedJWKSetSource<>(jwksUri.toURL(),
          new DefaultResourceRetriever(timeout, timeout, MAX_JWKS_BYTES, true, tls));
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("not a JWKS URL: " + jwksUri, e);
    }
  }

  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
    long now = clock.millis();
    if (now < failingUntil) {
      throw new JWKSetUnavailableException("JWKS unavailable; next attempt after the refetch interval");
    }
    JWKSet keys;
    try {
      // answers from memory; fetches only when nothing is cached or the time-to-live has passed
      keys = cache.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, context);
    } catch (KeySourceException e) {
      failingUntil = now + refetchIntervalMillis;
      throw e;
    }
    List<JWK> found = selector.select(keys);
    if (!found.isEmpty() || !mayRefetch(now)) {
      return found;
    }
    // unknown key id: perhaps a rotation. Refetches unless another thread already replaced the set.
    return selector.select(cache.getJWKSet(JWKSetCacheRefreshEvaluator.referenceComparison(keys), now, context));
  }

  private boolean mayRefetch(long now) {
    long next = nextRefetchAllowedAt.get();
    return now >= next && nextRefetchAllowedAt.compareAndSet(next, now + refetchIntervalMillis);
  }

  @Override
  public void close() {
    try {
      cache.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
