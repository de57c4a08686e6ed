export type Step = 'minute' | 'hour' | 'day';

export const STEP_MS: Record<Step, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export interface UsageRowLike {
  start?: string;
  model?: string;
  version?: string;
  requests?: number;
  errors?: number;
  items?: number;
  computeMillis?: number;
}

/** Columns for a time chart: every bucket from `from` to `to`, zero where no row fell. */
export interface Series {
  /** bucket starts, seconds since the epoch (uPlot's x) */
  x: number[];
  requests: number[];
  errors: number[];
  items: number[];
  computeSeconds: number[];
}

export function bucketSeries(
  rows: ReadonlyArray<UsageRowLike>,
  from: string,
  to: string,
  step: Step,
  filter: (r: UsageRowLike) => boolean = () => true,
): Series {
  const ms = STEP_MS[step];
  const start = Math.floor(Date.parse(from) / ms) * ms;
  const end = Date.parse(to);
  const n = Number.isFinite(start) && Number.isFinite(end) && end > start ? Math.min(5000, Math.ceil((end - start) / ms)) : 0;
  const s: Series = {
    x: Array.from({ length: n }, (_, i) => (start + i * ms) / 1000),
    requests: new Array<number>(n).fill(0),
    errors: new Array<number>(n).fill(0),
    items: new Array<number>(n).fill(0),
    computeSeconds: new Array<number>(n).fill(0),
  };
  for (const r of rows) {
    if (!r.start || !filter(r)) continue;
    const i = Math.floor((Date.parse(r.start) - start) / ms);
    if (i < 0 || i >= n) continue;
    s.requests[i] = (s.requests[i] ?? 0) + (r.requests ?? 0);
    s.errors[i] = (s.errors[i] ?? 0) + (r.errors ?? 0);
    s.items[i] = (s.items[i] ?? 0) + (r.items ?? 0);
    s.computeSeconds[i] = (s.computeSeconds[i] ?? 0) + (r.computeMillis ?? 0) / 1000;
  }
  return s;
}
