import { describe, expect, it } from 'vitest';
import { allowedSteps, bucketCount, customRange, fitStep, fromLocalInput, MAX_BUCKETS, presetRange, toLocalInput } from './range';

const now = new Date('2026-12-01T13:25:10.000Z');

describe('presetRange', () => {
  it('ends at the end of the current bucket and spans the preset', () => {
    expect(presetRange('24h', 'hour', now)).toEqual({ from: '2026-11-30T14:00:00.000Z', to: '2026-12-01T14:00:00.000Z' });
    expect(presetRange('7d', 'hour', now)).toEqual({ from: '2026-11-24T14:00:00.000Z', to: '2026-12-01T14:00:00.000Z' });
    expect(presetRange('30d', 'day', now)).toEqual({ from: '2026-11-02T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' });
    expect(presetRange('24h', 'minute', now).to).toBe('2026-12-01T13:26:00.000Z');
  });
  it('includes the bucket that starts exactly now', () => {
    expect(presetRange('24h', 'hour', new Date('2026-12-01T13:00:00.000Z')).to).toBe('2026-12-01T14:00:00.000Z');
  });
});

describe('steps and bucket counts', () => {
  it('counts buckets from the step-aligned start', () => {
    expect(bucketCount({ from: '2026-12-01T00:30:00Z', to: '2026-12-01T03:00:00Z' }, 'hour')).toBe(3);
    expect(bucketCount(presetRange('24h', 'hour', now), 'hour')).toBe(24);
    expect(bucketCount(presetRange('24h', 'minute', now), 'minute')).toBe(1440);
  });
  it('keeps within the server limit of 1,440 buckets', () => {
    const week = presetRange('7d', 'hour', now);
    expect(allowedSteps(week)).toEqual(['hour', 'day']);
    expect(fitStep(week, 'minute')).toBe('hour');
    expect(fitStep(week, 'day')).toBe('day');
    const day = presetRange('24h', 'minute', now);
    expect(allowedSteps(day)).toEqual(['minute', 'hour', 'day']);
    const long = { from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' };
    expect(allowedSteps(long)).toEqual([]);
    expect(bucketCount(long, 'day')).toBeGreaterThan(MAX_BUCKETS);
  });
});

describe('customRange', () => {
  it('accepts a valid local range', () => {
    const r = customRange('2026-11-10T00:00', '2026-11-11T00:00', 'hour');
    expect(typeof r).toBe('object');
    if (typeof r === 'object') expect(Date.parse(r.to) - Date.parse(r.from)).toBe(86_400_000);
  });
  it('explains what is wrong', () => {
    expect(customRange('', '2026-11-11T00:00', 'hour')).toBe('Enter the start as a date and time.');
    expect(customRange('2026-11-10T00:00', 'x', 'hour')).toBe('Enter the end as a date and time.');
    expect(customRange('2026-11-11T00:00', '2026-11-10T00:00', 'hour')).toBe('The end must be after the start.');
    expect(customRange('2026-11-10T00:00', '2026-11-12T00:00', 'minute')).toMatch(/^That is 2,880 minutes; at most 1,440 fit/);
  });
  it('round-trips datetime-local values', () => {
    const iso = fromLocalInput('2026-11-01T10:15');
    expect(iso).not.toBeNull();
    expect(toLocalInput(iso as string)).toBe('2026-11-01T10:15');
  });
});
