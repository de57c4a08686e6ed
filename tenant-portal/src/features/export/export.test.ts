import { describe, expect, it } from 'vitest';
import { ApiError } from '@modelplane/web-kit';
import { exportError, fallbackFileName, fileNameOf, readArchive } from './export';
import { permission } from '../../auth/permissions';

const NOW = new Date('2026-12-01T10:15:00.123Z');

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('the export file name', () => {
  it("is the server's, quoted, bare or RFC 5987", () => {
    expect(fileNameOf('attachment; filename="acme-export-20261201T101500Z.zip"', 'x.zip')).toBe('acme-export-20261201T101500Z.zip');
    expect(fileNameOf('attachment; filename=acme.zip', 'x.zip')).toBe('acme.zip');
    expect(fileNameOf("attachment; filename=\"a.zip\"; filename*=UTF-8''acme%20export.zip", 'x.zip')).toBe('acme export.zip');
  });
  it('falls back to the same pattern without a header and never keeps a directory', () => {
    expect(fileNameOf(null, 'x.zip')).toBe('x.zip');
    expect(fileNameOf('attachment', 'x.zip')).toBe('x.zip');
    expect(fileNameOf('attachment; filename="../../etc/passwd"', 'x.zip')).toBe('passwd');
    expect(fileNameOf('attachment; filename="dir/"', 'x.zip')).toBe('x.zip');
    expect(fallbackFileName('acme', NOW)).toBe('acme-export-20261201T101500Z.zip');
  });
});

describe('reading the archive', () => {
  it('keeps every byte in order, tells the progress and takes the name from the answer', async () => {
    const chunks = [new Uint8Array([0x50, 0x4b, 3, 4]), new Uint8Array(1000).fill(7), new Uint8Array([9])];
    const seen: number[] = [];
    const response = new Response(streamOf(chunks), {
      status: 200,
      headers: { 'Content-Type': 'application/zip', 'Content-Disposition': 'attachment; filename="acme-export-20261201T101500Z.zip"' },
    });
    const archive = await readArchive(response, 'acme', (n) => seen.push(n), NOW);
    expect(archive.fileName).toBe('acme-export-20261201T101500Z.zip');
    expect(archive.blob.type).toBe('application/zip');
    const bytes = new Uint8Array(await archive.blob.arrayBuffer());
    expect(bytes.length).toBe(1005);
    expect([...bytes.slice(0, 4)]).toEqual([0x50, 0x4b, 3, 4]);
    expect(bytes[1004]).toBe(9);
    expect(seen).toEqual([4, 1004, 1005]);
  });

  it('says clearly that an export already runs or the tenant is being deleted (409)', async () => {
    const running = readArchive(json(409, { error: 'an export of acme is already running', code: 'export_in_progress' }), 'acme');
    await expect(running).rejects.toMatchObject({ status: 409, code: 'export_in_progress', message: expect.stringMatching(/already running.*try again/) });
    const deleting = readArchive(json(409, { error: 'tenant acme is being deleted', code: 'tenant_deleting' }), 'acme');
    await expect(deleting).rejects.toMatchObject({ code: 'tenant_deleting', message: expect.stringMatching(/being deleted/) });
  });

  it('names the role a 403 needs, and keeps other errors as the API says them', async () => {
    const forbidden = readArchive(json(403, { error: 'forbidden', code: 'forbidden' }), 'acme');
    await expect(forbidden).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/tenant-admin role/) });
    const missing = readArchive(json(404, { error: 'tenant acme does not exist', code: 'tenant_not_found' }), 'acme');
    await expect(missing).rejects.toMatchObject({ status: 404, message: 'Tenant acme does not exist.' });
    // a body that is not JSON (a proxy's page) gives the status's sentence, not the page
    const proxy = readArchive(new Response('<html>bad gateway</html>', { status: 502 }), 'acme');
    await expect(proxy).rejects.toBeInstanceOf(ApiError);
    await expect(proxy).rejects.toMatchObject({ message: 'The server failed to answer this request; try again shortly.' });
    const other = new TypeError('x');
    expect(exportError(other)).toBe(other);
  });
});

describe('who may export', () => {
  it('is the tenant-admin (and the operator); developer and viewer see why not', () => {
    expect(permission('tenant-admin', 'exportData').allowed).toBe(true);
    expect(permission('operator', 'exportData').allowed).toBe(true);
    for (const role of ['developer', 'viewer', 'predictor'] as const) {
      const p = permission(role, 'exportData');
      expect(p.allowed).toBe(false);
      expect(p.reason).toMatch(/tenant-admin/);
    }
  });
});
