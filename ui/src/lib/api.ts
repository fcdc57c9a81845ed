// The shapes the screens read from the commands. The generated bindings in
// ./bindings are the source of truth; this file names the parts the UI uses.

export type Mode = 'unset' | 'standalone' | 'enrolled';

export interface UserDto {
  id: string;
  username: string;
  displayName?: string | null;
  role: string;
  active?: boolean;
}

export interface AppInfo {
  mode: Mode;
  deviceId: string | null;
  user: UserDto | null;
  hubUrl: string | null;
  locale: string | null;
}

export interface ProductDto {
  id: string;
  sku: string;
  name: string;
  priceMinor?: number | null;
  currency?: string | null;
  barcodes?: string[];
  stock?: number | null;
  archived?: boolean;
}

export interface PageOf<T> {
  total: number;
  items: T[];
}

export interface LookupOut {
  product: ProductDto;
  priceMinor: number | null;
  currency: string | null;
  stock: number | null;
}

export interface SyncStatusDto {
  online: boolean;
  unsent: number;
  lastSyncAt: string | null;
  phase: string;
  progress: number | null;
  lastErrorCode: string | null;
}

export interface InboxItem {
  id: string;
  kind: string;
  code: string;
  message: string;
  at: string | null;
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
  balanceMinor?: number;
  priceListId?: string | null;
}

export interface OrderDto {
  id: string;
  number: string;
  customerId: string;
  customerName?: string;
  status: string;
  totalMinor: number;
  currency: string;
  createdAt?: string;
  reason?: string | null;
}

export interface StockRow {
  productId: string;
  name: string;
  sku: string;
  qty: number;
}

export interface MovementDto {
  id: string;
  kind: string;
  qty: number;
  locationName?: string;
  at: string | null;
}

export interface CountPreviewLine {
  productId: string;
  name: string;
  sku: string;
  expected: number;
  counted: number;
  variance: number;
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
  currency: string;
  subtotalMinor: number;
  discountMinor: number;
  taxMinor: number;
  totalMinor: number;
}

export interface ReceiptLine {
  productId: string;
  name: string;
  qty: number;
  unitPriceMinor: number;
  totalMinor: number;
  returnableQty?: number;
}

export interface ReceiptDto {
  id?: string;
  number: string;
  at: string | null;
  currency: string;
  lines: ReceiptLine[];
  subtotalMinor: number;
  discountMinor: number;
  taxMinor: number;
  totalMinor: number;
  payments: { method: string; amountMinor: number; currency: string }[];
  changeMinor: number;
}

export interface ShiftDto {
  id: string;
  openedAt: string | null;
  floatMinor: number;
  currency: string;
}

export interface ShiftCloseDto {
  expectedMinor: number;
  countedMinor: number;
  varianceMinor: number;
  currency: string;
}

export interface PriceListDto {
  id: string;
  name: string;
  currency: string;
}

export interface DashboardDto {
  todaySalesMinor: number;
  todaySaleCount: number;
  currency: string;
  lowStock: { productId: string; name: string; sku: string; qty: number; locationName?: string }[];
}
