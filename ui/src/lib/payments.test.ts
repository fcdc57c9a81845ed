import { describe, expect, it } from 'vitest';
import { inSaleCurrency, parseRate, settle } from './payments';

describe('split payments', () => {
  it('converts a payment in another currency at the till rate', () => {
    // 10.00 EUR at 1.10 USD per EUR = 11.00 USD
    expect(inSaleCurrency({ method: 'cash', amountMinor: 1000, currency: 'EUR', rateMicros: 1_100_000 }, 2, 2)).toBe(1100);
    // 1.000 KWD (3 digits) at 3.25 USD = 3.25 USD
    expect(inSaleCurrency({ method: 'cash', amountMinor: 1000, currency: 'KWD', rateMicros: 3_250_000 }, 3, 2)).toBe(325);
    // rounding half away from zero: 0.01 EUR at 1.5 = 0.015 -> 0.02
    expect(inSaleCurrency({ method: 'cash', amountMinor: 1, currency: 'EUR', rateMicros: 1_500_000 }, 2, 2)).toBe(2);
  });

  it('keeps a same-currency payment as it is', () => {
    expect(inSaleCurrency({ method: 'card', amountMinor: 777, currency: 'USD', rateMicros: null }, 2, 2)).toBe(777);
  });

  it('tells what is owed and the change due', () => {
    expect(settle(2500, [1000])).toEqual({ paid: 1000, remaining: 1500, change: 0 });
    expect(settle(2500, [1000, 2000])).toEqual({ paid: 3000, remaining: 0, change: 500 });
    expect(settle(2500, [])).toEqual({ paid: 0, remaining: 2500, change: 0 });
  });

  it('reads a rate', () => {
    expect(parseRate('1.1')).toBe(1_100_000);
    expect(parseRate('3,25')).toBe(3_250_000);
    expect(parseRate('0')).toBeNull();
    expect(parseRate('x')).toBeNull();
  });
});
