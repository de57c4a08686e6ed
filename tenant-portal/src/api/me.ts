import { api, call } from './client';
import type { components } from './schema';

/** Who the current credential is: its tenant (null for the operator key), role and kind. */
export type Me = components['schemas']['Me'];

export function fetchMe(): Promise<Me> {
  return call(api.GET('/api/v1/me'));
}
