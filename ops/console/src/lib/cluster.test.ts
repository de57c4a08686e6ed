import { describe, expect, it } from 'vitest';
import {
  ago, batchText, budgetColor, budgetPercent, cpuText, diskColor, diskPercent, drainProgress, fdText, gcText, percentText, residentName,
  uptime, usedPercent, workerLoad,
} from './cluster';

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
  it('shows a node\'s resources, with unknown figures as a dash', () => {
    expect(cpuText({ processLoad: 0.234, systemLoad: 0.41, cores: 8 })).toBe('23 % (machine 41 %) of 8 cores');
    expect(cpuText({ processLoad: -1, systemLoad: -1, cores: 1 })).toBe('– (machine –) of 1 core');
    expect(cpuText(undefined)).toBe('–');
    expect(percentText(0.355)).toBe('36 %');
    expect(percentText(1)).toBe('100 %');
    expect(usedPercent(256, 1024)).toBe(25);
    expect(usedPercent(5, -1)).toBe(0);
    expect(fdText({ open: 312, max: 1048576 })).toBe('312 of 1,048,576 open');
    expect(fdText({ open: -1, max: -1 })).toBe('–');
    expect(gcText(0.4213)).toBe('0.42 s');
    expect(gcText(63.2)).toBe('1 min 3 s');
    expect(gcText(-1)).toBe('–');
  });
  it('warns of a nearly full disk', () => {
    expect(diskPercent({ freeBytes: 25, totalBytes: 100 })).toBe(75);
    expect(diskPercent({ freeBytes: -1, totalBytes: -1 })).toBe(0);
    expect([diskColor(diskPercent({ freeBytes: 50, totalBytes: 100 })), diskColor(80), diskColor(diskPercent({ freeBytes: 4, totalBytes: 100 }))])
      .toEqual(['blue', 'orange', 'red']);
  });
});
