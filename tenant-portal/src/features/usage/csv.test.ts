import { describe, expect, it } from 'vitest';
import { csvField, csvFileName, usageCsv } from './csv';

describe('usageCsv', () => {
  it('writes a header and one line per row, CRLF, empty for missing values', () => {
    const csv = usageCsv([
      { start: '2026-12-01T13:00:00Z', model: 'digits', version: '2', requests: 10, errors: 1, items: 12, computeMillis: 33.5 },
      { start: '2026-12-01T13:00:00Z', model: '', version: '', requests: 3, errors: 3, items: 0, computeMillis: 0 },
      { start: '2026-12-01T14:00:00Z', model: 'x' },
    ]);
    expect(csv).toBe(
      'start,model,version,requests,errors,items,computeMillis\r\n' +
        '2026-12-01T13:00:00Z,digits,2,10,1,12,33.5\r\n' +
        '2026-12-01T13:00:00Z,,,3,3,0,0\r\n' +
        '2026-12-01T14:00:00Z,x,,,,,\r\n',
    );
  });
  it('is only a header without rows', () => {
    expect(usageCsv([])).toBe('start,model,version,requests,errors,items,computeMillis\r\n');
  });
});

describe('csvField', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(0)).toBe('0');
    expect(csvField(undefined)).toBe('');
  });
  it('defuses text a spreadsheet would run as a formula, not negative numbers', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('@x')).toBe("'@x");
    expect(csvField(-3)).toBe('-3');
  });
});

describe('csvFileName', () => {
  it('names the tenant, range and step without colons', () => {
    expect(csvFileName('demo', '2026-11-30T14:00:00.000Z', '2026-12-01T14:00:00.000Z', 'hour')).toBe(
      'usage-demo-2026-11-30T14-00Z-2026-12-01T14-00Z-hour.csv',
    );
  });
});
