// Generated from crates/app (the `with_commands!` list); do not edit.
// Every command: `call(name, args)` resolves to `out` or throws an IpcError.
// Tauri: `invoke(name, { args })`; the web twin: POST /api/cmd/{name} with `args` as the body.
import type { AddBarcodeArgs } from "./AddBarcodeArgs";
import type { AppInfo } from "./AppInfo";
import type { ArchiveProductArgs } from "./ArchiveProductArgs";
import type { AssignCustomerArgs } from "./AssignCustomerArgs";
import type { BarcodeDto } from "./BarcodeDto";
import type { CategoryDto } from "./CategoryDto";
import type { CloseShiftArgs } from "./CloseShiftArgs";
import type { CodeHit } from "./CodeHit";
import type { CountLineArgs } from "./CountLineArgs";
import type { CountSessionArgs } from "./CountSessionArgs";
import type { CountView } from "./CountView";
import type { CreateLocationArgs } from "./CreateLocationArgs";
import type { CreateProductArgs } from "./CreateProductArgs";
import type { CreateUserArgs } from "./CreateUserArgs";
import type { CustomerCatalogArgs } from "./CustomerCatalogArgs";
import type { CustomerCatalogPage } from "./CustomerCatalogPage";
import type { CustomerDto } from "./CustomerDto";
import type { DashboardArgs } from "./DashboardArgs";
import type { DashboardDto } from "./DashboardDto";
import type { DismissInboxItemArgs } from "./DismissInboxItemArgs";
import type { EnrolArgs } from "./EnrolArgs";
import type { EnrolCodeDto } from "./EnrolCodeDto";
import type { GetReceiptArgs } from "./GetReceiptArgs";
import type { IdArgs } from "./IdArgs";
import type { InboxItemDto } from "./InboxItemDto";
import type { ListCustomersArgs } from "./ListCustomersArgs";
import type { ListOrdersArgs } from "./ListOrdersArgs";
import type { ListTransfersArgs } from "./ListTransfersArgs";
import type { LocationArgs } from "./LocationArgs";
import type { LocationDto } from "./LocationDto";
import type { LookupCodeArgs } from "./LookupCodeArgs";
import type { MakeEnrolCodeArgs } from "./MakeEnrolCodeArgs";
import type { MovementDto } from "./MovementDto";
import type { NoArgs } from "./NoArgs";
import type { OpenShiftArgs } from "./OpenShiftArgs";
import type { OrderDto } from "./OrderDto";
import type { OrderSummaryDto } from "./OrderSummaryDto";
import type { PaymentRecorded } from "./PaymentRecorded";
import type { PriceListDto } from "./PriceListDto";
import type { ProductDetail } from "./ProductDetail";
import type { ProductDto } from "./ProductDto";
import type { ProductMovementsArgs } from "./ProductMovementsArgs";
import type { ProductPageDto } from "./ProductPageDto";
import type { ProductStockDto } from "./ProductStockDto";
import type { QuoteDto } from "./QuoteDto";
import type { ReceiptDto } from "./ReceiptDto";
import type { ReceiveArgs } from "./ReceiveArgs";
import type { ReceiveTransferArgs } from "./ReceiveTransferArgs";
import type { Received } from "./Received";
import type { RecordPaymentArgs } from "./RecordPaymentArgs";
import type { RecordReturnArgs } from "./RecordReturnArgs";
import type { ReturnReceiptDto } from "./ReturnReceiptDto";
import type { SaleArgs } from "./SaleArgs";
import type { ScanOut } from "./ScanOut";
import type { SearchProductsArgs } from "./SearchProductsArgs";
import type { SetDeviceLocationArgs } from "./SetDeviceLocationArgs";
import type { SetLocaleArgs } from "./SetLocaleArgs";
import type { SetPriceArgs } from "./SetPriceArgs";
import type { ShiftDto } from "./ShiftDto";
import type { SignInArgs } from "./SignInArgs";
import type { SignOutArgs } from "./SignOutArgs";
import type { StartStandaloneArgs } from "./StartStandaloneArgs";
import type { SubmitOrderArgs } from "./SubmitOrderArgs";
import type { SyncStatusDto } from "./SyncStatusDto";
import type { TransferDto } from "./TransferDto";
import type { TransferOutArgs } from "./TransferOutArgs";
import type { UpdateProductArgs } from "./UpdateProductArgs";
import type { UpdateUserArgs } from "./UpdateUserArgs";
import type { UserDto } from "./UserDto";

