import { describe, expect, it } from 'vitest';
import { bytesMeter, computeSeconds, meter, monthStart, recentRate, residentBytes } from './quota';

describe('quota meters', () => {
  it('shows the share of the limit used', () => {
    expect(meter('Models', 3, 10)).toEqual({ label: 'Models', percent: 30, level: 'ok', text: '3 of 10' });
  });

  it('warns from 80 % and at the limit, and is over above it', () => {
    expect(meter('Models', 8, 10).level).toBe('warn');
    expect(meter('Models', 10, 10)).toMatchObject({ percent: 100, level: 'warn' });
    expect(meter('Models', 12, 10)).toMatchObject({ percent: 100, level: 'over', text: '12 of 10' });
  });

  it('treats a null limit as unlimited (the API null)', () => {
    expect(meter('Models', 4, null)).toEqual({ label: 'Models', percent: undefined, level: 'unlimited', text: '4 (unlimited)' });
  });

  it('does not divide by a zero limit', () => {
    expect(meter('Models', 0, 0)).toMatchObject({ percent: 100, level: 'warn' });
    expect(meter('Models', 1, 0)).toMatchObject({ percent: 100, level: 'over' });
  });

  it('is unknown when the usage cannot be read', () => {
    expect(meter('Compute', null, 3600)).toEqual({ label: 'Compute', percent: undefined, level: 'unknown', text: 'limit 3,600' });
  });

  it('formats bytes', () => {
    expect(bytesMeter('Resident', 512 * 1024 * 1024, 2 * 1024 ** 3)).toMatchObject({ percent: 25, text: '512 MB of 2.0 GB' });
  });

  it('sums compute seconds and counts resident bytes of replicas holding memory', () => {
    expect(computeSeconds([{ computeMillis: 1500 }, { computeMillis: 500 }, {}])).toBe(2);
    const versions = [
      { version: 1, sizeBytes: 100 },
      { version: 2, sizeBytes: 1000 },
    ];
    const replicas = [
      { version: 1, state: 'READY' },
      { version: 1, state: 'LOADING' },
      { version: 2, state: 'PENDING' },
      { version: 2, state: 'QUOTA_EXCEEDED' },
      { version: 2, state: 'DEGRADED' },
    ];
    expect(residentBytes(replicas, versions)).toBe(1200);
  });

  it('takes the month start in UTC and the rate of the last complete minute', () => {
    expect(monthStart(new Date('2026-12-01T00:30:00+02:00'))).toBe('2026-11-01T00:00:00.000Z');
    const now = new Date('2026-12-01T10:05:30Z');
    const rows = [
      { start: '2026-12-01T10:04:00Z', requests: 60 },
      { start: '2026-12-01T10:04:00Z', requests: 60 },
      { start: '2026-12-01T10:05:00Z', requests: 999 },
    ];
    expect(recentRate(rows, now)).toBe(2);
  });
});
