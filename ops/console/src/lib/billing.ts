import type { Statement, StatementLine } from '../api/types';
import { formatMoney, monthOf } from '@modelplane/web-kit';

export { monthLabel, monthOf } from '@modelplane/web-kit';

/** The months the picker offers, newest first: this month and the `count - 1` before it. */
export function recentMonths(now: Date, count = 12): string[] {
  const months: string[] = [];
  for (let i = 0; i < count; i++) {
    months.push(monthOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1))));
  }
  return months;
}

/**
 * A line's quantity with the server's unit ("month", "million requests", "compute hour", "GiB-hour"), plural
 * unless it is exactly 1; small quantities keep three significant digits ("0.0000120 million requests" → "0.000012").
 */
export function quantityText(line: Pick<StatementLine, 'quantity' | 'unit'>): string {
  const q = line.quantity;
  const text = Number.isInteger(q)
    ? q.toLocaleString('en')
    : Math.abs(q) < 1
      ? q.toLocaleString('en', { maximumSignificantDigits: 3 })
      : q.toLocaleString('en', { maximumFractionDigits: 3 });
  const unit = q === 1 || line.unit.endsWith('s') ? line.unit : `${line.unit}s`;
  return `${text} ${unit}`;
}

/** A line's unit price: "$0.80 per million requests", "$1.50 per compute hour". */
export function unitPriceText(line: Pick<StatementLine, 'unitPrice' | 'unit'>, currency: string): string {
  return `${formatMoney(line.unitPrice, currency)} per ${line.unit}`;
}

/** Statements ordered for the table: highest total first, then by tenant. */
export function sortStatements(statements: ReadonlyArray<Statement>): Statement[] {
  return [...statements].sort((a, b) => b.total - a.total || a.tenant.localeCompare(b.tenant));
}

/** The totals per currency, summed from the statements (the server's totals are shown; this checks them). */
export function totalsOf(statements: ReadonlyArray<Statement>): { currency: string; total: number }[] {
  const by = new Map<string, number>();
  for (const s of statements) by.set(s.currency, (by.get(s.currency) ?? 0) + s.total);
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, total]) => ({ currency, total }));
}

/** The file name a month's CSV is saved as. */
export function csvFileName(month: string): string {
  return `modelplane-billing-${month}.csv`;
}
