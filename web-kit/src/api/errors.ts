/** The API's error body: `{error, code}`; `error` is already a sentence meant for people. */
export interface ApiErrorBody {
  error: string;
  code: string;
}

/** A failed API call, carrying the sentence to show and the code to branch on. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

// The API's own sentence is shown, except for codes whose text is written for curl users.
const SENTENCES: Record<string, string> = {
  missing_credential: 'You are not signed in. Sign in again.',
  invalid_credential: 'Your sign-in is no longer valid (the key was revoked or the session ran out). Sign in again.',
};

const BY_STATUS: Record<number, string> = {
  400: 'The request was not accepted.',
  401: 'You are not signed in. Sign in again.',
  403: 'Your role does not allow this.',
  404: 'Not found.',
  409: 'This conflicts with the current state; reload and try again.',
  413: 'The upload is too large.',
  429: 'Too many requests; wait a moment and try again.',
  503: 'The service is unavailable right now; try again shortly.',
};

function isErrorBody(body: unknown): body is ApiErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as ApiErrorBody).error === 'string' &&
    typeof (body as ApiErrorBody).code === 'string'
  );
}

/** Turns an HTTP failure into an ApiError whose message is one sentence for the user, never a raw dump. */
export function toApiError(status: number, body: unknown): ApiError {
  if (isErrorBody(body)) {
    const sentence = SENTENCES[body.code] ?? sentenceOf(body.error) ?? BY_STATUS[status] ?? genericSentence(status);
    return new ApiError(status, body.code, sentence);
  }
  return new ApiError(status, status === 0 ? 'network_error' : `http_${status}`, BY_STATUS[status] ?? genericSentence(status));
}

/** The server's own text, if it reads as one sentence (no stack traces, no JSON, not empty). */
function sentenceOf(text: string): string | undefined {
  const t = text.trim();
  if (t.length === 0 || t.length > 400 || /[{}]|\n|\bat [\w.$]+\(/.test(t)) return undefined;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function genericSentence(status: number): string {
  if (status === 0) return 'The server could not be reached. Check your connection and try again.';
  if (status >= 500) return 'The server failed to answer this request; try again shortly.';
  return `The request failed (HTTP ${status}).`;
}

/** The sentence to show for anything thrown by a query or mutation. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof TypeError) return genericSentence(0);
  return 'Something went wrong; try again.';
}
