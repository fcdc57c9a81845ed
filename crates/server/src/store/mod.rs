//! The hub's storage: one trait, [`HubStore`], with a PostgreSQL backend (for
//! real deployments) and an SQLite one (the embedded default for one shop).
//! Both keep the same tables and behave the same; the push algorithm itself
//! lives once in `crate::push`, over each backend's transaction.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use stockroom_protocol::sync::{BatchStop, FeedEntry, OpResult, RawOpEnvelope};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::error::HubError;
use crate::policy::Role;
use crate::scopes::Grant;
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

    /// Adds a hub user, not yet fed to devices ([`HubStore::feed_new_accounts`]);
    /// fails with `UsernameTaken` if the name is in use (usernames are
    /// unique across the hub, ignoring case).
    fn create_user<'a>(&'a self, user: &'a NewHubUser) -> StoreFuture<'a, ()>;

    /// Feeds every account made on the hub and not yet fed, as a `user.set`
    /// of its tenant's hub device (`crate::push::feed_new_accounts`), one
    /// transaction per tenant: every tenant's, or `only` that one's.
    /// Returns the tenants whose feed grew.
    fn feed_new_accounts(&self, only: Option<Uuid>, now_ms: u64) -> StoreFuture<'_, Vec<Uuid>>;

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

    /// Up to `limit` entries of the scopes `grant` covers in the tenant's
    /// feed after position `after`, in feed order, all of them at or before
    /// the head read first (so a scope that appears meanwhile is not
    /// skipped), with each scope's chain after its last entry on the page.
    fn pull(&self, tenant_id: Uuid, grant: Grant, after: u64, limit: u32) -> StoreFuture<'_, FeedPage>;

    /// The tenant's feed head now (0 for an empty feed).
    fn feed_head(&self, tenant_id: Uuid) -> StoreFuture<'_, u64>;

    /// Writes the tenant's snapshot for the scopes `grant` covers into
    /// `out`, all of it read at one consistent feed position (one read-only
    /// transaction): the header (with the chain of each scope there), every
    /// record of those scopes, then every feed entry of those scopes up to
    /// that position that is not a `fields.set`, in feed order.
    fn write_snapshot<'a>(&'a self, tenant_id: Uuid, grant: Grant, out: &'a mut SnapshotWriter) -> StoreFuture<'a, ()>;

    /// Gives the entries of tenants written before the feed had scopes
    /// their scopes and scope chains (once, at start; a no-op after).
    fn scope_old_entries(&self) -> StoreFuture<'_, ()>;

    /// Closes the connections.
    fn close(&self) -> StoreFuture<'_, ()>;

    // The live channel, blobs and enrolment codes.

    /// Reads the tenant's feed head and, on PostgreSQL, tells every hub
    /// instance on the database (`NOTIFY`); on SQLite it only reads it.
    fn publish_feed_head(&self, tenant_id: Uuid) -> StoreFuture<'_, u64>;

    /// Heads published by any instance on this database, as they arrive
    /// (PostgreSQL `LISTEN`, reconnecting by itself); `None` on SQLite, whose
    /// one process is the whole hub. Dropping the receiver stops listening.
    fn listen_feed_heads(&self) -> Option<mpsc::Receiver<HeadNews>>;

    /// Stores a blob unless the tenant has it already; `true` if it is new.
    fn put_blob<'a>(&'a self, blob: &'a NewBlob) -> StoreFuture<'a, bool>;

    /// The tenant's blob with this SHA-256, if it has one.
    fn blob(&self, tenant_id: Uuid, sha256: [u8; 32]) -> StoreFuture<'_, Option<Vec<u8>>>;

    /// Stores a new enrolment code (its hash).
    fn create_enrol_code<'a>(&'a self, code: &'a NewEnrolCode) -> StoreFuture<'a, ()>;

    /// Takes the code with this hash for an enrolment, atomically: at most
    /// one caller ever gets `Taken` for a code. A given `username` must name
    /// the code's user (else `Unknown`, and the code stays usable).
    fn take_enrol_code<'a>(&'a self, take: &'a TakeEnrolCode) -> StoreFuture<'a, TakenCode>;

    /// Assigns a device of `tenant_id` to a location (`None`: to none).
    /// Its grant changes with it: its next pull asks for a new snapshot.
    fn set_device_location(&self, tenant_id: Uuid, device_id: Uuid, location_id: Option<Uuid>) -> StoreFuture<'_, ()>;
}

/// News from the database about feed heads (see `crate::live`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadNews {
    /// Some instance published this head for the tenant.
    Head { tenant_id: Uuid, head: u64 },
    /// Listening (again, after a lost connection): announcements may have
    /// been missed, so heads should be read afresh.
    Listening,
}

/// A blob whose hash the caller has checked.
#[derive(Clone, Debug)]
pub struct NewBlob {
    pub tenant_id: Uuid,
    pub sha256: [u8; 32],
    pub content: Vec<u8>,
    pub now_ms: u64,
}

/// An enrolment code to store; only the code's SHA-256 is kept.
#[derive(Clone, Debug)]
pub struct NewEnrolCode {
    pub code_hash: [u8; 32],
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub created_by: Uuid,
    pub created_device: Uuid,
    pub created_ms: u64,
    pub expires_ms: u64,
    /// The location the enrolled device is assigned to.
    pub location_id: Option<Uuid>,
}

