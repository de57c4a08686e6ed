import { saveBlob, type UsageRowLike } from '@modelplane/web-kit';

export const CSV_COLUMNS = ['start', 'model', 'version', 'requests', 'errors', 'items', 'computeMillis'] as const;

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a leading = + - @ is defused for spreadsheets. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The usage rows as CSV, one line per row, CRLF line ends, a header first. */
export function usageCsv(rows: ReadonlyArray<UsageRowLike>): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push(CSV_COLUMNS.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** usage-demo-2026-12-01T00-00Z-2026-12-02T00-00Z-hour.csv */
export function csvFileName(tenant: string, from: string, to: string, step: string): string {
  const t = (iso: string) => iso.replace(/:\d{2}\.\d{3}Z$/, 'Z').replace(/:/g, '-');
  return `usage-${tenant}-${t(from)}-${t(to)}-${step}.csv`;
}

/** Starts a download of text made in the browser (nothing is sent anywhere). */
export function downloadText(fileName: string, text: string, type = 'text/csv;charset=utf-8'): void {
  saveBlob(fileName, new Blob([text], { type }));
}
