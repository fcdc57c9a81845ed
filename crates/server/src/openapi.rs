//! The hub's API as an OpenAPI 3.1 document, written by hand in
//! `openapi.json` beside this file and served at `GET /v1/openapi.json`. A
//! test holds it to the router: every route documented, every documented
//! path routed.

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");
