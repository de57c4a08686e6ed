package io.modelplane.identity.token;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies Keycloak access tokens locally: signature against the realm's keys (asymmetric
 * algorithms only), exact issuer, audience, expiry, not-before and issued-at with a small clock
 * skew, and token type {@code Bearer}; then reads the caller's role from the token.
 *
 * <p>Roles: {@code realm_access.roles} containing {@code operator} makes the platform operator
 * (whatever else the token says). Otherwise the {@code groups} claim (full group paths) gives tenant
 * roles as {@code /tenants/<tenantId>/<role>}; paths of any other shape, or naming an unknown role,
 * are ignored. Groups of two different tenants make the token invalid. Several roles in the one
 * tenant give the strongest in the order tenant-admin, developer, viewer, predictor (so viewer and
 * predictor together give viewer, which cannot predict). A token granting no role is not valid.
 */
public final class TokenVerifier {
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
  /** Asymmetric only: never {@code none}, never HMAC (a public key used as a shared secret). */
  static final Set<JWSAlgorithm> ACCEPTED_ALGORITHMS = Set.of(
      JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.ES256);
  private static final List<Role> STRONGEST_FIRST =
      List.of(Role.TENANT_ADMIN, Role.DEVELOPER, Role.VIEWER, Role.PREDICTOR);
  private static final String TENANT_GROUPS = "tenants";
  private static final System.Logger LOG = System.getLogger(TokenVerifier.class.getName());

  /** Tokens already verified, until they expire: services send the same token many times. */
  private static final int MAX_REMEMBERED = 10_000;

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final java.util.concurrent.ConcurrentHashMap<String, VerifiedToken> verified = new java.util.concurrent.ConcurrentHashMap<>();
  private final Clock clock;
  private final Duration clockSkew;

  /** With the system clock and a 30 s clock skew. */
  public TokenVerifier(String issuer, String audience, JWKSource<SecurityContext> keys) {
    this(issuer, audience, keys, Clock.systemUTC(), DEFAULT_CLOCK_SKEW);
  }

