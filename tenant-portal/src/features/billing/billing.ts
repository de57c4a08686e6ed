import { formatMoney, monthOf } from '@modelplane/web-kit';

export { formatMoney, minorDigits, monthLabel, monthOf } from '@modelplane/web-kit';

/** Most months the picker offers (ten years), so an odd creation date cannot make an endless list. */
export const MAX_MONTHS = 120;

/**
 * The months a statement can be asked for, newest first: this month back to the tenant's creation month.
 * Without a usable creation date only this month is offered (the server refuses months after the current one).
 */
export function billingMonths(createdAt: string | undefined, now: Date): string[] {
  const created = createdAt ? new Date(createdAt) : null;
  const first = created && !Number.isNaN(created.getTime()) ? created : now;
  const months: string[] = [];
  for (let i = 0; i < MAX_MONTHS; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    months.push(monthOf(d));
    if (d.getUTCFullYear() < first.getUTCFullYear()
      || (d.getUTCFullYear() === first.getUTCFullYear() && d.getUTCMonth() <= first.getUTCMonth())) break;
  }
  return months;
}

/** A line's quantity with its unit, as precise as the unit needs: "1 month", "0.000006 million requests". */
export function quantityText(quantity: number, unit: string): string {
  return `${quantity.toLocaleString('en', { maximumFractionDigits: Number.isInteger(quantity) ? 0 : 6 })} ${unit}`;
}

/** A line's unit price: "$0.80 per million requests". */
export function unitPriceText(unitPrice: number, unit: string, currency: string): string {
  return `${formatMoney(unitPrice, currency)} per ${unit}`;
}

/** billing-demo-2026-12.csv */
export function billingFileName(tenant: string, month: string): string {
  return `billing-${tenant}-${month}.csv`;
}
