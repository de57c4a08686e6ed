import { createApiClient } from '@modelplane/web-kit';
import type { paths } from '@modelplane/web-kit/schema';

/** The typed client generated from openapi.yaml; same origin as the console. */
export const api = createApiClient<paths>();

export { ApiError, call, rawFetch, rawJson } from '@modelplane/web-kit';
