//! Integration tests of the app's command layer: the web twin over real
//! HTTP on port 0 with a real SQLite file, the twin binary as a process,
//! and a real hub.

mod enrol_codes;
mod hub;
mod personas;
mod photos;
mod scan;
mod support;
mod tls;
mod twin;
