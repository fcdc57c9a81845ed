// The shapes the screens read from the commands, mirroring the DTOs of
// crates/app (generated into ./bindings by ts-rs). Money is integer minor
// units with its currency; quantities are thousandths (`qtyMilli`).

export type Mode = 'unset' | 'standalone' | 'enrolled';
export type Role = 'owner' | 'manager' | 'cashier' | 'salesperson' | 'warehouse';

export interface MoneyDto {
  minor: number;
  currency: string;
}

export interface UserDto {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  active: boolean;
}

export interface AppInfo {
  mode: Mode;
  deviceId: string;
  docPrefix: string;
  baseCurrency: string;
  user: UserDto | null;
  hubUrl: string | null;
  locale: string;
  version: string;
}

export interface ProductDto {
  id: string;
  sku: string;
  name: string;
  brand: string | null;
  unit: string;
  categoryId: string | null;
  cost: MoneyDto;
  price: MoneyDto;
  taxRateBp: number;
  active: boolean;
}

export interface ProductPageDto {
  total: number;
  offset: number;
  products: ProductDto[];
}

export interface LocationStockDto {
  locationId: string;
  locationName: string;
  qtyMilli: number;
}

export interface BarcodeDto {
  id: string;
  productId: string;
  code: string;
  packQtyMilli: number;
  active: boolean;
}

export interface ProductDetail {
  product: ProductDto;
  barcodes: BarcodeDto[];
  stock: LocationStockDto[];
}

/** What a scan found (`lookup_code`). The price is `product.price`. */
export interface CodeHit {
  product: ProductDto;
  code: string;
  packQtyMilli: number;
  stock: LocationStockDto[];
}

export type SyncPhase = 'standalone' | 'syncing' | 'idle' | 'offline' | 'blocked';

export interface SyncStatusDto {
  phase: SyncPhase;
  online: boolean;
  unsentCount: number;
  lastSyncMs: number | null;
  failures: number;
  pagesApplied: number;
  lastErrorCode: string | null;
  /** 0..1 while a snapshot loads, when the core reports it. */
  progress?: number | null;
}

export interface InboxItemDto {
  id: string;
  source: 'notice' | 'flag';
  kind: string;
  code: string;
  opType: string | null;
  entityId: string | null;
  detail: string | null;
  createdMs: number;
}

export interface PriceListDto {
  id: string;
  name: string;
  currency: string;
  tier: string | null;
  region: string | null;
  active: boolean;
}

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
