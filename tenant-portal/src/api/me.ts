// TODO(contract): replace with components["schemas"]["Me"] once GET /api/v1/me is in openapi.yaml.
import { rawJson } from './client';
import type { Role } from '../auth/permissions';

/** Who the current credential is: its tenant, role and kind. */
export interface Me {
  /** null for the operator key, which belongs to no tenant */
  tenant: string | null;
  role: Role | 'operator';
  credential: 'api_key' | 'token' | 'operator_key';
  name: string;
}

export function fetchMe(): Promise<Me> {
  return rawJson<Me>('/api/v1/me');
}
