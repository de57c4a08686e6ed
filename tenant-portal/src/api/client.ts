import { createApiClient } from '@modelplane/web-kit';
import type { paths } from './schema';

/** The typed client generated from openapi.yaml; same origin as the portal. */
export const api = createApiClient<paths>();

export { call } from '@modelplane/web-kit';
