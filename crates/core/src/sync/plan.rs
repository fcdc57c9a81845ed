//! The planner's functions: [`next_step`] reads a state, the `on_*`
//! functions turn a state and an answer (or an event) into the next state.
//! Pure: time comes in as `now_ms`, jitter from the configured seed.

use stockroom_protocol::sync::{BatchStop, PullResponse, PushResponse};

use super::{BlockReason, FailureKind, Step, SyncConfig, SyncState};

/// What to do now. Blocked beats everything (but a snapshot that failed to
/// come waits out its backoff); a backoff after failures is waited out
/// (local writes do not cut it short); then the outbox is pushed from
/// `acked + 1` in batches, before any pull; then, with everything
/// acknowledged, a snapshot that is due to rebuild (`rebuild_due`, asked as
/// `SnapshotNeeded`); then the feed is pulled while the last page said
/// `more` or the hub is said to have newer changes.
pub fn next_step(state: &SyncState, now_ms: u64, config: &SyncConfig) -> Step {
    if let Some(reason) = &state.blocked {
        // A snapshot that failed to come is fetched again after the backoff.
        if *reason == BlockReason::SnapshotNeeded {
            if let Some(until_ms) = backoff_until(state.failures, state.last_attempt_ms, now_ms, config) {
                return Step::Wait { until_ms };
            }
        }
        return Step::Blocked { reason: reason.clone() };
    }
    if let Some(until_ms) = backoff_until(state.failures, state.last_attempt_ms, now_ms, config) {
        return Step::Wait { until_ms };
    }
    let last_local_seq = state.last_local_seq();
    if state.acked_through_seq < last_local_seq {
        let from_seq = state.acked_through_seq + 1;
        let to_seq = last_local_seq.min(state.acked_through_seq.saturating_add(config.batch_size.max(1)));
        return Step::Push { from_seq, to_seq };
    }
    // Everything is acknowledged: a snapshot now rebuilds.
    if state.rebuild_due {
        return Step::Blocked {
            reason: BlockReason::SnapshotNeeded,
        };
    }
    if state.pull_more || state.hub_has_newer {
        return Step::Pull {
            since: state.pull_cursor.clone(),
            limit: config.pull_limit.max(1),
        };
    }
    Step::Idle
}

/// The wait before retry number `failures` (0 for no failure): the base
/// doubled per further failure, capped, then shortened by up to a quarter by
/// a jitter fixed per device (from `config.jitter_seed`), so a fleet cut off
/// at once does not retry in step. Never decreases as `failures` grows, never
/// exceeds `config.backoff_cap_ms`.
/// When a wait after `failures` failed attempts (the last at
/// `last_attempt_ms`) ends, if it has not ended by `now_ms`.
pub fn backoff_until(failures: u32, last_attempt_ms: Option<u64>, now_ms: u64, config: &SyncConfig) -> Option<u64> {
    if failures == 0 {
        return None;
    }
    let until_ms = last_attempt_ms
        .unwrap_or(0)
        .saturating_add(backoff_ms(failures, config));
    (now_ms < until_ms).then_some(until_ms)
}

pub fn backoff_ms(failures: u32, config: &SyncConfig) -> u64 {
    if failures == 0 {
        return 0;
    }
    let doublings = (failures - 1).min(64);
    let raw = (u128::from(config.backoff_base_ms) << doublings).min(u128::from(config.backoff_cap_ms));
    let jitter_permille = u128::from(mix(config.jitter_seed) % 251);
    // raw - floor(raw * j / 1000) never decreases as raw grows, since j < 1000.
    (raw - raw * jitter_permille / 1000) as u64
}

