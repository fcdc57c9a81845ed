//! Integration tests of the sync hub: one test binary, every test body run
//! on a real PostgreSQL (a fresh database per test) and on SQLite (a file in
//! a temporary folder). Shared set-up in `support`.

mod support;

mod enrol;
mod http;
mod pull;
mod push;
mod push_batch;
mod push_rules;
mod serve;
mod snapshot;
