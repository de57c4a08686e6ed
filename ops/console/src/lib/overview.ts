import type { Overview } from '../api/types';

/** One bar of a bar list: its label, value and share of the largest value (0–100). */
export interface Bar {
  label: string;
  value: number;
  percent: number;
}

/** Bars for the largest `max` values, largest first; the longest bar is full. */
export function bars(items: ReadonlyArray<{ label: string; value: number }>, max = 10): Bar[] {
  const top = [...items].filter((i) => i.value > 0).sort((a, b) => b.value - a.value || a.label.localeCompare(b.label)).slice(0, max);
  const largest = top[0]?.value ?? 0;
  return top.map((i) => ({ ...i, percent: largest > 0 ? Math.max(1, Math.round((i.value / largest) * 100)) : 0 }));
}

/** The last hour summed over tenants: requests, errors and their error rate in percent. */
export function lastHourTotals(o: Pick<Overview, 'lastHour'>): { requests: number; errors: number; errorRate: number } {
  let requests = 0;
  let errors = 0;
  for (const t of o.lastHour.tenants) {
    requests += t.requests;
    errors += t.errors;
  }
  return { requests, errors, errorRate: requests > 0 ? Math.round((errors / requests) * 1000) / 10 : 0 };
}

/** "12 ms", "1.2 s", "–" when nothing was measured. */
export function latencyText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return ms >= 1000 ? `${(ms / 1000).toLocaleString('en', { maximumFractionDigits: 1 })} s` : `${Math.round(ms)} ms`;
}