/// An enrolment asking to use a code.
#[derive(Clone, Debug)]
pub struct TakeEnrolCode {
    pub code_hash: [u8; 32],
    /// The username the device gave, if any.
    pub username: Option<String>,
    pub device_id: Uuid,
    pub now_ms: u64,
}

/// What became of a code at enrolment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TakenCode {
    /// Valid, now used: the device enrols as this user.
    Taken {
        tenant_id: Uuid,
        user_id: Uuid,
        /// The user's username as the hub holds it.
        username: String,
        role: Role,
        /// The code's location assignment for the device.
        location_id: Option<Uuid>,
    },
    /// No such code (or not the given username's).
    Unknown,
    Used,
    Expired,
    /// The code's user was deactivated; the code is left unused.
    UserInactive,
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
    /// The enrolling user's role now (read at every request).
    pub enrolled_by_role: Role,
    /// The enrolling user is active: not switched off by a manager (read at
    /// every request; see `http::extract::AuthDevice`).
    pub user_active: bool,
    /// The location the device is assigned to, if any.
    pub location_id: Option<Uuid>,
    /// How many times a customer was moved to or from the enrolling user
    /// (see [`crate::scopes::CustomerGrant::Own`]).
    pub customers_version: u64,
}

impl DeviceAuth {
    /// The feed scopes the device sees: those of its enrolling user's role,
    /// with its location assignment's stock ([`Grant::for_device`]) and, for
    /// a salesperson, the count of their customers' moves.
    pub fn grant(&self) -> Grant {
        Grant::for_device(self.enrolled_by_role, self.enrolled_by, self.location_id)
            .with_customers_version(self.customers_version)
    }
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
    /// An applied op belongs to no scope of the pushing device (the
    /// response's `outside_scopes`).
    pub outside_scopes: bool,
}

/// One page of the feed of a device's scopes.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedPage {
    /// Each with the device's scopes it belongs to.
    pub entries: Vec<FeedEntry<RawOpEnvelope>>,
    /// Each scope named on the page: its chain after its last entry here.
    pub scope_chains: BTreeMap<String, [u8; 32]>,
    /// Whether more entries of the scopes follow the page (up to `head`).
    pub more: bool,
    /// Where the next page starts: the last entry's position when `more`,
    /// else `head` (nothing of the scopes lies between).
    pub next: u64,
    /// The feed's head, read before the entries.
    pub head: u64,
}

/// The positions a page takes, from up to `limit` + 1 `(scope, position,
/// chain)` rows of each scope read after the cursor: the first `limit`
/// positions of all scopes together, each with its scopes, and each scope's
/// chain at its last position there; and whether more follow.
pub(crate) struct PagePlan {
    pub positions: Vec<(u64, Vec<String>)>,
    pub scope_chains: BTreeMap<String, [u8; 32]>,
    pub more: bool,
}

impl PagePlan {
    pub(crate) fn new(rows: Vec<(String, u64, [u8; 32])>, limit: u32) -> PagePlan {
        let mut by_position: BTreeMap<u64, Vec<(String, [u8; 32])>> = BTreeMap::new();
        for (scope, position, chain) in rows {
            by_position.entry(position).or_default().push((scope, chain));
        }
        let more = by_position.len() > limit as usize;
        let mut positions = Vec::with_capacity(by_position.len().min(limit as usize));
        let mut scope_chains = BTreeMap::new();
        for (position, scopes) in by_position.into_iter().take(limit as usize) {
            let mut names = Vec::with_capacity(scopes.len());
            for (scope, chain) in scopes {
                scope_chains.insert(scope.clone(), chain);
                names.push(scope);
            }
            names.sort();
            positions.push((position, names));
        }
        PagePlan {
            positions,
            scope_chains,
            more,
        }
    }

    /// The page's next cursor position given the head read first.
    pub(crate) fn next(&self, after: u64, head: u64) -> u64 {
        match (self.more, self.positions.last()) {
            (true, Some((position, _))) => *position,
            _ => head.max(after),
        }
    }
}

/// The SQL types every backend maps its rows through.
pub(crate) mod rows {
    use stockroom_protocol::sync::RejectCode;

    /// A stored reject code back as the enum (a code this build does not
    /// know reads as `Unrecognised`).
    pub fn reject_code(stored: Option<String>) -> Option<RejectCode> {
        stored.map(|code| RejectCode::parse(&code).unwrap_or(RejectCode::Unrecognised))
    }

    /// Makes or updates the account of an applied `user.set` (never one of
    /// another tenant): `$1` id, `$2` tenant, `$3` username, `$4` display
    /// name, `$5` role, `$6` active, `$7` now. A new account has no
    /// password (`''` matches none): it enrols with codes only.
    pub const SAVE_ACCOUNT: &str =
        "INSERT INTO users (id, tenant_id, username, display_name, role, password_hash, active, created_ms)
         VALUES ($1, $2, $3, $4, $5, '', $6, $7)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name,
                                        role = excluded.role, active = excluded.active, fed = true
         WHERE users.tenant_id = excluded.tenant_id";

    /// The display name an account made from a `user.set` gets: its own,
    /// or its username when it has none.
    pub fn account_display_name(user: &stockroom_protocol::ops::UserSet) -> &str {
        match user.display_name.trim() {
            "" => user.username.trim(),
            name => name,
        }
    }

    pub fn to_i64(value: u64, what: &str) -> Result<i64, crate::HubError> {
        i64::try_from(value).map_err(|_| crate::HubError::Invalid {
            field: "number",
            problem: format!("{what} {value} is out of range"),
        })
    }
}
