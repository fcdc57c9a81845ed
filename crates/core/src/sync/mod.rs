//! The device's sync planner: what to do next (push, pull, wait, idle or
//! stop) decided from a [`SyncState`], the time and a [`SyncConfig`], with no
//! IO, no async and no clock reads. The executor (not here) performs each
//! [`Step`] against the hub and feeds the answer back through
//! [`on_push_result`], [`on_pull_result`] or [`on_failure`].
//!
//! Invariants the tests prove: the acknowledged sequence only moves forward
//! and never past what was sent; backoff grows with failures and is capped;
//! from any state, a hub that answers well leads to pushes from `acked + 1`
//! until the outbox is empty, then [`Step::Idle`].

mod engine;
mod facts;
mod fields;
mod http;
mod inbox;
pub mod live;
mod local;
mod plan;
mod rebuild;
mod replica;
pub mod secrets;
mod snapshot;
#[cfg(test)]
mod tests;

pub use engine::{failure_from_answer, run, run_step, HubLink, LinkError, Signal, SyncStatus};
pub use http::{HttpHub, HUB_CA_FILE_ENV, REQUEST_TIMEOUT};
pub use inbox::{InboxItem, InboxSource};
pub(crate) use local::notice;
pub use local::{AppliedPage, SyncNotice, SyncPosition};
pub use snapshot::LoadedSnapshot;

pub use plan::{
    backoff_ms, backoff_until, next_step, on_failure, on_local_write, on_poke, on_pull_result, on_push_result,
    on_snapshot, unblock,
};

/// Everything the planner knows. The executor stores it (or rebuilds it at
/// start from the outbox and the saved cursor) and replaces it with what
/// each `on_*` function returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncState {
    /// Every op up to this sequence number is acknowledged by the hub
    /// (0: none). Only moves forward.
    pub acked_through_seq: u64,
    /// The sequence number the next local op will take (the store's
    /// `next_seq`): the outbox holds `acked_through_seq + 1 ..
    /// next_local_seq`.
    pub next_local_seq: u64,
    /// Where the next pull starts; `None` is the start of the feed.
    pub pull_cursor: Option<String>,
    /// The last pull said more changes follow: pull again at once.
    pub pull_more: bool,
    /// A poke (or the start of the app) says the hub may have newer changes.
    pub hub_has_newer: bool,
    /// Failed attempts in a row; 0 after any answer that made progress.
    pub failures: u32,
    /// When the last attempt was answered or failed, in ms.
    pub last_attempt_ms: Option<u64>,
    /// Why syncing stopped until someone acts (update, enrol, sign in).
    pub blocked: Option<BlockReason>,
    /// The last snapshot was merged into ops waiting in the outbox, so rows
    /// of a scope the device lost may have stayed: once the outbox is
    /// empty, take another, which rebuilds.
    pub rebuild_due: bool,
    /// A snapshot was loaded and no pull from its cursor has been answered
    /// yet. A hub that asks for yet another snapshot then counts as a
    /// failure, so a hub stuck asking is asked again after a growing wait,
    /// not in a loop.
    pub snapshot_unconfirmed: bool,
}

impl SyncState {
    /// A state at app start: the outbox as stored, the saved cursor, and a
    /// pull due (the hub may have moved while the app was closed).
    pub fn new(acked_through_seq: u64, next_local_seq: u64, pull_cursor: Option<String>) -> SyncState {
        SyncState {
            acked_through_seq,
            next_local_seq: next_local_seq.max(acked_through_seq.saturating_add(1)),
            pull_cursor,
            pull_more: false,
            hub_has_newer: true,
            failures: 0,
            last_attempt_ms: None,
            blocked: None,
            rebuild_due: false,
            snapshot_unconfirmed: false,
        }
    }

    /// The highest sequence number in the outbox (0 if none was ever written).
    pub fn last_local_seq(&self) -> u64 {
        self.next_local_seq.saturating_sub(1)
    }

    /// Ops written but not yet acknowledged.
    pub fn pending_ops(&self) -> u64 {
        self.last_local_seq().saturating_sub(self.acked_through_seq)
    }
}

/// Tuning. Times in ms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncConfig {
    /// Most ops in one push (the hub refuses more than its own limit, 1000
    /// by default). At least 1.
    pub batch_size: u64,
    /// Page size asked of a pull.
    pub pull_limit: u32,
    /// Wait after the first failure; doubles with each further one.
    pub backoff_base_ms: u64,
    /// Longest wait between retries.
    pub backoff_cap_ms: u64,
    /// Spreads the retries of a fleet: derive it from the device id. The
    /// jitter comes from this seed, never from randomness.
    pub jitter_seed: u64,
    /// A device that never pulled starts from a snapshot instead of
    /// replaying the whole feed.
    pub snapshot_first: bool,
    /// How often an idle engine pulls without a poke, in case the live
    /// channel is down.
    pub idle_pull_ms: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            batch_size: 200,
            pull_limit: 500,
            backoff_base_ms: 1_000,
            backoff_cap_ms: 5 * 60 * 1_000,
            jitter_seed: 0,
            snapshot_first: true,
            idle_pull_ms: 30_000,
        }
    }
}

