import type { UsageRowLike } from '@modelplane/web-kit';

export interface SeriesKey {
  model: string;
  version: string;
}

/** The distinct model and version pairs in the rows, sorted by model then version number. */
export function seriesKeys(rows: ReadonlyArray<UsageRowLike>): SeriesKey[] {
  const seen = new Map<string, SeriesKey>();
  for (const r of rows) {
    const k = { model: r.model ?? '', version: r.version ?? '' };
    seen.set(`${k.model}\u0000${k.version}`, k);
  }
  return [...seen.values()].sort(
    (a, b) => a.model.localeCompare(b.model) || (Number(a.version) || 0) - (Number(b.version) || 0) || a.version.localeCompare(b.version),
  );
}

export function seriesLabel(k: SeriesKey): string {
  const model = k.model === '' ? '(no deployed model)' : k.model;
  return k.version === '' ? model : `${model} v${k.version}`;
}

export interface Totals {
  requests: number;
  errors: number;
  items: number;
  computeSeconds: number;
}

/** Sums per model and version over the whole range, for the table. */
export function totalsBy(rows: ReadonlyArray<UsageRowLike>): Array<SeriesKey & Totals> {
  const keys = seriesKeys(rows);
  const acc = new Map(keys.map((k) => [`${k.model}\u0000${k.version}`, { ...k, requests: 0, errors: 0, items: 0, computeSeconds: 0 }]));
  for (const r of rows) {
    const t = acc.get(`${r.model ?? ''}\u0000${r.version ?? ''}`);
    if (!t) continue;
    t.requests += r.requests ?? 0;
    t.errors += r.errors ?? 0;
    t.items += r.items ?? 0;
    t.computeSeconds += (r.computeMillis ?? 0) / 1000;
  }
  return [...acc.values()];
}
