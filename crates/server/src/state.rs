//! What every request handler shares: the store, the limits, the clock
//! (passed in, so tests control hub time), the live feed heads and metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::live::LiveFeed;
use crate::metrics::Metrics;
use crate::snapshot::SnapshotCache;
use crate::store::HubStore;
use crate::throttle::EnrolThrottle;

/// Wall-clock time in Unix milliseconds.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> u64;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    pub fn new(now_ms: u64) -> Self {
        ManualClock(AtomicU64::new(now_ms))
    }

    pub fn set(&self, now_ms: u64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }

    pub fn advance(&self, by_ms: u64) {
        self.0.fetch_add(by_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Limits and rules of one hub.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Largest request body accepted; bigger ones get 413 `body_too_large`.
    pub max_body_bytes: usize,
    /// Most ops in one push; more get 422 `batch_too_large`.
    pub max_ops_per_push: usize,
    /// Page size of a pull when the device does not ask for one.
    pub default_pull_limit: u32,
    /// Largest page size of a pull; bigger requests are cut down to it.
    pub max_pull_limit: u32,
    /// How far ahead of hub time a stamp may be before it is clamped.
    pub max_future_ms: u64,
    /// A tenant's cached snapshot is rebuilt only once it is older than this
    /// and the feed has moved since.
    pub snapshot_max_age_ms: u64,
    /// Most bytes of snapshots kept cached (over every tenant and grant);
    /// past it, those used longest ago are dropped.
    pub snapshot_cache_bytes: usize,
    /// Largest blob accepted by `PUT /v1/blobs/{sha256}`; bigger ones get
    /// 413 `blob_too_large`.
    pub max_blob_bytes: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            max_body_bytes: 8 * 1024 * 1024,
            max_ops_per_push: 1000,
            default_pull_limit: 500,
            max_pull_limit: 1000,
            max_future_ms: 10 * 60 * 1000,
            snapshot_max_age_ms: 30_000,
            snapshot_cache_bytes: 256 * 1024 * 1024,
            max_blob_bytes: 8 * 1024 * 1024,
        }
    }
}

/// The state behind the router: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn HubStore>,
    pub config: HubConfig,
    pub clock: Arc<dyn Clock>,
    /// The latest snapshot of each tenant, shared by every request.
    pub snapshots: Arc<SnapshotCache>,
    /// Feed heads for the live sockets of this instance.
    pub live: LiveFeed,
    pub metrics: Arc<Metrics>,
    /// Failed enrolments per username and client address.
    pub enrol_throttle: Arc<EnrolThrottle>,
}

impl AppState {
    /// A hub on the system clock with default limits. Other settings:
    /// `AppState { config, clock, ..AppState::new(store) }`.
    pub fn new(store: Arc<dyn HubStore>) -> Self {
        AppState {
            store,
            config: HubConfig::default(),
            clock: Arc::new(SystemClock),
            snapshots: Arc::default(),
            live: LiveFeed::new(),
            metrics: Arc::new(Metrics::new()),
            enrol_throttle: Arc::default(),
        }
    }
}
