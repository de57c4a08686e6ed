import { describe, expect, it } from 'vitest';
import { errorMessage, toApiError } from './errors';

// The sentences the try-it, key, member and usage pages show for the API's errors.
describe('error sentences on the pages', () => {
  it('shows the server sentence for predict errors', () => {
    const e = toApiError(422, { error: "input 'input' has shape [1, 63]; the model takes [-1, 64]", code: 'shape_mismatch' });
    expect(e.message).toBe("Input 'input' has shape [1, 63]; the model takes [-1, 64].");
    expect(e.code).toBe('shape_mismatch');
  });
  it('uses the portal sentence for a forbidden action', () => {
    expect(toApiError(403, { error: 'role viewer may not manage_access', code: 'forbidden' }).message).toBe('Your role does not allow this.');
  });
  it('never shows a dump', () => {
    expect(toApiError(500, { error: 'java.lang.IllegalStateException\n\tat io.x.Y.z(Y.java:1)', code: 'internal' }).message).toBe(
      'The server failed to answer this request; try again shortly.',
    );
    expect(toApiError(400, '<html>bad</html>').message).toBe('The request was not accepted.');
    expect(toApiError(422, { error: '{"x":1}', code: 'model_error' }).message).toBe('The request failed (HTTP 422).');
  });
  it('explains a usage range that is too large and a conflict', () => {
    expect(toApiError(400, { error: 'at most 1440 buckets', code: 'range_too_large' }).message).toBe('At most 1440 buckets.');
    expect(toApiError(409, { error: 'ana is already a member', code: 'conflict' }).message).toBe('Ana is already a member.');
  });
  it('says the network failed when nothing answered', () => {
    expect(errorMessage(toApiError(0, undefined))).toBe('The server could not be reached. Check your connection and try again.');
    expect(errorMessage(new Error('x'))).toBe('Something went wrong; try again.');
  });
});
