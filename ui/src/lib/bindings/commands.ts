// Generated from crates/app (the `with_commands!` list); do not edit.
// Every command: `call(name, args)` resolves to `out` or throws an IpcError.
// Tauri: `invoke(name, { args })`; the web twin: POST /api/cmd/{name} with `args` as the body.
import type { AddBarcodeArgs } from "./AddBarcodeArgs";
import type { AppInfo } from "./AppInfo";
import type { ArchiveProductArgs } from "./ArchiveProductArgs";
import type { BarcodeDto } from "./BarcodeDto";
import type { CategoryDto } from "./CategoryDto";
import type { CodeHit } from "./CodeHit";
import type { CreateProductArgs } from "./CreateProductArgs";
import type { DismissInboxItemArgs } from "./DismissInboxItemArgs";
import type { EnrolArgs } from "./EnrolArgs";
import type { IdArgs } from "./IdArgs";
import type { InboxItemDto } from "./InboxItemDto";
import type { LookupCodeArgs } from "./LookupCodeArgs";
import type { NoArgs } from "./NoArgs";
import type { PriceListDto } from "./PriceListDto";
import type { ProductDetail } from "./ProductDetail";
import type { ProductDto } from "./ProductDto";
import type { ProductPageDto } from "./ProductPageDto";
import type { SearchProductsArgs } from "./SearchProductsArgs";
import type { SetLocaleArgs } from "./SetLocaleArgs";
import type { SetPriceArgs } from "./SetPriceArgs";
import type { SignInArgs } from "./SignInArgs";
import type { SignOutArgs } from "./SignOutArgs";
import type { StartStandaloneArgs } from "./StartStandaloneArgs";
import type { SyncStatusDto } from "./SyncStatusDto";
import type { UpdateProductArgs } from "./UpdateProductArgs";
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
  archive_product: { args: ArchiveProductArgs; out: null };
  add_barcode: { args: AddBarcodeArgs; out: BarcodeDto };
  list_price_lists: { args: NoArgs; out: Array<PriceListDto> };
  set_price: { args: SetPriceArgs; out: null };
  list_categories: { args: NoArgs; out: Array<CategoryDto> };
  sync_status: { args: NoArgs; out: SyncStatusDto };
  sync_now: { args: NoArgs; out: SyncStatusDto };
  inbox: { args: NoArgs; out: Array<InboxItemDto> };
  dismiss_inbox_item: { args: DismissInboxItemArgs; out: null };
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
  "archive_product",
  "add_barcode",
  "list_price_lists",
  "set_price",
  "list_categories",
  "sync_status",
  "sync_now",
  "inbox",
  "dismiss_inbox_item",
];

/** Events (Tauri events and the twin's SSE `event:` names) and their payloads. */
export type Events = {
  "sync-status": SyncStatusDto;
};
