/** The platform audit log's filters as the form holds them (times as datetime-local text, in local time). */
export interface AuditForm {
  tenant: string;
  model: string;
  actor: string;
  type: string;
  from: string;
  to: string;
}

export const EMPTY_AUDIT: AuditForm = { tenant: '', model: '', actor: '', type: '', from: '', to: '' };

/** "2026-12-01T10:30" (local) → an ISO instant; null when it is not a time. */
export function localToIso(local: string): string | null {
  if (!local.trim()) return null;
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** Query parameters for GET /api/v1/admin/audit, or the problem with the form. */
export function auditQuery(f: AuditForm, limit: number, after?: string): { query: Record<string, string | number> } | { problem: string } {
  const query: Record<string, string | number> = { limit };
  for (const key of ['tenant', 'model', 'actor', 'type'] as const) {
    const v = f[key].trim();
    if (v) query[key] = v;
  }
  const from = localToIso(f.from);
  const to = localToIso(f.to);
  if (f.from.trim() && !from) return { problem: 'The start is not a time.' };
  if (f.to.trim() && !to) return { problem: 'The end is not a time.' };
  if (from && to && Date.parse(from) >= Date.parse(to)) return { problem: 'The start must be before the end.' };
  if (from) query.from = from;
  if (to) query.to = to;
  if (after) query.after = after;
  return { query };
}
