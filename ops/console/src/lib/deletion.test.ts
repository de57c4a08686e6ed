import { describe, expect, it } from 'vitest';
import { confirmationMatches, deleteQuery, deletionSummary, gone } from './deletion';
import { toApiError } from '@modelplane/web-kit';

describe('deleting a tenant', () => {
  it('needs the exact tenant id typed', () => {
    expect(confirmationMatches('acme', 'acme')).toBe(true);
    expect(confirmationMatches(' acme ', 'acme')).toBe(true);
    expect(confirmationMatches('Acme', 'acme')).toBe(false);
    expect(confirmationMatches('acm', 'acme')).toBe(false);
    expect(confirmationMatches('acme-2', 'acme')).toBe(false);
    expect(confirmationMatches('', '')).toBe(false);
  });
  it('sends confirm always and releaseId only when asked', () => {
    expect(deleteQuery('acme', false)).toEqual({ confirm: 'acme' });
    expect(deleteQuery('acme', true)).toEqual({ confirm: 'acme', releaseId: true });
  });
  it('tells what was deleted and whether the id is free', () => {
    const base = { tenant: 'acme', status: 'deleted', deletedAt: '2026-12-01T10:00:00Z', dataKeyDestroyed: true, idReleased: false };
    expect(deletionSummary({ ...base, artifactsDeleted: 3 })).toEqual([
      '3 artifacts deleted.',
      'Data key destroyed: no stored copy of its artifacts can be decrypted again.',
      'The id acme stays reserved.',
    ]);
    const one = deletionSummary({ ...base, artifactsDeleted: 1, idReleased: true });
    expect(one[0]).toBe('1 artifact deleted.');
    expect(one[2]).toMatch(/released/);
    expect(deletionSummary({ ...base, artifactsDeleted: 0, dataKeyDestroyed: false })[1]).toMatch(/not destroyed/);
  });
  it('stops suspend and resume on a tenant being deleted or deleted', () => {
    expect(gone('deleted')).toBe(true);
    expect(gone('deleting')).toBe(true);
    expect(gone('suspended')).toBe(false);
    expect(gone(undefined)).toBe(false);
  });
  it("shows the server's sentence for a missing confirmation", () => {
    const e = toApiError(400, { error: 'confirm must be the tenant id acme', code: 'confirmation_required' });
    expect(e.code).toBe('confirmation_required');
    expect(e.message).toBe('Confirm must be the tenant id acme.');
  });
});
