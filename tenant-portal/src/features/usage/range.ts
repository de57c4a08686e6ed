import { STEP_MS, type Step } from '@modelplane/web-kit';

export type Preset = '24h' | '7d' | '30d' | 'custom';

export const PRESETS: ReadonlyArray<{ value: Preset; label: string }> = [
  { value: '24h', label: '24 h' },
  { value: '7d', label: '7 d' },
  { value: '30d', label: '30 d' },
  { value: 'custom', label: 'Custom' },
];

const HOUR = 3_600_000;
const DAY = 86_400_000;
const PRESET_MS: Record<Exclude<Preset, 'custom'>, number> = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };

/** The server answers at most this many buckets (400 range_too_large past it). */
export const MAX_BUCKETS = 1440;

export const DEFAULT_STEP: Record<Exclude<Preset, 'custom'>, Step> = { '24h': 'hour', '7d': 'hour', '30d': 'day' };

export interface Range {
  from: string;
  to: string;
}

/** `to` is the end of the current bucket, so the newest (partial) bucket is included; `from` is the preset's span before it. */
export function presetRange(preset: Exclude<Preset, 'custom'>, step: Step, now: Date): Range {
  const ms = STEP_MS[step];
  const to = Math.ceil((now.getTime() + 1) / ms) * ms;
  return { from: new Date(to - PRESET_MS[preset]).toISOString(), to: new Date(to).toISOString() };
}

/** Buckets of `step` the range spans (the first one starts at from rounded down to the step). */
export function bucketCount(range: Range, step: Step): number {
  const ms = STEP_MS[step];
  const from = Math.floor(Date.parse(range.from) / ms) * ms;
  const to = Date.parse(range.to);
  return Math.max(0, Math.ceil((to - from) / ms));
}

/** The steps that keep the range within the server's bucket limit. */
export function allowedSteps(range: Range): Step[] {
  return (['minute', 'hour', 'day'] as Step[]).filter((s) => bucketCount(range, s) <= MAX_BUCKETS);
}

/** A step fitting the range: the wanted one if allowed, else the finest that is. */
export function fitStep(range: Range, wanted: Step): Step {
  const ok = allowedSteps(range);
  return ok.includes(wanted) ? wanted : (ok[0] ?? 'day');
}

/** `datetime-local` input value (local time, minutes) ↔ ISO instant. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A custom range from two local date-times, or the sentence saying what is wrong with it. */
export function customRange(fromInput: string, toInput: string, step: Step): Range | string {
  const from = fromLocalInput(fromInput);
  const to = fromLocalInput(toInput);
  if (!from) return 'Enter the start as a date and time.';
  if (!to) return 'Enter the end as a date and time.';
  if (Date.parse(to) <= Date.parse(from)) return 'The end must be after the start.';
  const n = bucketCount({ from, to }, step);
  if (n > MAX_BUCKETS) {
    return `That is ${n.toLocaleString('en')} ${step}s; at most ${MAX_BUCKETS.toLocaleString('en')} fit in one view. Choose a coarser step or a shorter range.`;
  }
  return { from, to };
}

/** Ticks for the x axis labels: an hour step shows times, a day step dates. */
export const STEP_LABEL: Record<Step, string> = { minute: 'Minute', hour: 'Hour', day: 'Day' };

export { HOUR, DAY };
