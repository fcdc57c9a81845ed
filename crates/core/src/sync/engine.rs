//! The executor: performs the planner's steps against a hub through a
//! [`HubLink`] (HTTP in the app, an in-process hub with a faulty network in
//! the simulation) and records each answer in the store before the planner
//! sees it. [`run`] keeps doing so in the background with its own backoff
//! timer, moves photo blobs between steps, and reports progress on a watch
//! channel for the UI.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use stockroom_protocol::sync::{PullResponse, PushRequest, PushResponse, RawOpEnvelope, SCHEMA_VERSION};
use stockroom_protocol::PROTOCOL_VERSION;

use super::{
    backoff_ms, next_step, on_failure, on_local_write, on_poke, on_pull_result, on_push_result, on_snapshot, unblock,
    BlockReason, FailureKind, Refusal, Step, SyncConfig, SyncState,
};
use crate::error::{CoreError, Result};
use crate::photos::{on_photo_failure, run_photo_step, BlobLink, PhotoStatus, PhotoStep, PhotoStore, PhotoSyncState};
use crate::store::Store;

/// Why a request to the hub brought no usable answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    pub kind: FailureKind,
    /// For logs and the status line.
    pub detail: String,
}

/// The hub as the executor needs it.
pub trait HubLink: Send + Sync {
    fn push(&self, request: &PushRequest) -> impl Future<Output = std::result::Result<PushResponse, LinkError>> + Send;

    fn pull(
        &self,
        since: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = std::result::Result<PullResponse<RawOpEnvelope>, LinkError>> + Send;

    /// The tenant's snapshot, gzip-compressed NDJSON as the hub sends it.
    fn snapshot(&self) -> impl Future<Output = std::result::Result<Vec<u8>, LinkError>> + Send;
}

/// Fetches and loads a snapshot; the state then pulls from its cursor.
async fn take_snapshot<L: HubLink>(store: &Store, link: &L, state: SyncState, now_ms: u64) -> Result<SyncState> {
    let body = match link.snapshot().await {
        Ok(body) => body,
        Err(err) => {
            tracing::debug!(detail = err.detail, "snapshot failed");
            return Ok(on_failure(state, err.kind, now_ms));
        }
    };
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(body.as_slice()));
    match store.load_snapshot(reader).await {
        Ok(loaded) => {
            tracing::info!(
                rows = loaded.rows,
                ops = loaded.ops,
                position = loaded.position,
                "snapshot loaded"
            );
            let cursor = store.sync_position().await?.pull_cursor.unwrap_or_default();
            Ok(SyncState {
                last_attempt_ms: Some(now_ms),
                rebuild_due: !loaded.rebuilt,
                ..on_snapshot(state, cursor)
            })
        }
        // A cut or unreadable body: fetched again after a backoff.
        Err(err @ CoreError::Import { .. }) => {
            tracing::warn!(%err, "snapshot unreadable");
            Ok(on_failure(state, FailureKind::Server { status: 200 }, now_ms))
        }
        Err(err) => Err(err),
    }
}

