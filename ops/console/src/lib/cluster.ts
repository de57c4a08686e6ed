import type { BatchSizes, Resident } from '../api/types';

/** The share of a worker's byte budget in use, 0–100 (an over-full worker shows 100). */
export function budgetPercent(used: number, budget: number): number {
  if (!(budget > 0) || !(used > 0)) return 0;
  return Math.min(100, Math.round((used / budget) * 1000) / 10);
}

/** The bar's colour: it turns orange from 75 % and red from 90 %. */
export function budgetColor(percent: number): string {
  return percent >= 90 ? 'red' : percent >= 75 ? 'orange' : 'blue';
}

/** A resident as people read it: "acme/digits v3". */
export function residentName(r: Pick<Resident, 'tenant' | 'model' | 'version'>): string {
  return `${r.tenant}/${r.model} v${r.version}`;
}

/** Requests waiting and running on a worker, over its residents. */
export function workerLoad(w: { models: ReadonlyArray<Pick<Resident, 'queueDepth' | 'inFlight'>> }): { queued: number; inFlight: number } {
  let queued = 0;
  let inFlight = 0;
  for (const m of w.models) {
    queued += m.queueDepth ?? 0;
    inFlight += m.inFlight ?? 0;
  }
  return { queued, inFlight };
}

/** Batch sizes as text: "avg 3.2 · last 4 · 12 batches"; "–" before the first forward pass. */
export function batchText(b: BatchSizes | null | undefined): string {
  if (!b || !(b.batches > 0)) return '–';
  const avg = b.recent.toLocaleString('en', { maximumFractionDigits: 1 });
  return `avg ${avg} · last ${b.last} · ${b.batches.toLocaleString('en')} batch${b.batches === 1 ? '' : 'es'}`;
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "never" without a time. */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '–';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** How long a node has been up: "3 d 4 h", "2 h 5 min", "40 s". */
export function uptime(since: string | null | undefined, now: number): string {
  if (!since) return '–';
  const t = Date.parse(since);
  if (Number.isNaN(t)) return '–';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/**
 * How far a drain has come, from the cluster view: done when the worker holds no resident, else how many
 * of the residents it held when the drain started have gone.
 */
export function drainProgress(startCount: number, nowCount: number): { done: boolean; percent: number } {
  if (nowCount === 0) return { done: true, percent: 100 };
  if (startCount <= 0) return { done: false, percent: 0 };
  return { done: false, percent: Math.max(0, Math.min(99, Math.round(((startCount - nowCount) / startCount) * 100))) };
}

/** A share as a whole percent, "–" when unknown (a platform without the figure reports -1). */
export function percentText(share: number | null | undefined): string {
  if (share == null || !Number.isFinite(share) || share < 0) return '–';
  return `${Math.round(share * 100)} %`;
}

/** A node's CPU: "23 % (machine 41 %) of 8 cores". */
export function cpuText(cpu: { processLoad: number; systemLoad: number; cores: number } | null | undefined): string {
  if (!cpu) return '–';
  return `${percentText(cpu.processLoad)} (machine ${percentText(cpu.systemLoad)}) of ${cpu.cores} core${cpu.cores === 1 ? '' : 's'}`;
}

/** Used of a limit as a share 0–100 (one decimal), 0 when either is unknown. */
export function usedPercent(used: number, limit: number): number {
  if (!(limit > 0) || !(used >= 0)) return 0;
  return Math.min(100, Math.round((used / limit) * 1000) / 10);
}

/** The share of a disk in use, 0–100: what is not free (reserved blocks count as used). */
export function diskPercent(disk: { freeBytes: number; totalBytes: number }): number {
  if (!(disk.totalBytes > 0) || !(disk.freeBytes >= 0)) return 0;
  return usedPercent(disk.totalBytes - disk.freeBytes, disk.totalBytes);
}

/**
 * A disk's colour: orange from 80 % used, red from 90 % (uploads are refused near the operator's minimum,
 * 5 % free by default).
 */
export function diskColor(percent: number): string {
  return percent >= 90 ? 'red' : percent >= 80 ? 'orange' : 'blue';
}

/** File descriptors: "312 of 1,048,576 open"; "–" when the platform has no count. */
export function fdText(fds: { open: number; max: number } | null | undefined): string {
  if (!fds || fds.open < 0) return '–';
  return fds.max > 0 ? `${fds.open.toLocaleString('en')} of ${fds.max.toLocaleString('en')} open` : `${fds.open.toLocaleString('en')} open`;
}

/** Seconds of GC pauses: "0.42 s", "1 min 3 s". */
export function gcText(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${seconds.toLocaleString('en', { maximumFractionDigits: 2 })} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
