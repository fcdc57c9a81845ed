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
import type { ProductDto } from './bindings/ProductDto';

export type PaymentMethod = 'cash' | 'card' | 'wallet' | 'account';
export type OrderStatus = 'draft' | 'provisional' | 'confirmed' | 'rejected';

export interface QtyLine {
  productId: string;
  qtyMilli: number;
}

export interface LocationDto {
  id: string;
  name: string;
  kind: string;
  parentId: string | null;
  active: boolean;
}

export interface CustomerDto {
  id: string;
  code: string | null;
  name: string;
  phone: string | null;
  email: string | null;
  priceListId: string | null;
  currency: string;
  creditLimit: MoneyDto;
  balance: MoneyDto;
  active: boolean;
}

export interface CatalogLine {
  product: ProductDto;
  price: MoneyDto;
}

export interface CustomerCatalogPage {
  total: number;
  offset: number;
  currency: string;
  priceListId: string | null;
  lines: CatalogLine[];
}

export interface OrderDto {
  id: string;
  number: string | null;
  customerId: string;
  customerName: string;
  status: OrderStatus;
  total: MoneyDto;
  note: string | null;
  createdMs: number;
}

export interface OrderSummaryDto {
  id: string;
  number: string | null;
  customerName: string;
  status: OrderStatus;
  total: MoneyDto;
  nLines: number;
  createdMs: number;
}

export interface ProductStockDto {
  productId: string;
  sku: string;
  name: string;
  unit: string;
  qtyMilli: number;
}

export interface MovementDto {
  id: string;
  kind: string;
  locationId: string;
  qtyMilli: number;
  atMs: number;
  reason: string | null;
}

export interface CountLineDto {
  productId: string;
  sku: string;
  name: string;
  expectedMilli: number;
  countedMilli: number;
  varianceMilli: number;
}

export interface CountView {
  sessionId: string;
  locationId: string;
  status: string;
  lines: CountLineDto[];
}

export interface TransferDto {
  id: string;
  number: string;
  fromLocationId: string;
  toLocationId: string;
  sentMs: number;
  open: boolean;
  lines: { productId: string; sku: string; name: string; sentMilli: number; receivedMilli: number; inTransitMilli: number }[];
}

export type DiscountDto = { kind: 'percent'; basisPoints: number } | { kind: 'amount'; amount: MoneyDto };

export interface QuoteDto {
  currency: string;
  subtotal: MoneyDto;
  discount: MoneyDto;
  tax: MoneyDto;
  total: MoneyDto;
}

export interface ReceiptLineDto {
  lineId: string;
  productId: string;
  sku: string;
  name: string;
  qtyMilli: number;
  unitPrice: MoneyDto;
  discount: MoneyDto;
  tax: MoneyDto;
  total: MoneyDto;
  returnedMilli: number;
}

export interface ReceiptDto {
  saleId: string;
  number: string;
  soldAtMs: number;
  locationName: string;
  customerName: string | null;
  currency: string;
  lines: ReceiptLineDto[];
  subtotal: MoneyDto;
  discount: MoneyDto;
  tax: MoneyDto;
  total: MoneyDto;
  payments: { method: PaymentMethod; amount: MoneyDto; rateMicros: number; counted: MoneyDto }[];
  change: MoneyDto;
  refunded: MoneyDto;
}

export interface ReturnReceiptDto {
  returnId: string;
  number: string;
  saleNumber: string;
  returnedAtMs: number;
  total: MoneyDto;
}

export interface ShiftDto {
  id: string;
  locationId: string;
  float: MoneyDto;
  openedMs: number;
  closedMs: number | null;
  expected: MoneyDto;
  counted: MoneyDto | null;
  variance: MoneyDto | null;
}

export interface DashboardDto {
  sales: { nSales: number; total: MoneyDto }[];
  lowStock: { productId: string; sku: string; name: string; locationId: string; locationName: string; qtyMilli: number }[];
  inboxCount: number;
}
