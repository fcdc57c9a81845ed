// The shapes the screens read from the commands: the DTOs generated from
// crates/app into ./bindings (ts-rs), under the names the screens use.
// Money is integer minor units with its currency; quantities are
// thousandths (`qtyMilli`); times are ms since the epoch.

export type { AppInfo } from './bindings/AppInfo';
export type { AppMode as Mode } from './bindings/AppMode';
export type { BarcodeDto } from './bindings/BarcodeDto';
export type { CodeHit } from './bindings/CodeHit';
export type { ScanOut } from './bindings/ScanOut';
export type { ScannedCodeDto } from './bindings/ScannedCodeDto';
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
export type { CatalogLine } from './bindings/CatalogLine';
export type { CountLineDto } from './bindings/CountLineDto';
export type { CountView } from './bindings/CountView';
export type { CustomerCatalogPage } from './bindings/CustomerCatalogPage';
export type { CustomerDto } from './bindings/CustomerDto';
export type { DashboardDto } from './bindings/DashboardDto';
export type { DiscountDto } from './bindings/DiscountDto';
export type { LocationDto } from './bindings/LocationDto';
export type { EnrolCodeDto } from './bindings/EnrolCodeDto';
export type { MovementDto } from './bindings/MovementDto';
export type { OrderDto } from './bindings/OrderDto';
export type { OrderSummaryDto } from './bindings/OrderSummaryDto';
export type { ProductStockDto } from './bindings/ProductStockDto';
export type { QtyLine } from './bindings/QtyLine';
export type { QuoteDto } from './bindings/QuoteDto';
export type { ReceiptDto } from './bindings/ReceiptDto';
export type { ReceiptLineDto } from './bindings/ReceiptLineDto';
export type { ReturnReceiptDto } from './bindings/ReturnReceiptDto';
export type { ShiftDto } from './bindings/ShiftDto';
export type { TransferDto } from './bindings/TransferDto';
export type { PaymentMethodDto as PaymentMethod } from './bindings/PaymentMethodDto';
export type { OrderStatusDto as OrderStatus } from './bindings/OrderStatusDto';
