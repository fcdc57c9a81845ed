import { describe, expect, it } from 'vitest';
import { addLine, cartTotal, setQty, wireLines } from './cart';

const tea = { id: 'p1', name: 'Tea', sku: 'T1', price: { minor: 250, currency: 'USD' } };
const cup = { id: 'p2', name: 'Cup', sku: 'C1', price: { minor: 1999, currency: 'USD' } };

describe('cart lines', () => {
  it('adds a scanned product, and more of it on the next scan', () => {
    let lines = addLine([], tea);
    lines = addLine(lines, cup);
    lines = addLine(lines, tea);
    expect(lines.map((line) => [line.productId, line.qtyMilli])).toEqual([
      ['p1', 2000],
      ['p2', 1000],
    ]);
    expect(cartTotal(lines)).toBe(2 * 250 + 1999);
  });

  it('changes and removes a line', () => {
    let lines = addLine(addLine([], tea), cup);
    lines = setQty(lines, 'p1', 1500);
    expect(cartTotal(lines)).toBe(375 + 1999);
    lines = setQty(lines, 'p2', 0);
    expect(wireLines(lines)).toEqual([{ productId: 'p1', qtyMilli: 1500 }]);
  });
});
