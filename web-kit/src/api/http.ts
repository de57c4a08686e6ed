import createClient, { type Middleware } from 'openapi-fetch';
import { toApiError, type ApiError } from './errors';
import { currentBearer, notifyUnauthorized } from '../auth/credentials';

const auth: Middleware = {
  onRequest({ request }) {
    const bearer = currentBearer();
    if (bearer) request.headers.set('Authorization', `Bearer ${bearer}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) notifyUnauthorized();
    return response;
  },
};

/** A typed client over an app's generated `paths`: same origin, the signed-in bearer on every call. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export function createApiClient<Paths extends {}>() {
  const client = createClient<Paths>({ baseUrl: '' });
  client.use(auth);
  return client;
}

/** Unwraps an openapi-fetch result: the data, or an ApiError with the sentence to show. */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch {
    throw toApiError(0, undefined);
  }
  if (!result.response.ok) throw toApiError(result.response.status, result.error);
  return result.data as T;
}

/** For the few endpoints the generated client cannot express (multipart progress, not yet in the contract). */
export async function rawJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await rawFetch(path, init);
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw toApiError(response.status, body);
  return body as T;
}

/** The ApiError of a failed answer read with rawFetch (its JSON error body if it has one). */
export async function errorOf(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  return toApiError(response.status, body);
}

/**
 * A fetch with the signed-in bearer that maps a network failure and a 401 like the client does; the caller
 * reads the answer (304, text/csv…).
 */
export async function rawFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const bearer = currentBearer();
  if (bearer) headers.set('Authorization', `Bearer ${bearer}`);
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch {
    throw toApiError(0, undefined);
  }
  if (response.status === 401) notifyUnauthorized();
  return response;
}
