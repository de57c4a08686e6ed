/** The claims of an access token the portal reads (it never verifies: the server does). */
export interface TokenClaims {
  groups?: string[];
  organization?: string[] | Record<string, unknown>;
  preferred_username?: string;
}

export function decodeClaims(jwt: string): TokenClaims {
  const part = jwt.split('.')[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as TokenClaims;
  } catch {
    return {};
  }
}

/** Tenants the token's groups (`/tenants/<tenant>/<role>`) give a role in, sorted. */
export function tenantsOf(claims: TokenClaims): string[] {
  const tenants = new Set<string>();
  for (const g of claims.groups ?? []) {
    const m = /^\/tenants\/([a-z0-9-]{3,40})\/[a-z-]+$/.exec(g);
    if (m?.[1]) tenants.add(m[1]);
  }
  return [...tenants].sort();
}

/** The one organization the token was issued for, or null (none chosen, or several). */
export function chosenOrganization(claims: TokenClaims): string | null {
  const o = claims.organization;
  const aliases = Array.isArray(o) ? o : o && typeof o === 'object' ? Object.keys(o) : [];
  return aliases.length === 1 && typeof aliases[0] === 'string' ? aliases[0] : null;
}
