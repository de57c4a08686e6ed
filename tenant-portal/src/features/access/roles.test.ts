import { describe, expect, it } from 'vitest';
import { invitee, isRole, keyNameProblem, roleData, serviceAccountNameProblem } from './roles';

describe('access forms', () => {
  it('offers the four tenant roles', () => {
    expect(roleData.map((r) => r.value)).toEqual(['tenant-admin', 'developer', 'viewer', 'predictor']);
    expect(isRole('viewer')).toBe(true);
    expect(isRole('operator')).toBe(false);
  });
  it('tells e-mail addresses from usernames', () => {
    expect(invitee(' ana@example.org ')).toEqual({ email: 'ana@example.org' });
    expect(invitee('ana')).toEqual({ username: 'ana' });
    expect(invitee('  ')).toBeNull();
  });
  it('checks names as the API does', () => {
    expect(serviceAccountNameProblem('ci-bot')).toBeNull();
    expect(serviceAccountNameProblem('')).toBe('Enter a name.');
    expect(serviceAccountNameProblem('CI')).toMatch(/lowercase/);
    expect(serviceAccountNameProblem('-x')).toMatch(/lowercase/);
    expect(serviceAccountNameProblem('a'.repeat(41))).toMatch(/1–40/);
    expect(keyNameProblem(' ')).toMatch(/Enter a name/);
    expect(keyNameProblem('x'.repeat(101))).toBe('A name has at most 100 characters.');
    expect(keyNameProblem('ci')).toBeNull();
  });
});
