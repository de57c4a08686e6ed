import { toApiError } from '@modelplane/web-kit';
import type { Manifest } from './manifest';

/** sha256 of the bytes as 64 lowercase hex digits (Web Crypto), the form manifest.sha256 takes. */
export async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface UploadResult {
  model?: string;
  version?: number;
  sha256?: string;
  sizeBytes?: number;
}

/**
 * Posts manifest then artifact as multipart with XMLHttpRequest (fetch reports no upload progress);
 * rejects with an ApiError carrying the API's sentence.
 */
export function uploadVersion(opts: {
  url: string;
  bearer: string | null;
  manifest: Manifest;
  file: Blob;
  fileName: string;
  onProgress: (loaded: number, total: number) => void;
}): { done: Promise<UploadResult>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<UploadResult>((resolve, reject) => {
    const body = new FormData();
    body.append('manifest', new Blob([JSON.stringify(opts.manifest)], { type: 'application/json' }), 'manifest.json');
    body.append('artifact', opts.file, opts.fileName);
    xhr.open('POST', opts.url);
    if (opts.bearer) xhr.setRequestHeader('Authorization', `Bearer ${opts.bearer}`);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) opts.onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      let parsed: unknown;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        parsed = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve((parsed ?? {}) as UploadResult);
      else reject(toApiError(xhr.status, parsed));
    };
    xhr.onerror = () => reject(toApiError(0, undefined));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}
