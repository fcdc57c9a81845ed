//! The Stockroom sync hub: devices enrol, push the ops of their outboxes
//! (recorded exactly once, in one transaction per batch) and pull their
//! tenant's change feed in commit order. PostgreSQL or SQLite underneath.
//!
//! Start it with [`run`] on a listener you bound (port 0 in tests), or drive
//! [`router`] directly.

pub mod accounts;
pub mod cursor;
pub mod error;
pub mod http;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod policy;
mod push;
pub mod state;
pub mod store;

pub use error::HubError;
pub use http::{router, run, AppError};
pub use state::{AppState, Clock, HubConfig, ManualClock, SystemClock};
pub use store::{open, Backend, HubStore};
