import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage, toApiError } from './errors';

describe('error mapping', () => {
  it("shows the API's own sentence with its code", () => {
    const e = toApiError(409, { error: 'model_quota_exceeded: the tenant has 10 models, its limit', code: 'model_quota_exceeded' });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(409);
    expect(e.code).toBe('model_quota_exceeded');
    expect(e.message).toBe('Model_quota_exceeded: the tenant has 10 models, its limit.');
  });

  it('capitalises and ends a sentence but leaves a finished one alone', () => {
    expect(toApiError(400, { error: 'manifest.sha256 must be 64 lowercase hex digits', code: 'invalid_manifest' }).message).toBe(
      'Manifest.sha256 must be 64 lowercase hex digits.',
    );
    expect(toApiError(404, { error: 'No such model.', code: 'model_not_found' }).message).toBe('No such model.');
  });

  it("keeps the API's sentence for a refused role, rewords only the credential codes meant for curl users", () => {
    expect(toApiError(403, { error: 'role viewer may not do this', code: 'forbidden' }).message).toBe('Role viewer may not do this.');
    expect(toApiError(401, { error: 'send Authorization: Bearer <API key or access token>', code: 'missing_credential' }).message).toBe(
      'You are not signed in. Sign in again.',
    );
    expect(toApiError(401, { error: 'the credential is not valid', code: 'invalid_credential' }).message).toMatch(/Sign in again/);
  });

  it('falls back to the status when the sentence is empty', () => {
    expect(toApiError(403, { error: ' ', code: 'forbidden' }).message).toBe('Your role does not allow this.');
  });

  it('never shows a raw dump', () => {
    const dump = toApiError(500, { error: '{"trace":"java.lang.IllegalStateException\n\tat io.modelplane.X(X.java:1)"}', code: 'internal' });
    expect(dump.message).toBe('The server failed to answer this request; try again shortly.');
    expect(toApiError(502, '<html>Bad gateway</html>').message).toBe('The server failed to answer this request; try again shortly.');
    expect(toApiError(413, undefined).message).toBe('The upload is too large.');
    expect(toApiError(418, { unexpected: true }).message).toBe('The request failed (HTTP 418).');
  });

  it('explains an unreachable server', () => {
    expect(toApiError(0, undefined)).toMatchObject({ code: 'network_error', message: expect.stringMatching(/could not be reached/) });
    expect(errorMessage(new TypeError('Failed to fetch'))).toMatch(/could not be reached/);
    expect(errorMessage(new Error('x'))).toBe('Something went wrong; try again.');
  });
});
