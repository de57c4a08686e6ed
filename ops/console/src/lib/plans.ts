import { minorDigits } from '@modelplane/web-kit';
import type { Plan, Prices, Quota } from '../api/types';

export { formatMoney, minorDigits } from '@modelplane/web-kit';

export const PRICE_FIELDS: { key: keyof Prices; label: string }[] = [
  { key: 'monthlyBase', label: 'Monthly base' },
  { key: 'perMillionRequests', label: 'Per million requests' },
  { key: 'perComputeHour', label: 'Per compute hour' },
  { key: 'perGiBHourResident', label: 'Per GiB-hour resident' },
];

/** The plan form as typed: prices in major units ("12.50"), limits as text ('' = unlimited). */
export interface PlanForm {
  id: string;
  displayName: string;
  currency: string;
  prices: Record<keyof Prices, string>;
  quota: Partial<Record<keyof Quota, string>>;
}

/** "12.5" USD → 1250; null when it is not a non-negative amount with at most the currency's decimals. */
export function parseMoney(text: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const t = text.trim();
  const m = /^(\d{1,12})(?:\.(\d+))?$/.exec(t);
  if (!m) return null;
  const fraction = m[2] ?? '';
  if (fraction.length > digits) return null;
  return Number(m[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/** 1250 USD → "12.50" (the form's text for a price). */
export function moneyText(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits);
}

export function emptyPlanForm(): PlanForm {
  return { id: '', displayName: '', currency: 'USD', prices: { monthlyBase: '0', perMillionRequests: '0', perComputeHour: '0', perGiBHourResident: '0' }, quota: {} };
}

export function planFormOf(p: Plan): PlanForm {
  const quota: PlanForm['quota'] = {};
  for (const [k, v] of Object.entries(p.quota ?? {})) quota[k as keyof Quota] = v === null || v === undefined ? '' : String(v);
  return {
    id: p.id,
    displayName: p.displayName,
    currency: p.currency,
    prices: {
      monthlyBase: moneyText(p.prices.monthlyBase, p.currency),
      perMillionRequests: moneyText(p.prices.perMillionRequests, p.currency),
      perComputeHour: moneyText(p.prices.perComputeHour, p.currency),
      perGiBHourResident: moneyText(p.prices.perGiBHourResident, p.currency),
    },
    quota,
  };
}

export type PlanProblems = Partial<Record<'id' | 'displayName' | 'currency' | keyof Prices | keyof Quota, string>>;

export interface PlanBody {
  id?: string;
  displayName: string;
  currency: string;
  prices: Prices;
  quota: Partial<Quota>;
}

/** The form checked field by field (the server checks again); the body to send when nothing is wrong. */
export function validatePlan(form: PlanForm, creating: boolean): { problems: PlanProblems; body: PlanBody | null } {
  const problems: PlanProblems = {};
  if (creating && !/^[a-z0-9][a-z0-9-]{1,39}$/.test(form.id)) {
    problems.id = 'Use 2 to 40 lowercase letters, digits or dashes, starting with a letter or digit.';
  }
  const displayName = form.displayName.trim();
  if (displayName === '') problems.displayName = 'Give the plan a name people will read.';
  else if (displayName.length > 200) problems.displayName = 'At most 200 characters.';
  const currency = form.currency.trim().toUpperCase();
  let knownCurrency = /^[A-Z]{3}$/.test(currency);
  if (knownCurrency) {
    try {
      new Intl.NumberFormat('en', { style: 'currency', currency });
    } catch {
      knownCurrency = false;
    }
  }
  if (!knownCurrency) problems.currency = 'Use a three-letter ISO 4217 code such as USD or EUR.';
  const prices = {} as Prices;
  for (const { key } of PRICE_FIELDS) {
    const v = parseMoney(form.prices[key], knownCurrency ? currency : 'USD');
    if (v === null) {
      const digits = minorDigits(knownCurrency ? currency : 'USD');
      problems[key] = digits === 0 ? 'Enter a whole amount of 0 or more.' : `Enter an amount of 0 or more with at most ${digits} decimals.`;
    } else prices[key] = v;
  }
  const quota: Partial<Quota> = {};
  for (const [k, text] of Object.entries(form.quota)) {
    const key = k as keyof Quota;
    const t = (text ?? '').trim();
    if (t === '') {
      (quota as Record<string, number | null>)[key] = null;
      continue;
    }
    const n = Number(t);
    const fraction = key === 'requestsPerSecond';
    if (!Number.isFinite(n) || n < 0 || (!fraction && !Number.isInteger(n)) || (fraction && n <= 0)) {
      problems[key] = fraction ? 'Enter a number above 0, or leave empty for unlimited.' : 'Enter a whole number of 0 or more, or leave empty for unlimited.';
    } else (quota as Record<string, number | null>)[key] = n;
  }
  if (Object.keys(problems).length > 0) return { problems, body: null };
  return { problems, body: { ...(creating ? { id: form.id } : {}), displayName, currency, prices, quota } };
}

/** The sentence above the save button of an edit: who the change reaches. */
export function affectedText(tenants: number): string {
  if (tenants === 0) return 'No tenant is on this plan.';
  return tenants === 1 ? 'This changes the plan for 1 tenant.' : `This changes the plan for ${tenants.toLocaleString('en')} tenants.`;
}
