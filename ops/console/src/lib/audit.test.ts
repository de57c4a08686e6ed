import { describe, expect, it } from 'vitest';
import { EMPTY_AUDIT, auditQuery, localToIso } from './audit';

describe('audit filters', () => {
  it('send only what is set, times as instants', () => {
    expect(auditQuery(EMPTY_AUDIT, 100)).toEqual({ query: { limit: 100 } });
    const from = '2026-12-01T10:00';
    const r = auditQuery({ ...EMPTY_AUDIT, tenant: ' acme ', actor: 'operator', type: 'tenant_suspended', from }, 50, 'cur');
    expect(r).toEqual({ query: { limit: 50, tenant: 'acme', actor: 'operator', type: 'tenant_suspended', from: localToIso(from), after: 'cur' } });
  });
  it('refuse a range that ends before it starts, or a time that is not one', () => {
    expect(auditQuery({ ...EMPTY_AUDIT, from: '2026-12-02T00:00', to: '2026-12-01T00:00' }, 50)).toEqual({ problem: 'The start must be before the end.' });
    expect(auditQuery({ ...EMPTY_AUDIT, to: 'soon' }, 50)).toEqual({ problem: 'The end is not a time.' });
    expect(localToIso('')).toBeNull();
  });
});
