//! The Stockroom app's command layer, shared by the Tauri shell and the web
//! twin: [`AppState`], one async function per command, the IPC DTOs and
//! [`IpcError`], and [`dispatch`], the one table of commands by name. No
//! Tauri here: the shell wraps these functions in a few lines each.

pub mod commands;
pub mod dto;
pub mod error;
pub mod state;
#[cfg(feature = "twin")]
pub mod twin;

pub mod bindings;

pub use error::{ErrorCode, IpcError};
pub use state::{AppState, TokenVault, DATABASE_FILE, PHOTOS_FOLDER};

/// Calls `$callback!` with every command as `name(Args) -> Out;`: the one
/// list of commands, read by [`dispatch`], the TypeScript bindings and the
/// Tauri shell's wrappers.
#[macro_export]
macro_rules! with_commands {
    ($callback:ident) => {
        $callback! {
            app_info(NoArgs) -> AppInfo;
            start_standalone(StartStandaloneArgs) -> AppInfo;
            enrol(EnrolArgs) -> AppInfo;
            list_users(NoArgs) -> Vec<UserDto>;
            sign_in(SignInArgs) -> UserDto;
            sign_out(SignOutArgs) -> ();
            set_locale(SetLocaleArgs) -> ();
            search_products(SearchProductsArgs) -> ProductPageDto;
            get_product(IdArgs) -> ProductDetail;
            lookup_code(LookupCodeArgs) -> CodeHit;
            create_product(CreateProductArgs) -> ProductDto;
            update_product(UpdateProductArgs) -> ProductDto;
            remove_product_photo(IdArgs) -> ProductDto;
            archive_product(ArchiveProductArgs) -> ();
            add_barcode(AddBarcodeArgs) -> BarcodeDto;
            list_price_lists(NoArgs) -> Vec<PriceListDto>;
            set_price(SetPriceArgs) -> ();
            list_categories(NoArgs) -> Vec<CategoryDto>;
            list_customers(ListCustomersArgs) -> Vec<CustomerDto>;
            assign_customer(AssignCustomerArgs) -> CustomerDto;
            customer_catalog(CustomerCatalogArgs) -> CustomerCatalogPage;
            submit_order(SubmitOrderArgs) -> OrderDto;
            list_orders(ListOrdersArgs) -> Vec<OrderSummaryDto>;
            record_payment(RecordPaymentArgs) -> PaymentRecorded;
            list_locations(NoArgs) -> Vec<LocationDto>;
            create_location(CreateLocationArgs) -> LocationDto;
            receive(ReceiveArgs) -> Received;
            start_count(LocationArgs) -> CountView;
            count_line(CountLineArgs) -> CountView;
            count_preview(CountSessionArgs) -> CountView;
            commit_count(CountSessionArgs) -> CountView;
            transfer_out(TransferOutArgs) -> TransferDto;
            list_transfers(ListTransfersArgs) -> Vec<TransferDto>;
            receive_transfer(ReceiveTransferArgs) -> TransferDto;
            stock_by_location(LocationArgs) -> Vec<ProductStockDto>;
            product_movements(ProductMovementsArgs) -> Vec<MovementDto>;
            quote_sale(SaleArgs) -> QuoteDto;
            record_sale(SaleArgs) -> ReceiptDto;
            get_receipt(GetReceiptArgs) -> ReceiptDto;
            record_return(RecordReturnArgs) -> ReturnReceiptDto;
            open_shift(OpenShiftArgs) -> ShiftDto;
            close_shift(CloseShiftArgs) -> ShiftDto;
            current_shift(NoArgs) -> Option<ShiftDto>;
            create_user(CreateUserArgs) -> UserDto;
            update_user(UpdateUserArgs) -> UserDto;
            dashboard(DashboardArgs) -> DashboardDto;
            sync_status(NoArgs) -> SyncStatusDto;
            sync_now(NoArgs) -> SyncStatusDto;
            inbox(NoArgs) -> Vec<InboxItemDto>;
            dismiss_inbox_item(DismissInboxItemArgs) -> ();
            set_device_location(SetDeviceLocationArgs) -> AppInfo;
            make_enrol_code(MakeEnrolCodeArgs) -> EnrolCodeDto;
        }
    };
}

/// Every type a command takes or returns, in scope for the macros.
pub mod types {
    pub use crate::commands::*;
    pub use crate::dto::*;
}

macro_rules! dispatch_table {
    ($($name:ident($args:ty) -> $out:ty;)*) => {
        /// Every command name, in the order of [`with_commands`].
        pub const COMMAND_NAMES: &[&str] = &[$(stringify!($name)),*];

        /// Runs command `name` with its JSON arguments (`{}` or `null` for
        /// none) and returns its JSON result.
        pub async fn dispatch(
            state: &AppState,
            name: &str,
            args: serde_json::Value,
        ) -> Result<serde_json::Value, IpcError> {
            #[allow(unused_imports)]
            use crate::types::*;
            match name {
                $(stringify!($name) => {
                    let args: $args = parse_args(args)?;
                    let out: $out = commands::$name(state, args).await?;
                    to_json(&out)
                })*
                _ => Err(IpcError::new(ErrorCode::UnknownCommand, format!("no command named {name:?}"))),
            }
        }
    };
}

with_commands!(dispatch_table);

/// The arguments of a command, or `invalid_input` saying what is wrong.
fn parse_args<T: serde::de::DeserializeOwned>(args: serde_json::Value) -> Result<T, IpcError> {
    let args = match args {
        serde_json::Value::Null => serde_json::Value::Object(Default::default()),
        other => other,
    };
    serde_json::from_value(args).map_err(|err| IpcError::invalid(format!("arguments: {err}")))
}

fn to_json<T: serde::Serialize>(out: &T) -> Result<serde_json::Value, IpcError> {
    serde_json::to_value(out).map_err(|err| IpcError::internal("serialising a result", &err))
}
