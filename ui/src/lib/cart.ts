// A list of product lines (cart, receipt, count, transfer): add by scan or pick, change, remove.

export interface CartLine {
  productId: string;
  name: string;
  sku: string;
  /** Thousandths. */
  qty: number;
  priceMinor: number | null;
  currency: string | null;
}

export interface Pickable {
  id: string;
  name: string;
  sku: string;
  priceMinor?: number | null;
  currency?: string | null;
}

/** Adds one unit (or `qty`) of a product; a product already there gets more. */
export function addLine(lines: CartLine[], product: Pickable, qty = 1000, priceMinor?: number | null): CartLine[] {
  const idx = lines.findIndex((line) => line.productId === product.id);
  if (idx >= 0) return lines.map((line, at) => (at === idx ? { ...line, qty: line.qty + qty } : line));
  return [
    ...lines,
    {
      productId: product.id,
      name: product.name,
      sku: product.sku,
      qty,
      priceMinor: priceMinor ?? product.priceMinor ?? null,
      currency: product.currency ?? null,
    },
  ];
}

/** Sets a line's quantity; zero or less removes it. */
export function setQty(lines: CartLine[], productId: string, qty: number): CartLine[] {
  if (qty <= 0) return lines.filter((line) => line.productId !== productId);
  return lines.map((line) => (line.productId === productId ? { ...line, qty } : line));
}

/** Line total before tax and discounts, rounded half away from zero. */
export function lineTotal(line: CartLine): number {
  if (line.priceMinor == null) return 0;
  const raw = (line.priceMinor * line.qty) / 1000;
  return Math.sign(raw) * Math.round(Math.abs(raw));
}

export function cartTotal(lines: CartLine[]): number {
  return lines.reduce((sum, line) => sum + lineTotal(line), 0);
}

/** The lines as the commands take them. */
export function wireLines(lines: CartLine[]): { productId: string; qty: number }[] {
  return lines.map((line) => ({ productId: line.productId, qty: line.qty }));
}