export type Commands = {
  app_info: { args: NoArgs; out: AppInfo };
  start_standalone: { args: StartStandaloneArgs; out: AppInfo };
  enrol: { args: EnrolArgs; out: AppInfo };
  list_users: { args: NoArgs; out: Array<UserDto> };
  sign_in: { args: SignInArgs; out: UserDto };
  sign_out: { args: SignOutArgs; out: null };
  set_locale: { args: SetLocaleArgs; out: null };
  search_products: { args: SearchProductsArgs; out: ProductPageDto };
  get_product: { args: IdArgs; out: ProductDetail };
  lookup_code: { args: LookupCodeArgs; out: CodeHit };
  create_product: { args: CreateProductArgs; out: ProductDto };
  update_product: { args: UpdateProductArgs; out: ProductDto };
  remove_product_photo: { args: IdArgs; out: ProductDto };
  archive_product: { args: ArchiveProductArgs; out: null };
  add_barcode: { args: AddBarcodeArgs; out: BarcodeDto };
  list_price_lists: { args: NoArgs; out: Array<PriceListDto> };
  set_price: { args: SetPriceArgs; out: null };
  list_categories: { args: NoArgs; out: Array<CategoryDto> };
  list_customers: { args: ListCustomersArgs; out: Array<CustomerDto> };
  assign_customer: { args: AssignCustomerArgs; out: CustomerDto };
  customer_catalog: { args: CustomerCatalogArgs; out: CustomerCatalogPage };
  submit_order: { args: SubmitOrderArgs; out: OrderDto };
  list_orders: { args: ListOrdersArgs; out: Array<OrderSummaryDto> };
  record_payment: { args: RecordPaymentArgs; out: PaymentRecorded };
  list_locations: { args: NoArgs; out: Array<LocationDto> };
  create_location: { args: CreateLocationArgs; out: LocationDto };
  receive: { args: ReceiveArgs; out: Received };
  start_count: { args: LocationArgs; out: CountView };
  count_line: { args: CountLineArgs; out: CountView };
  count_preview: { args: CountSessionArgs; out: CountView };
  commit_count: { args: CountSessionArgs; out: CountView };
  transfer_out: { args: TransferOutArgs; out: TransferDto };
  list_transfers: { args: ListTransfersArgs; out: Array<TransferDto> };
  receive_transfer: { args: ReceiveTransferArgs; out: TransferDto };
  stock_by_location: { args: LocationArgs; out: Array<ProductStockDto> };
  product_movements: { args: ProductMovementsArgs; out: Array<MovementDto> };
  quote_sale: { args: SaleArgs; out: QuoteDto };
  record_sale: { args: SaleArgs; out: ReceiptDto };
  get_receipt: { args: GetReceiptArgs; out: ReceiptDto };
  record_return: { args: RecordReturnArgs; out: ReturnReceiptDto };
  open_shift: { args: OpenShiftArgs; out: ShiftDto };
  close_shift: { args: CloseShiftArgs; out: ShiftDto };
  current_shift: { args: NoArgs; out: ShiftDto | null };
  create_user: { args: CreateUserArgs; out: UserDto };
  update_user: { args: UpdateUserArgs; out: UserDto };
  dashboard: { args: DashboardArgs; out: DashboardDto };
  sync_status: { args: NoArgs; out: SyncStatusDto };
  sync_now: { args: NoArgs; out: SyncStatusDto };
  inbox: { args: NoArgs; out: Array<InboxItemDto> };
  dismiss_inbox_item: { args: DismissInboxItemArgs; out: null };
  set_device_location: { args: SetDeviceLocationArgs; out: AppInfo };
  make_enrol_code: { args: MakeEnrolCodeArgs; out: EnrolCodeDto };
};

export type CommandName = keyof Commands;

export const COMMAND_NAMES: CommandName[] = [
  "app_info",
  "start_standalone",
  "enrol",
  "list_users",
  "sign_in",
  "sign_out",
  "set_locale",
  "search_products",
  "get_product",
  "lookup_code",
  "create_product",
  "update_product",
  "remove_product_photo",
  "archive_product",
  "add_barcode",
  "list_price_lists",
  "set_price",
  "list_categories",
  "list_customers",
  "assign_customer",
  "customer_catalog",
  "submit_order",
  "list_orders",
  "record_payment",
  "list_locations",
  "create_location",
  "receive",
  "start_count",
  "count_line",
  "count_preview",
  "commit_count",
  "transfer_out",
  "list_transfers",
  "receive_transfer",
  "stock_by_location",
  "product_movements",
  "quote_sale",
  "record_sale",
  "get_receipt",
  "record_return",
  "open_shift",
  "close_shift",
  "current_shift",
  "create_user",
  "update_user",
  "dashboard",
  "sync_status",
  "sync_now",
  "inbox",
  "dismiss_inbox_item",
  "set_device_location",
  "make_enrol_code",
];

/** Commands that take raw bytes, not JSON args (`scanFrame`, `decodeImage`, the photo commands). */
export type BinaryCommands = {
  scan_frame: { out: ScanOut };
  decode_image: { out: ScanOut };
  set_product_photo: { out: ProductDto };
  product_photo: { out: ArrayBuffer };
};

/** Events (Tauri events and the twin's SSE `event:` names) and their payloads. */
export type Events = {
  "sync-status": SyncStatusDto;
};