/// Performs the step the planner chooses now (a push or a pull; waiting is
/// the caller's business), after taking in the local writes committed since
/// the last step, and returns the next state with the step taken.
/// Answers are recorded in the store first: the acknowledged ops leave the
/// outbox, a page is applied with its cursor. A store error is returned and
/// the state is unchanged: the step is simply taken again later.
pub async fn run_step<L: HubLink>(
    store: &Store,
    link: &L,
    state: SyncState,
    config: &SyncConfig,
) -> Result<(SyncState, Step)> {
    let now_ms = store.device_clock_ms();
    // Local writes since the last step join the outbox range.
    let device = store.device_info().await?;
    let state = on_local_write(state, device.next_seq);
    let step = next_step(&state, now_ms, config);
    let was_user_inactive = state.blocked == Some(BlockReason::UserInactive);
    let next = match &step {
        Step::Push { from_seq, to_seq } => {
            let ops = store.outbox_range(*from_seq, *to_seq).await?;
            if ops.first().map(|op| op.seq) != Some(*from_seq) {
                return Err(CoreError::corrupt(format!("outbox op {from_seq} missing")));
            }
            let request = PushRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: SCHEMA_VERSION,
                device_id: device.device_id,
                epoch: device.epoch,
                ops,
            };
            match link.push(&request).await {
                Ok(response) => {
                    store.record_push_result(*to_seq, &response).await?;
                    on_push_result(state, *to_seq, &response, now_ms)
                }
                Err(err) => {
                    tracing::debug!(detail = err.detail, "push failed");
                    on_failure(state, err.kind, now_ms)
                }
            }
        }
        Step::Pull { since: None, .. } if config.snapshot_first => take_snapshot(store, link, state, now_ms).await?,
        Step::Blocked {
            reason: BlockReason::SnapshotNeeded,
        } => take_snapshot(store, link, state, now_ms).await?,
        Step::Pull { since, limit } => match link.pull(since.as_deref(), *limit).await {
            Ok(page) => match store.apply_pull(&page).await {
                Ok(_) => on_pull_result(state, &page, now_ms),
                Err(CoreError::FeedChainMismatch) => {
                    on_failure(state, FailureKind::Refused(Refusal::BadCursor), now_ms)
                }
                Err(err) => return Err(err),
            },
            Err(err) => {
                tracing::debug!(detail = err.detail, "pull failed");
                on_failure(state, err.kind, now_ms)
            }
        },
        Step::Wait { .. } | Step::Idle | Step::Blocked { .. } => state,
    };
    // The hub refused the device because its enrolling user was switched
    // off: they cannot sign in here either from now on (noted once, as the
    // block begins).
    if next.blocked == Some(BlockReason::UserInactive) && !was_user_inactive && store.refuse_enrolled_user().await? {
        tracing::info!("the user who enrolled this device is switched off on the hub: no new sign-in here");
    }
    Ok((next, step))
}

/// What the UI shows about sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// Ops written here and not yet acknowledged by the hub.
    pub pending_ops: u64,
    /// When the hub last answered, in hub time.
    pub last_sync_ms: Option<u64>,
    /// Failed attempts in a row.
    pub failures: u32,
    /// Why sync stopped until someone acts.
    pub blocked: Option<BlockReason>,
    /// Feed pages applied since start.
    pub pages_applied: u64,
    /// Photo files made here that the hub does not have yet.
    pub photos_to_upload: u64,
    /// Photo blobs waiting to come from the hub.
    pub photos_to_fetch: u64,
    /// Photo blobs the hub gave wrong (refused).
    pub photos_refused: u64,
}

/// Signals into a running engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// The hub said it has newer changes (live channel).
    Poke,
    /// Someone acted on a block (signed in again, updated): resume.
    Unblock,
    /// Stop after the current step.
    Stop,
}

