import { describe, expect, it } from 'vitest';
import { seriesKeys, seriesLabel, totalsBy } from './series';

const rows = [
  { start: 'a', model: 'digits', version: '10', requests: 1, errors: 0, items: 1, computeMillis: 500 },
  { start: 'a', model: 'digits', version: '2', requests: 2, errors: 1, items: 4, computeMillis: 1500 },
  { start: 'b', model: 'digits', version: '2', requests: 3, errors: 0, items: 3, computeMillis: 1000 },
  { start: 'b', model: '', version: '', requests: 5, errors: 5, items: 0, computeMillis: 0 },
];

describe('usage series', () => {
  it('lists model versions sorted by model, then version number', () => {
    expect(seriesKeys(rows)).toEqual([
      { model: '', version: '' },
      { model: 'digits', version: '2' },
      { model: 'digits', version: '10' },
    ]);
  });
  it('labels versions and undeployed names', () => {
    expect(seriesLabel({ model: 'digits', version: '2' })).toBe('digits v2');
    expect(seriesLabel({ model: '', version: '' })).toBe('(no deployed model)');
    expect(seriesLabel({ model: 'x', version: '' })).toBe('x');
  });
  it('sums per model version', () => {
    const t = totalsBy(rows);
    expect(t.find((x) => x.version === '2')).toEqual({ model: 'digits', version: '2', requests: 5, errors: 1, items: 7, computeSeconds: 2.5 });
    expect(t.find((x) => x.model === '')?.errors).toBe(5);
  });
});
