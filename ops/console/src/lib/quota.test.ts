import { describe, expect, it } from 'vitest';
import { limitProblem, limitText, overrideDiff, overrideForm } from './quota';
import type { Quota } from '../api/types';

const PLAN: Quota = { requestsPerSecond: 50, burst: 100, maxConcurrentRequests: 16, maxModels: 10, maxVersionsPerModel: 20, maxResidentBytes: 1 << 30, monthlyComputeSeconds: null };

describe('quota override diff', () => {
  it('sends nothing when the form is what the tenant overrides now', () => {
    const current = { maxModels: 3, burst: null };
    const d = overrideDiff(current, PLAN, overrideForm(current));
    expect(d.quota).toEqual({});
    expect(d.backToPlan).toEqual([]);
    expect(d.problems).toEqual({});
  });
  it('sends a new limit, a new unlimited and changed limits only', () => {
    const form = overrideForm({ maxModels: 3 });
    form.maxModels = { kind: 'limit', text: '5' };
    form.requestsPerSecond = { kind: 'limit', text: '2.5' };
    form.monthlyComputeSeconds = { kind: 'unlimited' };
    const d = overrideDiff({ maxModels: 3 }, PLAN, form);
    expect(d.quota).toEqual({ maxModels: 5, requestsPerSecond: 2.5, monthlyComputeSeconds: null });
  });
  it("sends the plan's value for a limit set back to the plan", () => {
    const form = overrideForm({ maxModels: 3, burst: null });
    form.maxModels = { kind: 'plan' };
    form.burst = { kind: 'plan' };
    const d = overrideDiff({ maxModels: 3, burst: null }, PLAN, form);
    expect(d.quota).toEqual({ maxModels: 10, burst: 100 });
    expect(d.backToPlan).toEqual(['burst', 'maxModels']);
  });
  it('refuses what the API would refuse, per field', () => {
    const form = overrideForm(undefined);
    form.maxModels = { kind: 'limit', text: '2.5' };
    form.burst = { kind: 'limit', text: '-1' };
    form.requestsPerSecond = { kind: 'limit', text: '0' };
    form.maxResidentBytes = { kind: 'limit', text: '' };
    const d = overrideDiff(undefined, PLAN, form);
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
