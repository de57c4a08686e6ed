// Statements are per UTC calendar month and in integer minor units of the plan's currency.

/** "2026-12" of an instant, in UTC (statements are per UTC calendar month). */
export function monthOf(d: Date): string {
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** "2026-12" → "December 2026". */
export function monthLabel(month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return month;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))
    .toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** The currency's minor-unit digits as Intl knows them (USD 2, JPY 0, BHD 3); 2 for a code Intl does not take. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** An integer amount in minor units as money: 123456 USD → "$1,234.56", 1500 JPY → "¥1,500". */
export function formatMoney(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  // the major units as a decimal string, so large amounts are not rounded through a binary fraction
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, '0');
  const major = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  try {
    const f = new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    return f.format(`${sign}${major}` as unknown as number);
  } catch {
    return `${sign}${major} ${currency}`;
  }
}
