import { ApiError, errorOf, rawFetch } from '@modelplane/web-kit';

/** The archive the server sent, and the name to save it under. */
export interface Archive {
  fileName: string;
  blob: Blob;
}

/** The name the server gives in Content-Disposition (filename* first, RFC 6266), or the fallback; never a path. */
export function fileNameOf(contentDisposition: string | null, fallback: string): string {
  if (!contentDisposition) return fallback;
  let name: string | undefined;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(contentDisposition);
  if (star) {
    try {
      name = decodeURIComponent((star[1] ?? '').trim());
    } catch {
      name = undefined;
    }
  }
  if (!name) {
    const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(contentDisposition);
    const bare = /filename\s*=\s*([^;"\s]+)/.exec(contentDisposition);
    name = quoted ? (quoted[1] ?? '').replace(/\\(.)/g, '$1') : bare?.[1];
  }
  // a browser strips directories too; do it here so the saved name is the one shown
  const base = name?.split(/[\\/]/).pop()?.trim();
  return base ? base : fallback;
}

/** acme-export-20261201T101500Z.zip, the server's pattern, for an answer without Content-Disposition. */
export function fallbackFileName(tenant: string, now: Date): string {
  return `${tenant}-export-${now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}.zip`;
}

// The export's own failures, said for this action rather than generically.
const SENTENCES: Record<string, string> = {
  export_in_progress: 'An export of this tenant is already running. Wait for it to finish, then try again.',
  tenant_deleting: 'This tenant is being deleted; its data can no longer be exported.',
};

/** The error to show when an export fails: a clear sentence for 409 and 403, the API's own otherwise. */
export function exportError(e: unknown): unknown {
  if (!(e instanceof ApiError)) return e;
  const sentence = SENTENCES[e.code] ?? (e.status === 403 ? 'Exporting the tenant’s data needs the tenant-admin role.' : undefined);
  return sentence ? new ApiError(e.status, e.code, sentence) : e;
}

/** Reads the archive as it streams in, telling the bytes received so far. */
export async function readArchive(response: Response, tenant: string, onBytes?: (received: number) => void, now = new Date()): Promise<Archive> {
  if (!response.ok) throw exportError(await errorOf(response));
  const fileName = fileNameOf(response.headers.get('Content-Disposition'), fallbackFileName(tenant, now));
  const type = response.headers.get('Content-Type') ?? 'application/zip';
  if (!response.body) return { fileName, blob: await response.blob() };
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.byteLength;
    onBytes?.(received);
  }
  return { fileName, blob: new Blob(parts as BlobPart[], { type }) };
}

/** POST /api/v1/tenants/{t}/export with the signed-in credential. */
export async function exportTenant(tenant: string, onBytes?: (received: number) => void): Promise<Archive> {
  const response = await rawFetch(`/api/v1/tenants/${encodeURIComponent(tenant)}/export`, {
    method: 'POST',
    headers: { Accept: 'application/zip, application/json' },
  });
  return readArchive(response, tenant, onBytes);
}
