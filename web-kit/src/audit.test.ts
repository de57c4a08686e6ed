import { describe, expect, it } from 'vitest';
import { detailsText, distinct, filterEvents, modelOf, pageOf, typeLabel, type AuditEvent } from './audit';

const ev = (sequenceNr: number, type: string, at: string, actor: string, details: Record<string, unknown> = {}, model?: string): AuditEvent => ({
  sequenceNr,
  type,
  at,
  actor,
  details,
  model,
});

const events = [
  ev(1, 'tenant_created', '2026-11-01T10:00:00Z', 'operator'),
  ev(2, 'api_key_created', '2026-11-02T10:00:00Z', 'apikey:demo.k1', { keyId: 'k2', name: 'ci', role: 'developer' }),
  ev(3, 'model_added', '2026-11-03T10:00:00Z', 'apikey:demo.k2', { model: 'digits' }),
  ev(1, 'version_registered', '2026-11-03T10:00:01Z', 'apikey:demo.k2', { version: 1 }, 'digits'),
  ev(2, 'deployment_revised', '2026-11-04T10:00:00Z', 'Alice', { revision: 1 }, 'digits'),
  ev(1, 'version_registered', '2026-11-05T10:00:00Z', 'alice', { version: 1 }, 'other'),
];

describe('filterEvents', () => {
  it('sorts newest first with no filter', () => {
    expect(filterEvents(events, {}).map((e) => e.at)).toEqual([
      '2026-11-05T10:00:00Z',
      '2026-11-04T10:00:00Z',
      '2026-11-03T10:00:01Z',
      '2026-11-03T10:00:00Z',
      '2026-11-02T10:00:00Z',
      '2026-11-01T10:00:00Z',
    ]);
  });
  it('filters by type, actor part (any case) and model (tenant events naming it count)', () => {
    expect(filterEvents(events, { type: 'version_registered' })).toHaveLength(2);
    expect(filterEvents(events, { actor: 'ALICE' })).toHaveLength(2);
    expect(filterEvents(events, { model: 'digits' }).map((e) => e.type)).toEqual(['deployment_revised', 'version_registered', 'model_added']);
    expect(filterEvents(events, { model: 'digits', actor: 'k2' })).toHaveLength(2);
  });
  it('takes from inclusive and to exclusive', () => {
    const r = filterEvents(events, { from: '2026-11-03T10:00:00Z', to: '2026-11-04T10:00:00Z' });
    expect(r.map((e) => e.type)).toEqual(['version_registered', 'model_added']);
  });
});

describe('helpers', () => {
  it('names models and distinct values', () => {
    expect(modelOf(events[2] as AuditEvent)).toBe('digits');
    expect(modelOf(events[0] as AuditEvent)).toBeUndefined();
    expect(distinct(events, modelOf)).toEqual(['digits', 'other']);
  });
  it('pages and clamps the page number', () => {
    const xs = Array.from({ length: 45 }, (_, i) => i);
    expect(pageOf(xs, 1, 20)).toEqual({ items: xs.slice(0, 20), page: 1, pages: 3 });
    expect(pageOf(xs, 3, 20).items).toEqual([40, 41, 42, 43, 44]);
    expect(pageOf(xs, 9, 20).page).toBe(3);
    expect(pageOf(xs, 0, 20).page).toBe(1);
    expect(pageOf([], 1, 20)).toEqual({ items: [], page: 1, pages: 1 });
  });
  it('writes types and details for people', () => {
    expect(typeLabel('api_key_created')).toBe('API key created');
    expect(typeLabel('deployment_rolled_back')).toBe('Deployment rolled back');
    expect(detailsText({ keyId: 'k2', name: 'ci', gone: null, quota: { maxModels: 3 } })).toBe('keyId: k2; name: ci; quota: {"maxModels":3}');
  });
});
