import { describe, expect, it } from 'vitest';
import { toApiError } from '@modelplane/web-kit';

// The sentences the try-it, access and usage pages show for the errors they meet (the mapping itself: errors.test.ts).
describe('error sentences on the try-it, access and usage pages', () => {
  it("shows predict's own sentence for a request the model cannot take", () => {
    const e = toApiError(422, { error: "input 'input' has shape [1, 3]; the model expects [-1, 64] (-1: any size)", code: 'shape_mismatch' });
    expect(e.message).toBe("Input 'input' has shape [1, 3]; the model expects [-1, 64] (-1: any size).");
    expect(e.code).toBe('shape_mismatch');
    expect(toApiError(404, { error: 'model nope does not exist', code: 'model_not_found' }).message).toBe('Model nope does not exist.');
  });
  it('explains a usage range that is too large and a member who is already there', () => {
    expect(toApiError(400, { error: 'at most 1440 buckets', code: 'range_too_large' }).message).toBe('At most 1440 buckets.');
    expect(toApiError(409, { error: 'ana is already a member', code: 'conflict' }).message).toBe('Ana is already a member.');
  });
  it('falls back to the status for a service that is down, never to a JSON body', () => {
    expect(toApiError(503, { error: '{"keycloak":"down"}', code: 'identity_unavailable' }).message).toBe(
      'The service is unavailable right now; try again shortly.',
    );
  });
});
