import { describe, expect, it } from 'vitest';
import { billingFileName, billingMonths, formatMoney, MAX_MONTHS, minorDigits, monthLabel, monthOf, quantityText, unitPriceText } from './billing';

describe('money in minor units', () => {
  it('uses the currency’s minor digits', () => {
    expect(minorDigits('USD')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('BHD')).toBe(3);
  });

  it('formats integer minor units for the currency', () => {
    expect(formatMoney(123456, 'USD')).toBe('$1,234.56');
    expect(formatMoney(5, 'USD')).toBe('$0.05');
    expect(formatMoney(0, 'EUR')).toBe('€0.00');
    expect(formatMoney(1500, 'JPY')).toBe('¥1,500');
    expect(formatMoney(1234, 'BHD')).toBe('BHD\u00a01.234');
    expect(formatMoney(-250, 'USD')).toBe('-$2.50');
  });

  it('keeps every cent of amounts past 2^53 / 100', () => {
    expect(formatMoney(9_007_199_254_740_991, 'USD')).toBe('$90,071,992,547,409.91');
  });

  it('falls back to the code for a currency Intl does not take', () => {
    expect(formatMoney(1250, 'X1')).toBe('12.50 X1');
  });

  it('writes quantities and unit prices with their units', () => {
    expect(quantityText(1, 'month')).toBe('1 month');
    expect(quantityText(0.000006, 'million requests')).toBe('0.000006 million requests');
    expect(quantityText(1.5, 'compute hour')).toBe('1.5 compute hour');
    expect(unitPriceText(80, 'million requests', 'USD')).toBe('$0.80 per million requests');
  });
});

describe('months', () => {
  const now = new Date('2026-12-01T00:30:00Z');

  it('names the UTC month', () => {
    expect(monthOf(now)).toBe('2026-12');
    expect(monthOf(new Date('2026-11-30T23:59:59Z'))).toBe('2026-11');
    expect(monthLabel('2026-03')).toBe('March 2026');
    expect(monthLabel('nonsense')).toBe('nonsense');
  });

  it('offers this month back to the creation month, newest first', () => {
    expect(billingMonths('2026-09-15T10:00:00Z', now)).toEqual(['2026-12', '2026-11', '2026-10', '2026-09']);
    expect(billingMonths('2025-12-31T23:00:00Z', new Date('2026-02-10T00:00:00Z'))).toEqual(['2026-02', '2026-01', '2025-12']);
  });

  it('offers only this month for a tenant created this month, or without a creation date', () => {
    expect(billingMonths('2026-12-01T00:10:00Z', now)).toEqual(['2026-12']);
    expect(billingMonths(undefined, now)).toEqual(['2026-12']);
    expect(billingMonths('not a date', now)).toEqual(['2026-12']);
    expect(billingMonths('2027-03-01T00:00:00Z', now)).toEqual(['2026-12']);
  });

  it('stops at ten years', () => {
    const months = billingMonths('1990-01-01T00:00:00Z', now);
    expect(months).toHaveLength(MAX_MONTHS);
    expect(months.at(-1)).toBe('2017-01');
  });

  it('names the CSV file after tenant and month', () => {
    expect(billingFileName('demo', '2026-12')).toBe('billing-demo-2026-12.csv');
  });
});
