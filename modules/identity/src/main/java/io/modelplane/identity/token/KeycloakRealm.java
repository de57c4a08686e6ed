package io.modelplane.identity.token;

import java.net.URI;

/** Where a Keycloak realm's tokens come from: its issuer and the JWKS endpoint beside it. */
public record KeycloakRealm(String keycloakUrl, String realm) {

  public KeycloakRealm {
    while (keycloakUrl.endsWith("/")) {
      keycloakUrl = keycloakUrl.substring(0, keycloakUrl.length() - 1);
    }
  }

  /** The exact {@code iss} of the realm's tokens: {@code <keycloakUrl>/realms/<realm>}. */
  public String issuer() {
    return keycloakUrl + "/realms/" + realm;
  }

  /** The realm's public signing keys: {@code <issuer>/protocol/openid-connect/certs}. */
  public URI jwksUri() {
    return URI.create(issuer() + "/protocol/openid-connect/certs");
  }
}