/// SplitMix64's finaliser: a well-spread number from a seed.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The hub answered a push of the ops up to `sent_to_seq`. The
/// acknowledgement is taken up to what was sent (and what exists) and only
/// ever moves forward, so a stale or duplicate answer changes nothing. A gap
/// restarts from the hub's acknowledged seq; an op version the hub cannot
/// take blocks (the outbox is kept); an answer that made no progress without
/// a reason counts as a failure, so the executor never spins.
pub fn on_push_result(state: SyncState, sent_to_seq: u64, response: &PushResponse, now_ms: u64) -> SyncState {
    let mut next = state;
    next.last_attempt_ms = Some(now_ms);
    let acked_before = next.acked_through_seq;
    let ceiling = sent_to_seq.min(next.last_local_seq());
    let hub_acked = response.acked_through_seq.min(ceiling);
    next.acked_through_seq = acked_before.max(hub_acked);
    let progressed = next.acked_through_seq > acked_before;
    // Rows the feed will not keep up to date: rebuilt from a snapshot once
    // the outbox is acknowledged ([`next_step`]).
    next.rebuild_due |= response.outside_scopes;
    match &response.stopped {
        None if progressed || hub_acked >= ceiling => next.failures = 0,
        None => next.failures = next.failures.saturating_add(1),
        Some(BatchStop::Gap { expected_seq, .. }) => {
            if expected_seq.saturating_sub(1) < next.acked_through_seq {
                // The hub wants an op this device already dropped as acknowledged.
                next.blocked = Some(BlockReason::HubMissingOps {
                    expected_seq: *expected_seq,
                });
                next.failures = 0;
            } else if progressed {
                next.failures = 0;
            } else {
                next.failures = next.failures.saturating_add(1);
            }
        }
        Some(BatchStop::UnsupportedOpVersion {
            type_version,
            min_version,
            ..
        }) => {
            next.blocked = Some(if type_version < min_version {
                BlockReason::AppTooOld
            } else {
                BlockReason::HubTooOld
            });
            next.failures = 0;
        }
    }
    next
}

/// The hub answered a pull: keep its cursor, pull again at once if it said
/// `more`.
pub fn on_pull_result<O>(state: SyncState, response: &PullResponse<O>, now_ms: u64) -> SyncState {
    SyncState {
        pull_cursor: Some(response.next.clone()),
        pull_more: response.more,
        hub_has_newer: false,
        failures: 0,
        last_attempt_ms: Some(now_ms),
        snapshot_unconfirmed: false,
        ..state
    }
}

/// An attempt (push or pull) failed. A refusal that needs someone to act
/// blocks, keeping the outbox; anything else backs off.
pub fn on_failure(state: SyncState, kind: FailureKind, now_ms: u64) -> SyncState {
    let mut next = state;
    next.last_attempt_ms = Some(now_ms);
    match kind {
        FailureKind::Refused(refusal) => match refusal.block_reason() {
            Some(BlockReason::SnapshotNeeded) if next.snapshot_unconfirmed => {
                next.blocked = Some(BlockReason::SnapshotNeeded);
                next.failures = next.failures.saturating_add(1);
            }
            Some(reason) => next.blocked = Some(reason),
            None => next.failures = next.failures.saturating_add(1),
        },
        FailureKind::Network | FailureKind::Server { .. } => next.failures = next.failures.saturating_add(1),
    }
    next
}

/// Local writes committed: the outbox now ends before `next_local_seq`.
/// Does not cut a backoff short.
pub fn on_local_write(state: SyncState, next_local_seq: u64) -> SyncState {
    SyncState {
        next_local_seq: state.next_local_seq.max(next_local_seq),
        ..state
    }
}

/// The hub said (through the live channel) it has newer changes. Call it
/// after the result of a pull that was in flight when the poke came.
pub fn on_poke(state: SyncState) -> SyncState {
    SyncState {
        hub_has_newer: true,
        ..state
    }
}

/// A snapshot was loaded: pull the feed from its cursor. It counts as
/// progress, unless the one before it was followed by another request for
/// one (see `SyncState::snapshot_unconfirmed`).
pub fn on_snapshot(state: SyncState, cursor: String) -> SyncState {
    let blocked = state.blocked.filter(|reason| *reason != BlockReason::SnapshotNeeded);
    let failures = if state.snapshot_unconfirmed { state.failures } else { 0 };
    SyncState {
        pull_cursor: Some(cursor),
        pull_more: false,
        hub_has_newer: true,
        blocked,
        failures,
        snapshot_unconfirmed: true,
        ..state
    }
}

/// Someone acted on a block (updated the app, enrolled or signed in again,
/// chose to retry): sync resumes at once.
pub fn unblock(state: SyncState) -> SyncState {
    SyncState {
        blocked: None,
        failures: 0,
        ..state
    }
}
