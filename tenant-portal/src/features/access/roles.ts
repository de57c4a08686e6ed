import type { Role } from '../../auth/permissions';

/** The tenant roles, with what each may do (docs/api.md "Roles"), for role pickers. */
export const ROLE_OPTIONS: ReadonlyArray<{ value: Role; label: string; description: string }> = [
  { value: 'tenant-admin', label: 'tenant-admin', description: 'everything in the tenant, including keys, members and usage' },
  { value: 'developer', label: 'developer', description: 'models, versions, deployments and predict' },
  { value: 'viewer', label: 'viewer', description: 'reads models and deployments' },
  { value: 'predictor', label: 'predictor', description: 'predict only' },
];

export const roleData = ROLE_OPTIONS.map((r) => ({ value: r.value, label: `${r.label} — ${r.description}` }));

export function isRole(v: string | null | undefined): v is Role {
  return ROLE_OPTIONS.some((r) => r.value === v);
}

/** Why a member or service-account name is not accepted, or null; mirrors the API's rules. */
export function serviceAccountNameProblem(name: string): string | null {
  if (name === '') return 'Enter a name.';
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(name)) {
    return 'Use 1–40 lowercase letters, digits and -, starting with a letter or digit.';
  }
  return null;
}

/** Whether the invitee is an e-mail address (sent as email) or a username. */
export function invitee(text: string): { email: string } | { username: string } | null {
  const t = text.trim();
  if (t === '') return null;
  return t.includes('@') ? { email: t } : { username: t };
}

export function keyNameProblem(name: string): string | null {
  const t = name.trim();
  if (t === '') return 'Enter a name, e.g. what the key is for.';
  if (t.length > 100) return 'A name has at most 100 characters.';
  return null;
}
