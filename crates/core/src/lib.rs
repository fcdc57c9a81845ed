//! The Stockroom device core: the local SQLite store and every command a UI
//! calls (catalog, stock ledger, sales, orders, users), each writing its
//! rows and its outbox ops in one transaction. No Tauri, no HTTP server.

pub mod auth;
pub mod catalog;
pub mod customers;
pub mod demo;
pub mod error;
pub mod gtin;
pub mod ids;
pub mod ledger;
pub mod locations;
pub mod money;
pub mod outbox;
pub mod photos;
mod records;
pub mod reports;
pub mod sales;
pub mod settings;
pub mod stock;
pub mod store;
pub mod sync;

pub use auth::{NewUser, Permission, Role, Session, User};
pub use catalog::price_lists::{NewPriceList, PriceList, PriceListEntry, PriceListPatch};
pub use catalog::{
    Barcode, BarcodeHit, Category, ImportColumns, ImportIssue, ImportMapping, ImportPreset, ImportReport, NewProduct,
    Product, ProductListQuery, ProductPage, ProductPatch, ProductSearch, ProductSearchPage, RowIssue, TaxRateFormat,
};
pub use customers::{AccountStatementLine, Customer, CustomerPatch, CustomerPayment, NewCustomer};
pub use error::{CoreError, Result};
pub use ids::{Clock, IdSource, ManualClock, RandomIds, SeededIds, SystemClock};
pub use locations::{Location, LocationKind};
pub use money::{Currency, Money, Qty};
pub use photos::{PhotoSize, PhotoStatus, PhotoStore, PhotoVersions};
pub use reports::{LowStockLine, SalesTotal};
pub use sales::{
    Discount, OrderLineView, OrderStatus, OrderSummary, PaymentRequest, QuoteLine, Receipt, ReceiptLine,
    ReceiptPayment, ReturnLineRequest, ReturnReceipt, ReturnRequest, ReturnedLine, SaleLineRequest, SaleQuote,
    SaleRequest, SaleSummary, SalesOrder, Shift,
};
pub use stock::{
    CountLine, CountSession, CountStatus, Flag, LocationStock, ProductQty, ProductStock, StockMovement, Transfer,
    TransferLine,
};
pub use stockroom_protocol as protocol;
pub use stockroom_protocol::ops::{AccountEntryKind, PaymentMethod};
pub use store::{DeviceInfo, Durability, FlagCode, Store, StoreOptions};
