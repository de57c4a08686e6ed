import { describe, expect, it } from 'vitest';
import { affectedText, emptyPlanForm, formatMoney, moneyText, parseMoney, planFormOf, validatePlan } from './plans';

describe('money in minor units', () => {
  it('parses amounts with at most the currency’s decimals', () => {
    expect(parseMoney('12.5', 'USD')).toBe(1250);
    expect(parseMoney('12.05', 'USD')).toBe(1205);
    expect(parseMoney('0', 'USD')).toBe(0);
    expect(parseMoney('12.555', 'USD')).toBeNull();
    expect(parseMoney('-1', 'USD')).toBeNull();
    expect(parseMoney('1e3', 'USD')).toBeNull();
    expect(parseMoney('500', 'JPY')).toBe(500);
    expect(parseMoney('5.5', 'JPY')).toBeNull();
  });
  it('shows them back', () => {
    expect(moneyText(1205, 'USD')).toBe('12.05');
    expect(moneyText(500, 'JPY')).toBe('500');
    expect(formatMoney(123456, 'USD')).toBe('$1,234.56');
    expect(formatMoney(1250, 'EUR')).toBe('€12.50');
  });
});

describe('plan form', () => {
  it('turns a valid form into the body, limits left empty being unlimited', () => {
    const f = { ...emptyPlanForm(), id: 'gold', displayName: ' Gold ', currency: 'eur', quota: { maxModels: '20', burst: '' } };
    f.prices.perMillionRequests = '0.80';
    const { problems, body } = validatePlan(f, true);
    expect(problems).toEqual({});
    expect(body).toEqual({
      id: 'gold', displayName: 'Gold', currency: 'EUR',
      prices: { monthlyBase: 0, perMillionRequests: 80, perComputeHour: 0, perGiBHourResident: 0 },
      quota: { maxModels: 20, burst: null },
    });
  });
  it('says what is wrong with each field and sends nothing', () => {
    const f = { ...emptyPlanForm(), id: 'Gold!', displayName: '', currency: 'EURO', quota: { requestsPerSecond: '0', maxModels: '1.5' } };
    f.prices.monthlyBase = '-3';
    const { problems, body } = validatePlan(f, true);
    expect(body).toBeNull();
    expect(Object.keys(problems).sort()).toEqual(['currency', 'displayName', 'id', 'maxModels', 'monthlyBase', 'requestsPerSecond']);
  });
  it('does not send the id of a plan being edited, and reads a plan back into the form', () => {
    const plan = {
      id: 'pro', displayName: 'Pro', currency: 'USD', tenants: 3, createdAt: null, updatedAt: null, quota: { maxModels: 5, burst: null },
      prices: { monthlyBase: 9900, perMillionRequests: 80, perComputeHour: 150, perGiBHourResident: 2 },
    };
    const form = planFormOf(plan);
    expect(form.prices.monthlyBase).toBe('99.00');
    expect(form.quota).toEqual({ maxModels: '5', burst: '' });
    const { body } = validatePlan(form, false);
    expect(body).toEqual({ displayName: 'Pro', currency: 'USD', prices: plan.prices, quota: { maxModels: 5, burst: null } });
  });
  it('says how many tenants an edit reaches', () => {
    expect(affectedText(0)).toBe('No tenant is on this plan.');
    expect(affectedText(1)).toBe('This changes the plan for 1 tenant.');
    expect(affectedText(1234)).toBe('This changes the plan for 1,234 tenants.');
  });
});
