import { formatBytes, formatNumber } from '@modelplane/web-kit';

export type MeterLevel = 'ok' | 'warn' | 'over' | 'unlimited' | 'unknown';

/** One quota meter: how much of a limit is used, ready to draw. */
export interface Meter {
  label: string;
  /** 0–100 for the bar (capped), undefined when unlimited or unknown. */
  percent: number | undefined;
  level: MeterLevel;
  /** e.g. "3 of 10", "1.2 GB of 2 GB", "12 (unlimited)". */
  text: string;
}

export const WARN_AT = 80;

/**
 * Used against a limit; a null or undefined limit is unlimited (the API's null), a null used value is
 * unknown (e.g. usage the role may not read). A limit of 0 with nothing used is full, not a division by zero.
 */
export function meter(
  label: string,
  used: number | null | undefined,
  limit: number | null | undefined,
  format: (n: number) => string = (n) => formatNumber(n),
): Meter {
  if (used === null || used === undefined || !Number.isFinite(used)) {
    return {
      label,
      percent: undefined,
      level: 'unknown',
      text: limit === null || limit === undefined ? 'unlimited' : `limit ${format(limit)}`,
    };
  }
  if (limit === null || limit === undefined) {
    return { label, percent: undefined, level: 'unlimited', text: `${format(used)} (unlimited)` };
  }
  const exact = limit <= 0 ? (used > 0 ? Infinity : 100) : (used / limit) * 100;
  const level: MeterLevel = exact > 100 ? 'over' : exact >= WARN_AT ? 'warn' : 'ok';
  return { label, percent: Math.min(100, Math.max(0, exact)), level, text: `${format(used)} of ${format(limit)}` };
}

export const bytesMeter = (label: string, used: number | null | undefined, limit: number | null | undefined) =>
  meter(label, used, limit, formatBytes);

/** The first instant of the current UTC month, ISO-8601 (compute budgets are per calendar month). */
export function monthStart(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
}

/** Seconds of compute in usage rows (computeMillis summed). */
export function computeSeconds(rows: ReadonlyArray<{ computeMillis?: number }>): number {
  return rows.reduce((s, r) => s + (r.computeMillis ?? 0), 0) / 1000;
}

interface ReplicaLike {
  version?: number;
  state?: string;
}
interface VersionLike {
  version?: number;
  sizeBytes?: number;
}

/**
 * Bytes the model's replicas keep on workers, estimated as the artifact size per replica that holds
 * memory (LOADING, READY or DEGRADED; PENDING, FAILED and QUOTA_EXCEEDED hold none).
 */
export function residentBytes(replicas: ReadonlyArray<ReplicaLike>, versions: ReadonlyArray<VersionLike>): number {
  const size = new Map(versions.map((v) => [v.version, v.sizeBytes ?? 0]));
  return replicas
    .filter((r) => r.state === 'READY' || r.state === 'LOADING' || r.state === 'DEGRADED')
    .reduce((s, r) => s + (size.get(r.version) ?? 0), 0);
}

/** Requests per second over the most recent complete minute of minute-step usage rows. */
export function recentRate(rows: ReadonlyArray<{ start?: string; requests?: number }>, now: Date): number {
  const lastComplete = Math.floor(now.getTime() / 60_000) * 60_000 - 60_000;
  const requests = rows
    .filter((r) => r.start !== undefined && Date.parse(r.start) === lastComplete)
    .reduce((s, r) => s + (r.requests ?? 0), 0);
  return requests / 60;
}
