//! Integration tests of the device core on real SQLite files: one test
//! binary, a module per area, shared set-up in `support`.

mod support;

mod auth;
mod catalog;
mod customers;
mod import;
mod orders;
mod photos;
mod price_lists;
mod returns;
mod sales;
mod shifts;
mod shop;
mod stock;
mod store;
mod sync;
