import { describe, expect, it } from 'vitest';
import { ago, batchText, budgetColor, budgetPercent, drainProgress, residentName, uptime, workerLoad } from './cluster';

const load = (queueDepth: number, inFlight: number) => ({ queueDepth, inFlight });

describe('cluster view maths', () => {
  it('budget share, clamped, with its colour', () => {
    expect(budgetPercent(512, 1024)).toBe(50);
    expect(budgetPercent(1, 3)).toBe(33.3);
    expect(budgetPercent(2048, 1024)).toBe(100);
    expect(budgetPercent(5, 0)).toBe(0);
    expect([budgetColor(50), budgetColor(75), budgetColor(95)]).toEqual(['blue', 'orange', 'red']);
  });
  it('names a resident', () => {
    expect(residentName({ tenant: 'demo', model: 'digits', version: 3 })).toBe('demo/digits v3');
  });
  it('sums queues over residents', () => {
    expect(workerLoad({ models: [load(2, 1), load(3, 0)] })).toEqual({ queued: 5, inFlight: 1 });
  });
  it('shows batch sizes, last use and uptime', () => {
    expect(batchText({ recent: 3.25, last: 4, batches: 1200 })).toBe('avg 3.3 · last 4 · 1,200 batches');
    expect(batchText({ recent: 1, last: 1, batches: 1 })).toBe('avg 1 · last 1 · 1 batch');
    expect(batchText({ recent: 0, last: 0, batches: 0 })).toBe('–');
    expect(batchText(null)).toBe('–');
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(ago('2026-12-01T11:59:48Z', now)).toBe('12 s ago');
    expect(ago('2026-12-01T09:00:00Z', now)).toBe('3 h ago');
    expect(ago(null, now)).toBe('never');
    expect(uptime('2026-11-28T08:00:00Z', now)).toBe('3 d 4 h');
    expect(uptime('2026-12-01T11:59:20Z', now)).toBe('40 s');
  });
  it('tells how far a drain has come', () => {
    expect(drainProgress(4, 4)).toEqual({ done: false, percent: 0 });
    expect(drainProgress(4, 1)).toEqual({ done: false, percent: 75 });
    expect(drainProgress(4, 0)).toEqual({ done: true, percent: 100 });
  });
});
