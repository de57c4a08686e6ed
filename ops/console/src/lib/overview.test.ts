import { describe, expect, it } from 'vitest';
import { bars, lastHourTotals, latencyText } from './overview';

describe('overview', () => {
  it('bars: the largest first and full, zeros left out', () => {
    expect(bars([{ label: 'a', value: 5 }, { label: 'b', value: 20 }, { label: 'c', value: 0 }, { label: 'd', value: 0.1 }])).toEqual([
      { label: 'b', value: 20, percent: 100 },
      { label: 'a', value: 5, percent: 25 },
      { label: 'd', value: 0.1, percent: 1 },
    ]);
    expect(bars([{ label: 'a', value: 1 }, { label: 'b', value: 2 }], 1).map((b) => b.label)).toEqual(['b']);
  });
  it('sums the last hour with its error rate', () => {
    const o = { lastHour: { from: '', to: '', tenants: [
      { tenant: 'a', requests: 90, errors: 3, p50Ms: 5, p99Ms: 40, computeSeconds: 1 },
      { tenant: 'b', requests: 10, errors: 2, p50Ms: null, p99Ms: null, computeSeconds: 0 },
    ] } };
    expect(lastHourTotals(o)).toEqual({ requests: 100, errors: 5, errorRate: 5 });
    expect(lastHourTotals({ lastHour: { from: '', to: '', tenants: [] } }).errorRate).toBe(0);
  });
  it('latency text', () => {
    expect(latencyText(12.4)).toBe('12 ms');
    expect(latencyText(1234)).toBe('1.2 s');
    expect(latencyText(null)).toBe('–');
  });
});
