// A list of product lines (cart, receipt, count, transfer): add by scan or pick, change, remove.
import type { MoneyDto } from './api';

export interface CartLine {
  productId: string;
  name: string;
  sku: string;
  /** Thousandths. */
  qtyMilli: number;
  price: MoneyDto | null;
}

export interface Pickable {
  id: string;
  name: string;
  sku: string;
  price?: MoneyDto | null;
}

/** Adds one unit (or `qtyMilli`) of a product; a product already there gets more. */
export function addLine(lines: CartLine[], product: Pickable, qtyMilli = 1000): CartLine[] {
  const idx = lines.findIndex((line) => line.productId === product.id);
  if (idx >= 0) return lines.map((line, at) => (at === idx ? { ...line, qtyMilli: line.qtyMilli + qtyMilli } : line));
  return [...lines, { productId: product.id, name: product.name, sku: product.sku, qtyMilli, price: product.price ?? null }];
}

/** Sets a line's quantity; zero or less removes it. */
export function setQty(lines: CartLine[], productId: string, qtyMilli: number): CartLine[] {
  if (qtyMilli <= 0) return lines.filter((line) => line.productId !== productId);
  return lines.map((line) => (line.productId === productId ? { ...line, qtyMilli } : line));
}

/** Line amount before tax and discounts, rounded half away from zero. */
export function lineTotal(line: CartLine): number {
  if (!line.price) return 0;
  const raw = (line.price.minor * line.qtyMilli) / 1000;
  return Math.sign(raw) * Math.round(Math.abs(raw));
}

export function cartTotal(lines: CartLine[]): number {
  return lines.reduce((sum, line) => sum + lineTotal(line), 0);
}

/** The lines as the commands take them. */
export function wireLines(lines: CartLine[]): { productId: string; qtyMilli: number }[] {
  return lines.map((line) => ({ productId: line.productId, qtyMilli: line.qtyMilli }));
}
