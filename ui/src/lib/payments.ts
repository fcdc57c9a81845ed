// Split payments at the till: what each payment is worth in the sale's
// currency, what is still owed, and the change due. Integer minor units.

export interface TenderedPayment {
  method: string;
  /** In the currency handed over, minor units. */
  amountMinor: number;
  currency: string;
  /** Sale-currency units per unit of `currency`, times 1,000,000 (null = same currency). */
  rateMicros: number | null;
}

/** Half away from zero, as the core rounds. */
function divRound(numerator: number, denominator: number): number {
  const q = Math.trunc(numerator / denominator);
  const r = numerator - q * denominator;
  if (Math.abs(r) * 2 >= Math.abs(denominator)) return q + Math.sign(numerator) * Math.sign(denominator);
  return q;
}

/** Minor units of the sale's currency a payment covers. Both currencies' minor digits are passed in. */
export function inSaleCurrency(payment: TenderedPayment, paymentDigits: number, saleDigits: number): number {
  if (payment.rateMicros === null) return payment.amountMinor;
  const scaled = payment.amountMinor * payment.rateMicros * 10 ** saleDigits;
  return divRound(scaled, 1_000_000 * 10 ** paymentDigits);
}

export interface Settlement {
  paid: number;
  remaining: number;
  change: number;
}

export function settle(totalMinor: number, paidInSaleCurrency: number[]): Settlement {
  const paid = paidInSaleCurrency.reduce((sum, part) => sum + part, 0);
  return { paid, remaining: Math.max(0, totalMinor - paid), change: Math.max(0, paid - totalMinor) };
}

/** "1.2345" -> 1234500 micros. */
export function parseRate(text: string): number | null {
  const match = /^\s*(\d+)(?:[.,](\d{0,6}))?\s*$/.exec(text);
  if (!match) return null;
  const micros = Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0'));
  return micros > 0 ? micros : null;
}
