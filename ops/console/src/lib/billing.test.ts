import { describe, expect, it } from 'vitest';
import { csvFileName, monthLabel, monthOf, quantityText, recentMonths, sortStatements, totalsOf, unitPriceText } from './billing';
import type { Statement } from '../api/types';

const statement = (tenant: string, currency: string, total: number): Statement => ({
  tenant, month: '2026-12', plan: 'default', currency, total, lines: [],
  usage: { requests: 0, errors: 0, items: 0, computeSeconds: 0, residentGiBHours: 0 },
  prices: { monthlyBase: 0, perMillionRequests: 0, perComputeHour: 0, perGiBHourResident: 0 },
});

describe('billing months', () => {
  it('are UTC months, newest first, across a year', () => {
    expect(monthOf(new Date('2026-12-31T23:30:00-05:00'))).toBe('2027-01');
    expect(recentMonths(new Date('2027-02-10T00:00:00Z'), 4)).toEqual(['2027-02', '2027-01', '2026-12', '2026-11']);
    expect(monthLabel('2026-12')).toBe('December 2026');
    expect(monthLabel('nope')).toBe('nope');
  });
});

describe('statements', () => {
  it('show quantities and unit prices with their units', () => {
    expect(quantityText({ quantity: 1, unit: 'month' })).toBe('1 month');
    expect(quantityText({ quantity: 0.000012, unit: 'million requests' })).toBe('0.000012 million requests');
    expect(quantityText({ quantity: 0.25, unit: 'GiB-hour' })).toBe('0.25 GiB-hours');
    expect(quantityText({ quantity: 1234.56789, unit: 'compute hour' })).toBe('1,234.568 compute hours');
    expect(unitPriceText({ unitPrice: 150, unit: 'compute hour' }, 'USD')).toBe('$1.50 per compute hour');
    expect(unitPriceText({ unitPrice: 80, unit: 'million requests' }, 'USD')).toBe('$0.80 per million requests');
  });
  it('sort by total, then tenant, and sum per currency', () => {
    const s = [statement('b', 'USD', 100), statement('a', 'USD', 100), statement('c', 'EUR', 5), statement('d', 'USD', 900)];
    expect(sortStatements(s).map((x) => x.tenant)).toEqual(['d', 'a', 'b', 'c']);
    expect(totalsOf(s)).toEqual([{ currency: 'EUR', total: 5 }, { currency: 'USD', total: 1100 }]);
    expect(csvFileName('2026-12')).toBe('modelplane-billing-2026-12.csv');
  });
});
