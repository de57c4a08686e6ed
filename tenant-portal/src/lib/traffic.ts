/** One row of the traffic-split editor. */
export interface Share {
  version: number;
  percent: number;
}

/**
 * The API's `{"1": 90, "2": 10}` as rows by version, plus a 0 % row for each of `others` (versions that
 * could get traffic) so every deployable version can be given a share.
 */
export function fromTraffic(traffic: Record<string, number> | undefined | null, others: ReadonlyArray<number> = []): Share[] {
  const rows = Object.entries(traffic ?? {})
    .map(([v, p]) => ({ version: Number(v), percent: p }))
    .filter((s) => Number.isInteger(s.version) && s.version > 0);
  for (const v of others) if (!rows.some((r) => r.version === v)) rows.push({ version: v, percent: 0 });
  return rows.sort((a, b) => a.version - b.version);
}

/** Rows as the API's traffic object, with canonical keys ("1", never "01"); 0 % rows get no traffic. */
export function toTraffic(shares: ReadonlyArray<Share>): Record<string, number> {
  return Object.fromEntries(shares.filter((s) => s.percent !== 0).map((s) => [String(s.version), s.percent]));
}

export function total(shares: ReadonlyArray<Share>): number {
  return shares.reduce((s, x) => s + (Number.isFinite(x.percent) ? x.percent : 0), 0);
}

/** Adds a version with whatever share is left (0 when none is: the editor then asks for a change). */
export function addVersion(shares: ReadonlyArray<Share>, version: number): Share[] {
  if (shares.some((s) => s.version === version)) return [...shares];
  const left = Math.max(0, 100 - total(shares));
  return [...shares, { version, percent: shares.length === 0 ? 100 : left }].sort((a, b) => a.version - b.version);
}

/** Removes a version; its share goes to the largest remaining one so the sum stays where it was. */
export function removeVersion(shares: ReadonlyArray<Share>, version: number): Share[] {
  const gone = shares.find((s) => s.version === version);
  const rest = shares.filter((s) => s.version !== version).map((s) => ({ ...s }));
  if (!gone || rest.length === 0) return rest;
  const largest = rest.reduce((a, b) => (b.percent > a.percent ? b : a));
  largest.percent += gone.percent;
  return rest;
}

/** Takes a version out of the split (0 %); its share goes to the largest other one. */
export function withdraw(shares: ReadonlyArray<Share>, version: number): Share[] {
  const gone = shares.find((s) => s.version === version);
  const next = shares.map((s) => ({ ...s, percent: s.version === version ? 0 : s.percent }));
  const others = next.filter((s) => s.version !== version);
  if (!gone || others.length === 0) return next;
  const largest = others.reduce((a, b) => (b.percent > a.percent ? b : a));
  largest.percent += gone.percent;
  return next;
}

export function setPercent(shares: ReadonlyArray<Share>, version: number, percent: number): Share[] {
  return shares.map((s) => (s.version === version ? { ...s, percent } : s));
}

/** Why the split cannot be sent, in one sentence; null when it can. */
export function splitError(shares: ReadonlyArray<Share>): string | null {
  const bad = shares.find((s) => !Number.isInteger(s.percent) || s.percent < 0 || s.percent > 100);
  if (bad) return `Version ${bad.version} needs a whole percent from 0 to 100 (0: no traffic).`;
  if (!shares.some((s) => s.percent > 0)) return 'Give at least one version traffic.';
  if (new Set(shares.map((s) => s.version)).size !== shares.length) return 'Each version may appear once.';
  const sum = total(shares);
  if (sum !== 100) return `The shares add up to ${sum}%; they must add up to 100%.`;
  return null;
}
