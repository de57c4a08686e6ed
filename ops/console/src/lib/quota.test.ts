import { describe, expect, it } from 'vitest';
import { limitProblem, limitText, overrideDiff, overrideForm } from './quota';

describe('quota override diff', () => {
  it('sends nothing when the form is what the tenant overrides now', () => {
    const current = { maxModels: 3, burst: null };
    const d = overrideDiff(current, overrideForm(current));
    expect(d.quotaOverrides).toBeNull();
    expect(d.backToPlan).toEqual([]);
    expect(d.problems).toEqual({});
  });
  it('sends the whole new set: kept, changed and new overrides, a new unlimited', () => {
    const current = { maxModels: 3, burst: 7 };
    const form = overrideForm(current);
    form.maxModels = { kind: 'limit', text: '5' };
    form.requestsPerSecond = { kind: 'limit', text: '2.5' };
    form.monthlyComputeSeconds = { kind: 'unlimited' };
    const d = overrideDiff(current, form);
    expect(d.quotaOverrides).toEqual({ maxModels: 5, requestsPerSecond: 2.5, monthlyComputeSeconds: null, burst: 7 });
    expect(d.backToPlan).toEqual([]);
  });
  it('leaves a limit set back to the plan out of the set, never sending the plan its own value', () => {
    const form = overrideForm({ maxModels: 3, burst: null, maxResidentBytes: 1024 });
    form.maxModels = { kind: 'plan' };
    form.burst = { kind: 'plan' };
    const d = overrideDiff({ maxModels: 3, burst: null, maxResidentBytes: 1024 }, form);
    expect(d.quotaOverrides).toEqual({ maxResidentBytes: 1024 });
    expect(d.backToPlan).toEqual(['burst', 'maxModels']);
  });
  it('clears every override with {} when all limits go back to the plan', () => {
    const form = overrideForm({ burst: 5 });
    form.burst = { kind: 'plan' };
    expect(overrideDiff({ burst: 5 }, form).quotaOverrides).toEqual({});
    expect(overrideDiff({}, overrideForm({})).quotaOverrides).toBeNull();
  });
  it('sees an unlimited override turned into a limit as a change', () => {
    const form = overrideForm({ burst: null });
    form.burst = { kind: 'limit', text: '9' };
    expect(overrideDiff({ burst: null }, form).quotaOverrides).toEqual({ burst: 9 });
  });
  it('refuses what the API would refuse, per field', () => {
    const form = overrideForm(undefined);
    form.maxModels = { kind: 'limit', text: '2.5' };
    form.burst = { kind: 'limit', text: '-1' };
    form.requestsPerSecond = { kind: 'limit', text: '0' };
    form.maxResidentBytes = { kind: 'limit', text: '' };
    const d = overrideDiff(undefined, form);
    expect(Object.keys(d.problems).sort()).toEqual(['burst', 'maxModels', 'maxResidentBytes', 'requestsPerSecond']);
    expect(limitProblem('12')).toBeNull();
    expect(limitProblem('0.5', true)).toBeNull();
  });
  it('shows limits with units, bytes readable, null as unlimited', () => {
    expect(limitText(null, 'models', String)).toBe('unlimited');
    expect(limitText(1200, 'seconds', String)).toBe('1,200 seconds');
    expect(limitText(2048, 'bytes', (n) => `${n / 1024} KB`)).toBe('2 KB');
  });
});
