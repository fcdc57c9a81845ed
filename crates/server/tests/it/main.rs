//! Integration tests of the sync hub: one test binary, every test body run
//! on a real PostgreSQL (a fresh database per test) and on SQLite (a file in
//! a temporary folder). Shared set-up in `support`.

mod support;

mod app_users;
mod assign;
mod blobs;
mod codes;
mod customer_scopes;
mod enrol;
mod enrol_codes;
mod http;
mod hub_accounts;
mod live;
mod observe;
mod orders;
mod pull;
mod push;
mod push_batch;
mod push_rules;
mod scopes;
mod serve;
mod snapshot;
mod switched_off;
