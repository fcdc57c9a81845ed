import { describe, expect, it } from 'vitest';
import { currencyDigits, formatMoney, formatQty, parseMoney, parseQty } from './format';

describe('money formats', () => {
  it('knows minor units per currency', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('KWD')).toBe(3);
    expect(currencyDigits('JPY')).toBe(0);
  });

  it('formats minor units in the locale', () => {
    expect(formatMoney(123456, 'USD', 'en')).toBe('$1,234.56');
    expect(formatMoney(1500, 'JPY', 'en')).toBe('¥1,500');
    const arabic = formatMoney(123456, 'EGP', 'ar-EG');
    expect(arabic).toMatch(/[\u0660-\u0669]/); // Arabic-Indic digits
  });

  it('parses typed amounts, Arabic digits too', () => {
    expect(parseMoney('12.5', 'USD')).toBe(1250);
    expect(parseMoney('12,50', 'USD')).toBe(1250);
    expect(parseMoney('\u0661\u0662\u066b\u0665', 'USD')).toBe(1250);
    expect(parseMoney('7', 'JPY')).toBe(7);
    expect(parseMoney('1.234', 'USD')).toBeNull();
    expect(parseMoney('abc', 'USD')).toBeNull();
    expect(parseMoney('', 'USD')).toBeNull();
  });

  it('reads and shows quantities in thousandths', () => {
    expect(parseQty('2')).toBe(2000);
    expect(parseQty('0.25')).toBe(250);
    expect(formatQty(2500, 'en')).toBe('2.5');
  });
});
