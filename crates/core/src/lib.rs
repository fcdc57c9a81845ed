//! The Stockroom device core: the local SQLite store and every command a UI
//! calls (catalog, stock ledger, sales, orders, users), each writing its
//! rows and its outbox ops in one transaction. No Tauri, no HTTP server.

pub mod auth;
pub mod catalog;
pub mod error;
pub mod gtin;
pub mod ids;
pub mod ledger;
pub mod locations;
pub mod money;
pub mod outbox;
mod records;
pub mod store;

pub use auth::{NewUser, Permission, Role, Session, User};
pub use catalog::{
    Barcode, BarcodeHit, Category, ImportColumns, ImportIssue, ImportMapping, ImportPreset, ImportReport, NewProduct,
    Product, ProductListQuery, ProductPage, ProductPatch, ProductSearch, RowIssue, TaxRateFormat,
};
pub use error::{CoreError, Result};
pub use ids::{Clock, IdSource, ManualClock, RandomIds, SeededIds, SystemClock};
pub use locations::{Location, LocationKind};
pub use money::{Currency, Money, Qty};
pub use stockroom_protocol as protocol;
pub use store::{DeviceInfo, Durability, FlagCode, Store, StoreOptions};
