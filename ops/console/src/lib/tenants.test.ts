import { describe, expect, it } from 'vitest';
import { FIRST_PAGE, cursorOf, filtersFromSearch, nextPage, previousPage, searchOf, tenantIdProblem, tenantQuery } from './tenants';

describe('tenant filters', () => {
  it('send only the filters set, the search trimmed', () => {
    expect(tenantQuery({ q: '  acme ', status: '', plan: '' }, 50)).toEqual({ limit: 50, q: 'acme' });
    expect(tenantQuery({ q: '', status: 'suspended', plan: 'gold' }, 50, 'c1')).toEqual({ limit: 50, status: 'suspended', plan: 'gold', after: 'c1' });
    expect(tenantQuery({ q: '   ', status: '', plan: '' }, 10)).toEqual({ limit: 10 });
  });
  it('round-trip through the URL and drop an unknown status', () => {
    const f = { q: 'ac me', status: 'active' as const, plan: 'pro' };
    expect(filtersFromSearch(new URLSearchParams(searchOf(f).slice(1)))).toEqual(f);
    expect(searchOf({ q: '', status: '', plan: '' })).toBe('');
    expect(filtersFromSearch(new URLSearchParams('status=gone&plan=x'))).toEqual({ q: '', status: '', plan: 'x' });
    // deleted tenants are a filter of their own
    expect(filtersFromSearch(new URLSearchParams('status=deleted'))).toEqual({ q: '', status: 'deleted', plan: '' });
    expect(tenantQuery({ q: '', status: 'deleted', plan: '' }, 50)).toEqual({ limit: 50, status: 'deleted' });
  });
});

describe('cursor pages', () => {
  it('go forward with the server cursor and back without one', () => {
    let p = FIRST_PAGE;
    expect(cursorOf(p)).toBeUndefined();
    p = nextPage(p, 'a');
    p = nextPage(p, 'b');
    expect(cursorOf(p)).toBe('b');
    expect(p.index).toBe(2);
    p = previousPage(p);
    expect(cursorOf(p)).toBe('a');
    // going forward again from page 2 replaces what followed
    p = nextPage(p, 'b2');
    expect(p.cursors).toEqual([undefined, 'a', 'b2']);
    expect(previousPage(FIRST_PAGE)).toBe(FIRST_PAGE);
    expect(nextPage(p, null)).toBe(p);
  });
});

describe('tenant ids', () => {
  it('follow the API pattern', () => {
    expect(tenantIdProblem('acme-1')).toBeNull();
    expect(tenantIdProblem('ab')).not.toBeNull();
    expect(tenantIdProblem('Acme')).not.toBeNull();
    expect(tenantIdProblem('a'.repeat(41))).not.toBeNull();
  });
});
