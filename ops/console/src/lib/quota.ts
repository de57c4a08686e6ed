import type { Quota, QuotaKey } from '../api/types';

/** The limits of a quota in the order forms and tables show them. */
export const QUOTA_FIELDS: { key: QuotaKey; label: string; unit: string; fraction?: boolean }[] = [
  { key: 'requestsPerSecond', label: 'Requests per second', unit: '/s', fraction: true },
  { key: 'burst', label: 'Burst', unit: 'requests' },
  { key: 'maxConcurrentRequests', label: 'Concurrent requests', unit: 'requests' },
  { key: 'maxModels', label: 'Models', unit: 'models' },
  { key: 'maxVersionsPerModel', label: 'Versions per model', unit: 'versions' },
  { key: 'maxResidentBytes', label: 'Resident bytes', unit: 'bytes' },
  { key: 'monthlyComputeSeconds', label: 'Compute per month', unit: 'seconds' },
];

/** One limit in the override editor: the plan's value, unlimited, or a number the person typed. */
export type LimitChoice = { kind: 'plan' } | { kind: 'unlimited' } | { kind: 'limit'; text: string };

export type OverrideForm = Record<QuotaKey, LimitChoice>;

/** The editor's starting state: what the tenant overrides now; the plan's value for the rest. */
export function overrideForm(overrides: Partial<Quota> | undefined): OverrideForm {
  const form = {} as OverrideForm;
  for (const { key } of QUOTA_FIELDS) {
    if (!overrides || !(key in overrides)) form[key] = { kind: 'plan' };
    else {
      const v = overrides[key];
      form[key] = v === null || v === undefined ? { kind: 'unlimited' } : { kind: 'limit', text: String(v) };
    }
  }
  return form;
}

/** Why a typed limit cannot be sent, or null. */
export function limitProblem(text: string, fraction = false): string | null {
  const t = text.trim();
  if (t === '') return 'Enter a number, or choose unlimited or the plan’s value.';
  const n = Number(t);
  if (!Number.isFinite(n) || n < 0) return 'Enter a number of 0 or more.';
  if (!fraction && !Number.isInteger(n)) return 'Enter a whole number.';
  if (fraction && n <= 0) return 'Enter a number above 0.';
  return null;
}

export interface OverrideDiff {
  /** The tenant's whole new set of overrides (PATCH quotaOverrides replaces the set; {} clears it); null when unchanged. */
  quotaOverrides: Partial<Quota> | null;
  /** Limits overridden now that the form sets back to the plan's value. */
  backToPlan: QuotaKey[];
  problems: Partial<Record<QuotaKey, string>>;
}

/**
 * The override set the form describes, to send as quotaOverrides: a limit left to the plan is simply not in it,
 * so the tenant follows the plan's value, also when the plan changes later.
 */
export function overrideDiff(current: Partial<Quota> | undefined, form: OverrideForm): OverrideDiff {
  const next: Record<string, number | null> = {};
  const backToPlan: QuotaKey[] = [];
  const problems: Partial<Record<QuotaKey, string>> = {};
  let changed = false;
  for (const { key, fraction } of QUOTA_FIELDS) {
    const choice = form[key];
    const overridden = !!current && key in current;
    const now = overridden ? (current?.[key] ?? null) : undefined;
    if (choice.kind === 'plan') {
      if (overridden) {
        backToPlan.push(key);
        changed = true;
      }
      continue;
    }
    let v: number | null = null;
    if (choice.kind === 'limit') {
      const problem = limitProblem(choice.text, fraction);
      if (problem) {
        problems[key] = problem;
        continue;
      }
      v = Number(choice.text.trim());
    }
    next[key] = v;
    if (!overridden || now !== v) changed = true;
  }
  return { quotaOverrides: changed ? (next as Partial<Quota>) : null, backToPlan, problems };
}

/** A limit for a table: "unlimited", or the number with its unit. */
export function limitText(v: number | null | undefined, unit: string, formatBytes: (n: number) => string): string {
  if (v === null || v === undefined) return 'unlimited';
  if (unit === 'bytes') return formatBytes(v);
  return `${v.toLocaleString('en')} ${unit}`;
}
