import type { components } from '../api/schema';

export type Role = components['schemas']['TenantRole'];

/** What a person may do in the portal; mirrors the server's role table (docs/api.md "Roles"). */
export type Action =
  | 'readModels'
  | 'writeModels' // upload, deploy, roll back, archive
  | 'predict'
  | 'manageAccess' // API keys, members, service accounts, tenant history
  | 'readUsage'
  | 'readBilling'
  | 'exportData'; // the whole tenant's data as one archive

const ALLOWED: Record<Action, ReadonlyArray<Role | 'operator'>> = {
  readModels: ['operator', 'tenant-admin', 'developer', 'viewer'],
  writeModels: ['operator', 'tenant-admin', 'developer'],
  predict: ['tenant-admin', 'developer', 'predictor'],
  manageAccess: ['operator', 'tenant-admin'],
  readUsage: ['operator', 'tenant-admin'],
  readBilling: ['operator', 'tenant-admin'],
  exportData: ['operator', 'tenant-admin'],
};

const NEEDS: Record<Action, string> = {
  readModels: 'Reading models needs the viewer, developer or tenant-admin role.',
  writeModels: 'Uploading, deploying, rolling back and archiving need the developer or tenant-admin role.',
  predict: 'Predicting needs the predictor, developer or tenant-admin role.',
  manageAccess: 'Managing API keys, members and service accounts needs the tenant-admin role.',
  readUsage: 'Usage is visible to the tenant-admin role only.',
  readBilling: 'Billing is visible to the tenant-admin role only.',
  exportData: 'Exporting the tenant’s data needs the tenant-admin role; ask a tenant-admin of your organization.',
};

export interface Permission {
  allowed: boolean;
  /** Why not, in one sentence; undefined when allowed. */
  reason?: string;
}

export function permission(role: Role | 'operator' | undefined, action: Action): Permission {
  if (role && ALLOWED[action].includes(role)) return { allowed: true };
  return { allowed: false, reason: NEEDS[action] };
}