/// Runs sync until [`Signal::Stop`]: the planner's steps, its backoff
/// waits, a pull when idle for `config.idle_pull_ms`, and a push as soon as
/// a local write commits. With `photos`, photo blobs are uploaded and
/// fetched ([`run_photo_step`]) whenever the ops are pushed and pulled, each
/// with its own backoff. Progress goes to `status`.
pub async fn run<L: HubLink + BlobLink>(
    store: Arc<Store>,
    link: L,
    photos: Option<Arc<PhotoStore>>,
    config: SyncConfig,
    mut signals: tokio::sync::mpsc::Receiver<Signal>,
    status: tokio::sync::watch::Sender<SyncStatus>,
) -> Result<()> {
    let mut state = store.sync_state().await?;
    let mut writes = store.subscribe_writes();
    let mut photo_wake = photos.as_ref().map(|photos| photos.subscribe());
    let mut photo_state = PhotoSyncState::default();
    let mut pages_applied = 0u64;
    loop {
        // Signals sent during a run of steps: a stop ends the engine here,
        // between steps, never inside a store write.
        while let Ok(signal) = signals.try_recv() {
            match signal {
                Signal::Poke => state = on_poke(state),
                Signal::Unblock => {
                    state = unblock(on_poke(state));
                    photo_state = PhotoSyncState::default();
                }
                Signal::Stop => return Ok(()),
            }
        }
        let (next, step) = match run_step(&store, &link, state.clone(), &config).await {
            Ok(done) => done,
            Err(err) => {
                tracing::warn!(%err, code = err.code(), "sync step failed in the store");
                let _ = store.record_sync_error(err.code()).await;
                let failed = on_failure(state, FailureKind::Server { status: 0 }, store.device_clock_ms());
                (failed.clone(), next_step(&failed, store.device_clock_ms(), &config))
            }
        };
        if matches!(step, Step::Pull { .. }) && next.failures == 0 {
            pages_applied += 1;
        }
        state = next;
        let sync_next = next_step(&state, store.device_clock_ms(), &config);
        // Photos move once the ops are through, and not while sync is blocked.
        let mut photo_wait_ms = None;
        let mut photo_moved = false;
        if let Some(photos) = photos.as_ref().filter(|_| state.blocked.is_none()) {
            if !matches!(sync_next, Step::Push { .. } | Step::Pull { .. }) {
                match run_photo_step(&store, photos, &link, photo_state.clone(), &config).await {
                    Ok((next_photo, photo_step)) => {
                        photo_state = next_photo;
                        match photo_step {
                            PhotoStep::Upload { .. } | PhotoStep::Fetch { .. } => photo_moved = true,
                            PhotoStep::Wait { until_ms } => photo_wait_ms = Some(until_ms),
                            PhotoStep::Idle => {}
                        }
                    }
                    Err(err) => {
                        tracing::warn!(%err, code = err.code(), "photo transfer failed in the store");
                        let now_ms = store.device_clock_ms();
                        photo_state = on_photo_failure(photo_state, now_ms);
                        photo_wait_ms = Some(now_ms.saturating_add(backoff_ms(photo_state.failures, &config)));
                    }
                }
            }
        }
        let last_sync_ms = store
            .sync_position()
            .await
            .ok()
            .and_then(|position| position.last_sync_ms);
        let photo_status = match &photos {
            Some(photos) => photos.status(&store).await.unwrap_or_default(),
            None => PhotoStatus::default(),
        };
        status.send_replace(SyncStatus {
            pending_ops: state.pending_ops(),
            last_sync_ms,
            failures: state.failures,
            blocked: state.blocked.clone(),
            pages_applied,
            photos_to_upload: photo_status.to_upload,
            photos_to_fetch: photo_status.to_fetch,
            photos_refused: photo_status.refused,
        });
        if photo_moved {
            continue;
        }
        let now_ms = store.device_clock_ms();
        let (wait, idle) = match sync_next {
            // A snapshot the hub asked for (its scopes changed) or that is
            // due to rebuild is a step like a pull, taken at once.
            Step::Push { .. }
            | Step::Pull { .. }
            | Step::Blocked {
                reason: BlockReason::SnapshotNeeded,
            } => continue,
            Step::Wait { until_ms } => (Some(until_ms.saturating_sub(now_ms)), false),
            Step::Idle => (Some(config.idle_pull_ms), true),
            Step::Blocked { .. } => (None, false),
        };
        let photo_wait = photo_wait_ms.map(|until_ms| until_ms.saturating_sub(now_ms));
        let wait = match (wait, photo_wait) {
            (Some(sync_wait), Some(photo_wait)) => Some(sync_wait.min(photo_wait)),
            (sync_wait, photo_wait) => sync_wait.or(photo_wait),
        };
        let sleep = async {
            match wait {
                Some(wait) => tokio::time::sleep(Duration::from_millis(wait)).await,
                None => std::future::pending().await,
            }
        };
        let photo_work = async {
            match photo_wake.as_mut() {
                Some(wake) => wake.changed().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => {
                // A timer that ends a photo backoff first is not the idle pull.
                let idle_over = photo_wait.is_none_or(|photo_wait| Some(photo_wait) >= wait);
                if idle && idle_over {
                    state = on_poke(state);
                }
            }
            changed = writes.changed(), if idle => {
                if changed.is_err() {
                    return Ok(());
                }
            }
            woken = photo_work => {
                if woken.is_err() {
                    photo_wake = None;
                }
            }
            signal = signals.recv() => match signal {
                Some(Signal::Poke) => state = on_poke(state),
                Some(Signal::Unblock) => {
                    state = unblock(on_poke(state));
                    photo_state = PhotoSyncState::default();
                }
                Some(Signal::Stop) | None => return Ok(()),
            },
        }
    }
}

/// How an HTTP answer that is not a success reads to the planner: 4xx with
/// the hub's code is a refusal (some block, others are retried), 408, 429
/// and 5xx are worth retrying.
pub fn failure_from_answer(status: u16, code: Option<&str>) -> FailureKind {
    match status {
        400..=499 if status != 408 && status != 429 => {
            FailureKind::Refused(Refusal::from_code(code.unwrap_or_default()))
        }
        _ => FailureKind::Server { status },
    }
}
