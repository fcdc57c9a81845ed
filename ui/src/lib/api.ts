// The shapes the screens read from the commands: the DTOs generated from
// crates/app into ./bindings (ts-rs), and, for commands whose bindings are
// not generated yet, the same conventions written here. Money is integer
// minor units with its currency; quantities are thousandths (`qtyMilli`).

export type { AppInfo } from './bindings/AppInfo';
export type { AppMode as Mode } from './bindings/AppMode';
export type { BarcodeDto } from './bindings/BarcodeDto';
export type { CodeHit } from './bindings/CodeHit';
export type { InboxItemDto } from './bindings/InboxItemDto';
export type { LocationStockDto } from './bindings/LocationStockDto';
export type { MoneyDto } from './bindings/MoneyDto';
export type { PriceListDto } from './bindings/PriceListDto';
export type { ProductDetail } from './bindings/ProductDetail';
export type { ProductDto } from './bindings/ProductDto';
export type { ProductPageDto } from './bindings/ProductPageDto';
export type { RoleDto as Role } from './bindings/RoleDto';
export type { SyncPhase } from './bindings/SyncPhase';
export type { SyncStatusDto } from './bindings/SyncStatusDto';
export type { UserDto } from './bindings/UserDto';
import type { MoneyDto } from './bindings/MoneyDto';

export interface LocationDto {
  id: string;
  name: string;
  kind?: string;
}

export interface CustomerDto {
  id: string;
  name: string;
  currency: string;
  balance?: MoneyDto;
  priceListId?: string | null;
}

export interface OrderDto {
  id: string;
  number: string;
  customerId: string;
  customerName?: string;
  status: string;
  total: MoneyDto;
  createdMs?: number;
  reason?: string | null;
}

export interface StockRow {
  productId: string;
  name: string;
  sku: string;
  qtyMilli: number;
}

export interface MovementDto {
  id: string;
  kind: string;
  qtyMilli: number;
  locationName?: string;
  atMs: number | null;
}

export interface CountPreviewLine {
  productId: string;
  name: string;
  sku: string;
  expectedMilli: number;
  countedMilli: number;
  varianceMilli: number;
}

export interface TransferDto {
  id: string;
  number: string;
  fromName?: string;
  toName?: string;
  toId?: string;
  status: string;
}

export interface QuoteDto {
  subtotal: MoneyDto;
  discount: MoneyDto;
  tax: MoneyDto;
  total: MoneyDto;
}

export interface ReceiptLineDto {
  productId: string;
  name: string;
  qtyMilli: number;
  unitPrice: MoneyDto;
  total: MoneyDto;
  returnableMilli?: number;
}

export interface ReceiptDto {
  id?: string;
  number: string;
  atMs: number | null;
  lines: ReceiptLineDto[];
  subtotal: MoneyDto;
  discount: MoneyDto;
  tax: MoneyDto;
  total: MoneyDto;
  payments: { method: string; amount: MoneyDto }[];
  change: MoneyDto;
}

export interface ShiftDto {
  id: string;
  openedMs: number | null;
  float: MoneyDto;
}

export interface ShiftCloseDto {
  expected: MoneyDto;
  counted: MoneyDto;
  variance: MoneyDto;
}

export interface DashboardDto {
  todaySales: { count: number; total: MoneyDto }[];
  lowStock: { productId: string; name: string; sku: string; qtyMilli: number; locationName?: string }[];
}
