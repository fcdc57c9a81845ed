//! The hub's storage: one trait, [`HubStore`], with a PostgreSQL backend (for
//! real deployments) and an SQLite one (the embedded default for one shop).
//! Both keep the same tables and behave the same; the push algorithm itself
//! lives once in `crate::push`, over each backend's transaction.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use stockroom_protocol::sync::{BatchStop, FeedEntry, OpResult, RawOpEnvelope};
use uuid::Uuid;

use crate::error::HubError;
use crate::policy::Role;
use crate::snapshot::SnapshotWriter;

mod postgres;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// What every store method returns: a boxed future, so the store can sit
/// behind `Arc<dyn HubStore>` in the router's state.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, HubError>> + Send + 'a>>;

/// A hub database. Every method is one short transaction or query.
pub trait HubStore: Send + Sync + 'static {
    /// Which backend this is, for logs.
    fn backend(&self) -> Backend;

    /// Whether the database answers (`/readyz`).
    fn ping(&self) -> StoreFuture<'_, ()>;

    /// The id of the tenant named `name`, creating it (with `new_id`) if
    /// there is none.
    fn ensure_tenant<'a>(&'a self, name: &'a str, new_id: Uuid, now_ms: u64) -> StoreFuture<'a, Uuid>;

    /// Adds a hub user; fails with `UsernameTaken` if the name is in use
    /// (usernames are unique across the hub, ignoring case).
    fn create_user<'a>(&'a self, user: &'a NewHubUser) -> StoreFuture<'a, ()>;

    /// The user signing in with `username` (any case), if there is one.
    fn user_for_login<'a>(&'a self, username: &'a str) -> StoreFuture<'a, Option<LoginUser>>;

    /// Registers a device or gives a known one its next epoch, storing the
    /// new session token's hash; the previous epoch's token stops working.
    fn enrol_device<'a>(&'a self, enrolment: &'a Enrolment) -> StoreFuture<'a, u32>;

    /// The device holding the session token with this SHA-256, if the token
    /// belongs to the device's current epoch.
    fn authenticate(&self, token_hash: [u8; 32]) -> StoreFuture<'_, Option<DeviceAuth>>;

    /// Records a batch of ops in ONE transaction (see `crate::push`).
    fn push<'a>(
        &'a self,
        auth: &'a DeviceAuth,
        ops: &'a [RawOpEnvelope],
        rules: PushRules,
    ) -> StoreFuture<'a, PushReport>;

    /// Up to `limit` entries of the tenant's feed after position `after`.
    fn pull(&self, tenant_id: Uuid, after: u64, limit: u32) -> StoreFuture<'_, FeedPage>;

    /// The tenant's feed head now (0 for an empty feed).
    fn feed_head(&self, tenant_id: Uuid) -> StoreFuture<'_, u64>;

    /// Writes the tenant's snapshot into `out`, all of it read at one
    /// consistent feed position (one read-only transaction): the header,
    /// every record, then every feed entry up to that position that is not
    /// a `fields.set`, in feed order.
    fn write_snapshot<'a>(&'a self, tenant_id: Uuid, out: &'a mut SnapshotWriter) -> StoreFuture<'a, ()>;

    /// Closes the connections.
    fn close(&self) -> StoreFuture<'_, ()>;
}

/// The two backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Opens the hub database at `url` (`postgres://...`, or an SQLite file path
/// or `sqlite:` URL, created if missing) and runs its migrations.
pub async fn open(url: &str) -> Result<Arc<dyn HubStore>, HubError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::open(url).await?))
    } else if url.contains("://") && !url.starts_with("sqlite://") {
        Err(HubError::UnsupportedDatabaseUrl { url: url.to_string() })
    } else {
        Ok(Arc::new(SqliteStore::open(url).await?))
    }
}

/// A user to add to the hub. The password is already hashed.
#[derive(Clone, Debug)]
pub struct NewHubUser {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_ms: u64,
}

/// What signing in needs to know about a user.
#[derive(Clone, Debug)]
pub struct LoginUser {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub role: Role,
    pub active: bool,
    pub password_hash: String,
}

/// A device being enrolled by a signed-in user.
#[derive(Clone, Debug)]
pub struct Enrolment {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub device_id: Uuid,
    pub device_name: Option<String>,
    pub token_hash: [u8; 32],
    pub now_ms: u64,
}

/// An authenticated device: who it is, and who vouched for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAuth {
    pub tenant_id: Uuid,
    pub device_id: Uuid,
    pub epoch: u32,
    pub enrolled_by: Uuid,
    pub enrolled_by_role: Role,
}

/// The hub's settings a push runs under.
#[derive(Clone, Copy, Debug)]
pub struct PushRules {
    pub now_ms: u64,
    pub max_future_ms: u64,
}

/// What a push did, for the response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushReport {
    pub acked_through_seq: u64,
    pub results: Vec<OpResult>,
    pub stopped: Option<BatchStop>,
}

/// One page of a tenant's feed, and the feed's head when it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedPage {
    pub entries: Vec<FeedEntry<RawOpEnvelope>>,
    /// The feed's hash chain after each entry.
    pub chains: Vec<[u8; 32]>,
    /// The chain at the page's start (`after`): always known at the feed's
    /// start, else read only when the page is empty.
    pub start_chain: Option<[u8; 32]>,
    pub head: u64,
}

/// The SQL types every backend maps its rows through.
pub(crate) mod rows {
    use stockroom_protocol::sync::RejectCode;

    /// A stored reject code back as the enum (a code this build does not
    /// know reads as `Unrecognised`).
    pub fn reject_code(stored: Option<String>) -> Option<RejectCode> {
        stored.map(|code| RejectCode::parse(&code).unwrap_or(RejectCode::Unrecognised))
    }

    pub fn to_i64(value: u64, what: &str) -> Result<i64, crate::HubError> {
        i64::try_from(value).map_err(|_| crate::HubError::Invalid {
            field: "number",
            problem: format!("{what} {value} is out of range"),
        })
    }
}
