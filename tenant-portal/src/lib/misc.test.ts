import { describe, expect, it } from 'vitest';
import { bucketSeries, chosenOrganization, decodeClaims, tenantsOf } from '@modelplane/web-kit';
import { sha256Hex } from './upload';
import { permission } from '../auth/permissions';

describe('usage series', () => {
  it('fills every bucket and sums models and versions per bucket', () => {
    const s = bucketSeries(
      [
        { start: '2026-12-01T10:00:00Z', model: 'a', requests: 5, errors: 1, computeMillis: 2000 },
        { start: '2026-12-01T10:00:00Z', model: 'b', requests: 3, errors: 0 },
        { start: '2026-12-01T12:00:00Z', model: 'a', requests: 1, errors: 1 },
        { start: '2026-12-01T09:00:00Z', model: 'a', requests: 100 },
      ],
      '2026-12-01T10:00:00Z',
      '2026-12-01T13:00:00Z',
      'hour',
    );
    const t0 = Date.parse('2026-12-01T10:00:00Z') / 1000;
    expect(s.x).toEqual([t0, t0 + 3600, t0 + 7200]);
    expect(s.requests).toEqual([8, 0, 1]);
    expect(s.errors).toEqual([1, 0, 1]);
    expect(s.computeSeconds).toEqual([2, 0, 0]);
  });
});

describe('sha256 in the browser', () => {
  it('matches the known digest of "abc"', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('token tenants', () => {
  const jwt = (claims: object) =>
    `x.${btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}.y`;

  it('lists the tenants of the group paths', () => {
    const c = decodeClaims(jwt({ groups: ['/tenants/acme/developer', '/tenants/globex/viewer', '/other', '/tenants/acme/viewer'] }));
    expect(tenantsOf(c)).toEqual(['acme', 'globex']);
    expect(chosenOrganization(c)).toBeNull();
  });

  it('reads the chosen organization as a list or a map', () => {
    expect(chosenOrganization({ organization: ['acme'] })).toBe('acme');
    expect(chosenOrganization({ organization: { acme: { id: '1' } } })).toBe('acme');
    expect(chosenOrganization({ organization: ['acme', 'globex'] })).toBeNull();
    expect(decodeClaims('garbage')).toEqual({});
  });
});

describe('role permissions', () => {
  it('follows the role table', () => {
    expect(permission('developer', 'writeModels').allowed).toBe(true);
    expect(permission('viewer', 'writeModels')).toEqual({
      allowed: false,
      reason: 'Uploading, deploying, rolling back and archiving need the developer or tenant-admin role.',
    });
    expect(permission('developer', 'readUsage').allowed).toBe(false);
    expect(permission('tenant-admin', 'readBilling').allowed).toBe(true);
    expect(permission('operator', 'readBilling').allowed).toBe(true);
    expect(permission('developer', 'readBilling')).toEqual({ allowed: false, reason: 'Billing is visible to the tenant-admin role only.' });
    expect(permission('viewer', 'readBilling').allowed).toBe(false);
    expect(permission('tenant-admin', 'manageAccess').allowed).toBe(true);
    expect(permission('predictor', 'readModels').allowed).toBe(false);
    expect(permission(undefined, 'readModels').allowed).toBe(false);
  });
});
