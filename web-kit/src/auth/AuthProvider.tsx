import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { UserManager } from 'oidc-client-ts';
import { createApiClient, call } from '../api/http';
import type { components, paths } from '../api/schema';
import { clearApiKey, onUnauthorized, setTokenSource, storeApiKey, storedApiKey } from './credentials';
import { chosenOrganization, decodeClaims, tenantsOf } from './tokenTenants';
import { navigate } from '../router';

export type AuthConfig = components['schemas']['AuthConfig'];

const api = createApiClient<paths>();

export type AuthStatus =
  | { kind: 'loading' }
  | { kind: 'error'; error: unknown }
  | { kind: 'signedOut'; notice?: string }
  | { kind: 'chooseOrganization'; tenants: string[] }
  | { kind: 'signedIn' };

interface AuthContextValue {
  config: AuthConfig | null;
  status: AuthStatus;
  signInWithKey(key: string): void;
  signInWithKeycloak(): Promise<void>;
  chooseOrganization(tenant: string): Promise<void>;
  signOut(): Promise<void>;
  /** The credential worked once (GET /api/v1/me answered): a later 401 means the session ended. */
  confirmed(): void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

const CALLBACK = 'auth/callback';
const RETURN_TO = 'modelplane.returnTo';

async function createUserManager(config: AuthConfig): Promise<UserManager> {
  // loaded only in Keycloak mode, so API-key mode does not pay for it
  const { UserManager, WebStorageStateStore } = await import('oidc-client-ts');
  const base = `${location.origin}${import.meta.env.BASE_URL}`;
  return new UserManager({
    authority: config.issuer ?? '',
    client_id: config.clientId ?? 'modelplane-web',
    redirect_uri: `${base}${CALLBACK}`,
    post_logout_redirect_uri: base,
    response_type: 'code',
    scope: 'openid',
    automaticSilentRenew: true, // with Keycloak's refresh token, no iframe
    userStore: new WebStorageStateStore({ store: sessionStorage }),
  });
}

/**
 * Sign-in state for an app: an API key (sessionStorage only) or, in Keycloak mode, authorization code + PKCE.
 * {@code organizations}: a person whose token names several tenants picks one (the portal; the console does not).
 * {@code rejectedKey}: the notice when a freshly pasted key gets 401.
 */
export function AuthProvider({
  children,
  organizations = false,
  rejectedKey = 'That key was not accepted.',
}: {
  children: ReactNode;
  organizations?: boolean;
  rejectedKey?: string;
}) {
  const queryClient = useQueryClient();
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [status, setStatus] = useState<AuthStatus>({ kind: 'loading' });
  const [manager, setManager] = useState<UserManager | null>(null);
  // a 401 right after pasting a key means the key is wrong, not that a session ended
  const freshKey = useRef(false);

  const adoptToken = useCallback((accessToken: string) => {
    const claims = decodeClaims(accessToken);
    const tenants = tenantsOf(claims);
    if (organizations && tenants.length > 1 && !chosenOrganization(claims)) {
      setStatus({ kind: 'chooseOrganization', tenants });
    } else {
      setStatus({ kind: 'signedIn' });
    }
  }, [organizations]);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const cfg = await call(api.GET('/api/v1/auth/config'));
        if (cancelled) return;
        setConfig(cfg);
        if (storedApiKey()) {
          setStatus({ kind: 'signedIn' });
          return;
        }
        if (cfg.mode !== 'keycloak') {
          setStatus({ kind: 'signedOut' });
          return;
        }
        const um = await createUserManager(cfg);
        if (cancelled) return;
        setManager(um);
        setTokenSource(() => null);
        let user = null;
        if (location.pathname.endsWith(`/${CALLBACK}`)) {
          user = await um.signinRedirectCallback();
          navigate(sessionStorage.getItem(RETURN_TO) ?? '/', { replace: true });
          sessionStorage.removeItem(RETURN_TO);
        } else {
          user = await um.getUser();
        }
        if (cancelled) return;
        if (user && !user.expired) {
          let token = user.access_token;
          setTokenSource(() => token);
          um.events.addUserLoaded((u) => {
            token = u.access_token; // silent renew
          });
          um.events.addSilentRenewError(() => {
            setTokenSource(null);
            setStatus({ kind: 'signedOut', notice: 'Your session ended. Sign in again.' });
          });
          adoptToken(user.access_token);
        } else {
          setStatus({ kind: 'signedOut' });
        }
      } catch (error) {
        if (!cancelled) setStatus({ kind: 'error', error });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [adoptToken]);

  useEffect(
    () =>
      onUnauthorized(() => {
        clearApiKey();
        setTokenSource(null);
        void manager?.removeUser();
        queryClient.clear();
        const notice = freshKey.current ? rejectedKey : 'Your sign-in is no longer valid. Sign in again.';
        freshKey.current = false;
        setStatus({ kind: 'signedOut', notice });
      }),
    [manager, queryClient, rejectedKey],
  );

  const value = useMemo<AuthContextValue>(
    () => ({
      config,
      status,
      signInWithKey(key) {
        storeApiKey(key.trim());
        freshKey.current = true;
        queryClient.clear();
        setStatus({ kind: 'signedIn' });
      },
      async signInWithKeycloak() {
        if (!manager) return;
        sessionStorage.setItem(RETURN_TO, currentPath());
        await manager.signinRedirect();
      },
      async chooseOrganization(tenant) {
        if (!manager) return;
        await manager.signinRedirect({ scope: `openid organization:${tenant}` });
      },
      confirmed() {
        freshKey.current = false;
      },
      async signOut() {
        const hadKey = storedApiKey() !== null;
        clearApiKey();
        setTokenSource(null);
        queryClient.clear();
        setStatus({ kind: 'signedOut' });
        navigate('/', { replace: true });
        if (!hadKey && manager && (await manager.getUser())) {
          await manager.signoutRedirect();
        }
      },
    }),
    [config, status, manager, queryClient],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

function currentPath(): string {
  const base = import.meta.env.BASE_URL;
  const p = location.pathname.startsWith(base) ? location.pathname.slice(base.length - 1) : '/';
  return p.endsWith(`/${CALLBACK}`) ? '/' : p + location.search;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