/// What the executor should do now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Push the outbox ops `from_seq ..= to_seq`.
    Push { from_seq: u64, to_seq: u64 },
    /// Pull the feed after `since` (`None`: from the start).
    Pull { since: Option<String>, limit: u32 },
    /// Nothing before `until_ms` (a retry's backoff); a local write does not
    /// cut it short.
    Wait { until_ms: u64 },
    /// Nothing to do until a local write, a poke or a timer of the executor.
    Idle,
    /// Stopped until someone acts; the outbox is kept.
    Blocked { reason: BlockReason },
}

/// Why the device stopped syncing. The outbox is always kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockReason {
    /// The hub needs a newer app (protocol, schema or op version).
    AppTooOld,
    /// The app speaks a protocol or op version newer than the hub's.
    HubTooOld,
    /// The hub holds another op at a sequence number this device sent: the
    /// outbox is not the one the hub knows. Surface it; never resend blindly.
    DivergentOutbox,
    /// The device was enrolled again elsewhere: enrol again.
    StaleEpoch,
    /// The session token, device or tenant was refused: sign in again.
    SignedOut,
    /// The user who enrolled this device was switched off by a manager: the
    /// hub gives it nothing more until it is enrolled again by an active
    /// user. What waits in the outbox stays and goes up after that.
    UserInactive,
    /// The hub expects `expected_seq`, an op this device already dropped as
    /// acknowledged (the hub lost data, e.g. restored from a backup).
    HubMissingOps { expected_seq: u64 },
    /// The pull cursor was refused (ahead of the hub's feed, not its own, or
    /// made under scopes the device no longer has): load a snapshot, then
    /// [`on_snapshot`].
    SnapshotNeeded,
}

/// How an attempt failed without an answer the planner can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// No answer: connection refused or reset, timeout, DNS.
    Network,
    /// The hub answered 5xx, 429, or anything else worth retrying.
    Server { status: u16 },
    /// The hub answered 4xx with this code.
    Refused(Refusal),
}

/// A 4xx answer's code, as the planner needs it (the hub's `ApiError.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    AppTooOld,
    HubTooOld,
    DivergentOutbox,
    StaleEpoch,
    Unauthenticated,
    /// The user who enrolled this device was switched off.
    UserInactive,
    DeviceMismatch,
    WrongTenant,
    CursorAhead,
    BadCursor,
    /// The device's scopes changed (its user's role did): a new snapshot
    /// for the new scopes.
    ScopesChanged,
    /// A photo larger than the hub takes (`blob_too_large`): that photo
    /// stays on this device, the others still go.
    BlobTooLarge,
    /// Any other code (a bad request is a bug of this build or a newer hub's
    /// code): retried with backoff, never blocking.
    Unrecognised,
}

impl Refusal {
    /// Reads a hub error code; an unknown one is [`Refusal::Unrecognised`].
    pub fn from_code(code: &str) -> Refusal {
        match code {
            "app_too_old" => Refusal::AppTooOld,
            "hub_too_old" => Refusal::HubTooOld,
            "divergent_outbox" => Refusal::DivergentOutbox,
            "stale_epoch" => Refusal::StaleEpoch,
            "unauthenticated" => Refusal::Unauthenticated,
            "user_inactive" => Refusal::UserInactive,
            "device_mismatch" => Refusal::DeviceMismatch,
            "wrong_tenant" => Refusal::WrongTenant,
            "cursor_ahead" => Refusal::CursorAhead,
            "bad_cursor" => Refusal::BadCursor,
            "scopes_changed" => Refusal::ScopesChanged,
            "blob_too_large" => Refusal::BlobTooLarge,
            _ => Refusal::Unrecognised,
        }
    }

    /// What the refusal stops, if it stops anything.
    pub fn block_reason(self) -> Option<BlockReason> {
        match self {
            Refusal::AppTooOld => Some(BlockReason::AppTooOld),
            Refusal::HubTooOld => Some(BlockReason::HubTooOld),
            Refusal::DivergentOutbox => Some(BlockReason::DivergentOutbox),
            Refusal::StaleEpoch => Some(BlockReason::StaleEpoch),
            Refusal::Unauthenticated | Refusal::DeviceMismatch | Refusal::WrongTenant => Some(BlockReason::SignedOut),
            Refusal::UserInactive => Some(BlockReason::UserInactive),
            Refusal::CursorAhead | Refusal::BadCursor | Refusal::ScopesChanged => Some(BlockReason::SnapshotNeeded),
            Refusal::BlobTooLarge | Refusal::Unrecognised => None,
        }
    }
}
