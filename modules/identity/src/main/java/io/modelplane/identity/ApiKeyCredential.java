package io.modelplane.identity;

import io.modelplane.common.TenantId;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An API key as handed to its owner: {@code mp_<keyId>_<secret>}. The key id names the tenant
 * ({@code <tenant>.<random>}) so a key can be looked up without a global index; only the secret's
 * hash is ever stored.
 */
public record ApiKeyCredential(String keyId, String secret) {
  private static final Pattern FORMAT =
      Pattern.compile("mp_([a-z0-9-]{3,40}\\.[a-z0-9]{12})_([0-9a-f]{64})");

  /** A fresh key for {@code tenant}. */
  public static ApiKeyCredential generate(TenantId tenant) {
    return new ApiKeyCredential(tenant.value() + "." + Secrets.randomHex(6), Secrets.randomHex(32));
  }

  /** The key in {@code credential}, if it has the API key format. */
  public static Optional<ApiKeyCredential> parse(String credential) {
    if (credential == null) {
      return Optional.empty();
    }
    Matcher m = FORMAT.matcher(credential);
    return m.matches() ? Optional.of(new ApiKeyCredential(m.group(1), m.group(2))) : Optional.empty();
  }

  /** The tenant named in the key id. */
  public TenantId tenant() {
    return TenantId.of(keyId.substring(0, keyId.indexOf('.')));
  }

  public String secretHash() {
    return Secrets.sha256Hex(secret);
  }

  /** The whole key, as shown once to its owner. */
  public String token() {
    return "mp_" + keyId + "_" + secret;
  }

  @Override
  public String toString() {
    return "ApiKeyCredential[" + keyId + "]"; // never the secret
  }
}
