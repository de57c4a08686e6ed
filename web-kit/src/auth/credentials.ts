// The bearer every API call sends. API keys live in sessionStorage only (gone when the tab closes);
// Keycloak tokens are held by oidc-client-ts, which registers a getter here.
// per app (the portal and the console share the origin, so a tab's sessionStorage too)
const KEY_STORAGE = `modelplane.apiKey:${import.meta.env.BASE_URL}`;

let tokenSource: (() => string | null) | null = null;

export function storedApiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeApiKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function clearApiKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

export function setTokenSource(source: (() => string | null) | null): void {
  tokenSource = source;
}

export function currentBearer(): string | null {
  return tokenSource?.() ?? storedApiKey();
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when the API answers 401: the session is over (revoked key, expired token). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function notifyUnauthorized(): void {
  unauthorizedListeners.forEach((l) => l());
}
