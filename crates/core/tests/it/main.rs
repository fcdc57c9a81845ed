//! Integration tests of the device core on real SQLite files: one test
//! binary, a module per area, shared set-up in `support`.

mod support;

mod auth;
mod catalog;
mod import;
mod store;
