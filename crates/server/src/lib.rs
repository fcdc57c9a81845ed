//! The Stockroom sync hub: devices enrol, push the ops of their outboxes
//! (recorded exactly once, in one transaction per batch) and pull their
//! tenant's change feed in commit order. PostgreSQL or SQLite underneath.
//!
//! Start it with [`run`] on a listener you bound (port 0 in tests), or drive
//! [`router`] directly.
//!
//! Routes (all described in `src/openapi.json`, served at
//! `GET /v1/openapi.json`; every error is an `ApiError` with a stable code):
//!
//! | route | auth | what |
//! |---|---|---|
//! | `POST /v1/enrol` | none | username + password, or `enrolment_code` → device id, epoch, token |
//! | `POST /v1/enrol/codes` | owner/manager device | one-time code for a user of the tenant, perhaps with a location ([`http`]) |
//! | `PUT /v1/device/location` | device | the device's location assignment ([`scopes`]) |
//! | `POST /v1/sync/push` | device | a batch of outbox ops, one transaction |
//! | `GET /v1/sync/pull` | device | the feed after a cursor |
//! | `GET /v1/sync/live` | device | WebSocket of `LivePoke`s ([`live`]) |
//! | `PUT`/`GET /v1/blobs/{sha256}` | device | content-addressed blobs per tenant |
//! | `GET /healthz`, `/readyz`, `/metrics` ([`metrics`]), `/v1/openapi.json` | none | the hub about itself |
//!
//! Configuration ([`HubConfig`], flags or environment of the binary):
//! `STOCKROOM_DATABASE_URL`, `STOCKROOM_LISTEN`, `STOCKROOM_MAX_BODY_BYTES`,
//! `STOCKROOM_MAX_BLOB_BYTES` (default 8 MiB), `STOCKROOM_BOOTSTRAP_*`.

pub mod accounts;
pub mod cursor;
pub mod error;
pub mod http;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod policy;
mod push;
pub mod records;
pub mod scopes;
pub mod snapshot;
pub mod state;
pub mod store;
pub mod throttle;

pub use error::HubError;
pub use http::{router, run, AppError};
pub use push::hub_device_id;
pub use state::{AppState, Clock, HubConfig, ManualClock, SystemClock};
pub use store::{open, Backend, HubStore};