  public TokenVerifier(String issuer, String audience, JWKSource<SecurityContext> keys, Clock clock,
                       Duration clockSkew) {
    this.clock = clock;
    this.clockSkew = clockSkew;
    // Keycloak writes "JWT"; "at+jwt" is RFC 9068's access-token type
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(
        JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ACCEPTED_ALGORITHMS, keys));
    processor.setJWTClaimsSetVerifier(new AccessTokenClaims(issuer, audience, clock, clockSkew));
  }

  /** The token's caller if {@code jwt} is a valid access token of this realm granting a role; else empty. */
  public Optional<VerifiedToken> verify(String jwt) {
    VerifiedToken known = verified.get(jwt);
    if (known != null) {
      // its signature and claims were checked; only time can make it invalid now
      if (clock.instant().isBefore(known.expiresAt().plus(clockSkew))) {
        return Optional.of(known);
      }
      verified.remove(jwt);
    }
    Optional<VerifiedToken> result = verifyNow(jwt);
    result.ifPresent(token -> {
      if (verified.size() >= MAX_REMEMBERED) {
        Instant now = clock.instant();
        verified.values().removeIf(t -> !now.isBefore(t.expiresAt().plus(clockSkew)));
        if (verified.size() >= MAX_REMEMBERED) {
          verified.clear();
        }
      }
      verified.put(jwt, token);
    });
    return result;
  }

  private Optional<VerifiedToken> verifyNow(String jwt) {
    JWTClaimsSet claims;
    try {
      claims = processor.process(jwt, null);
    } catch (ParseException | BadJOSEException | com.nimbusds.jose.JOSEException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "token rejected: {0}", e.getMessage());
      return Optional.empty();
    }
    try {
      return callerOf(claims);
    } catch (ParseException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "token rejected, claims of the wrong type: {0}", e.getMessage());
      return Optional.empty();
    }
  }

  private static Optional<VerifiedToken> callerOf(JWTClaimsSet claims) throws ParseException {
    String name = firstPresent(claims, "preferred_username", "client_id", "azp", "sub");
    Instant expiresAt = claims.getExpirationTime().toInstant();
    String sub = claims.getSubject();
    Instant issuedAt = claims.getIssueTime() == null ? null : claims.getIssueTime().toInstant();
    if (isOperator(claims)) {
      return Optional.of(new VerifiedToken(name, null, Role.OPERATOR, expiresAt, sub, issuedAt));
    }
    List<String> groups = claims.getStringListClaim("groups");
    if (groups == null) {
      return Optional.empty();
    }
    // a person in several tenants signs in to one of them (Keycloak's organization scope): the token
    // then names that organization, and only that tenant's groups count
    TenantId chosen = chosenOrganization(claims);
    TenantId tenant = null;
    Role strongest = null;
    for (String path : groups) {
      String[] parts = path == null ? new String[0] : path.split("/", -1);
      // "/tenants/<tenant>/<role>" splits into "", "tenants", tenant, role
      if (parts.length != 4 || !parts[0].isEmpty() || !TENANT_GROUPS.equals(parts[1])
          || !TenantId.isValid(parts[2])) {
        continue;
      }
      Optional<Role> role = Role.fromWire(parts[3]).filter(Role::isTenantRole);
      if (role.isEmpty()) {
        continue;
      }
      TenantId named = TenantId.of(parts[2]);
      if (chosen != null && !chosen.equals(named)) {
        continue;
      }
      if (tenant != null && !tenant.equals(named)) {
        LOG.log(System.Logger.Level.DEBUG, "token rejected: {0} has roles in two tenants", name);
        return Optional.empty();
      }
      tenant = named;
      if (strongest == null || STRONGEST_FIRST.indexOf(role.get()) < STRONGEST_FIRST.indexOf(strongest)) {
        strongest = role.get();
      }
    }
    return strongest == null
        ? Optional.empty()
        : Optional.of(new VerifiedToken(name, tenant, strongest, expiresAt, sub, issuedAt));
  }

  /**
   * The one organization (tenant) the token was issued for, from Keycloak's {@code organization}
   * claim: a list of aliases, or a map keyed by alias when the mapper adds ids or attributes; null
   * when the claim is absent or names more or fewer than one.
   */
  private static TenantId chosenOrganization(JWTClaimsSet claims) {
    Object claim = claims.getClaim("organization");
    java.util.Collection<?> aliases = claim instanceof java.util.Map<?, ?> map ? map.keySet()
        : claim instanceof java.util.Collection<?> list ? list : List.of();
    if (aliases.size() != 1 || !(aliases.iterator().next() instanceof String alias) || !TenantId.isValid(alias)) {
      return null;
    }
    return TenantId.of(alias);
  }

  private static boolean isOperator(JWTClaimsSet claims) throws ParseException {
    Map<String, Object> realmAccess = claims.getJSONObjectClaim("realm_access");
    return realmAccess != null
        && realmAccess.get("roles") instanceof List<?> roles
        && roles.contains(Role.OPERATOR.wireName());
  }

  private static String firstPresent(JWTClaimsSet claims, String... names) throws ParseException {
    for (String name : names) {
      String value = claims.getStringClaim(name);
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return "unknown";
  }

  /** Nimbus's claim checks on our clock, plus issued-at and Keycloak's token type. */
  private static final class AccessTokenClaims extends DefaultJWTClaimsVerifier<SecurityContext> {
    private final Clock clock;
    private final Duration clockSkew;

    AccessTokenClaims(String issuer, String audience, Clock clock, Duration clockSkew) {
      super(Set.of(audience), new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp"), null);
      this.clock = clock;
      this.clockSkew = clockSkew;
      setMaxClockSkew(Math.toIntExact(clockSkew.toSeconds()));
    }

    @Override
    protected Date currentTime() {
      return Date.from(clock.instant());
    }

    @Override
    public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
      super.verify(claims, context);
      Date issuedAt = claims.getIssueTime();
      if (issuedAt != null && issuedAt.toInstant().isAfter(clock.instant().plus(clockSkew))) {
        throw new BadJWTException("JWT issued in the future");
      }
      Object type = claims.getClaim("typ");
      if (type != null && !"Bearer".equals(type)) {
        throw new BadJWTException("not an access token: typ " + type);
      }
    }
  }
}
