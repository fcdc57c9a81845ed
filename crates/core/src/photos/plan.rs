//! The photo transfer planner, pure like the sync planner: from what waits
//! (the next blob to upload, the next to fetch), the failures so far and the
//! time, say which transfer to do now, or how long to wait. Uploads come
//! first (a photo made here exists nowhere else), then fetches. A dead
//! network backs off with the sync planner's [`backoff_until`].

use crate::sync::{backoff_until, SyncConfig};

/// The planner's memory between steps (kept by the engine; a restart
/// starts with no failures, the queue itself is in the database).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhotoSyncState {
    /// Transfers that failed in a row for want of an answer (network, 5xx).
    pub failures: u32,
    /// When the last transfer was answered or failed, in ms.
    pub last_attempt_ms: Option<u64>,
}

/// What waits, as the store reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhotoWork {
    /// The oldest file made here that the hub does not have.
    pub next_upload: Option<String>,
    /// The blob to fetch next (asked for on a detail view first, then the
    /// catalog's 256 px thumbnails while the cache has room).
    pub next_fetch: Option<String>,
}

/// What the executor should do now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhotoStep {
    Upload {
        sha256: String,
    },
    Fetch {
        sha256: String,
    },
    /// Back off until then.
    Wait {
        until_ms: u64,
    },
    /// Nothing waits.
    Idle,
}

/// The transfer to do now.
pub fn next_photo_step(state: &PhotoSyncState, work: &PhotoWork, now_ms: u64, config: &SyncConfig) -> PhotoStep {
    if work.next_upload.is_none() && work.next_fetch.is_none() {
        return PhotoStep::Idle;
    }
    if let Some(until_ms) = backoff_until(state.failures, state.last_attempt_ms, now_ms, config) {
        return PhotoStep::Wait { until_ms };
    }
    if let Some(sha256) = &work.next_upload {
        return PhotoStep::Upload { sha256: sha256.clone() };
    }
    match &work.next_fetch {
        Some(sha256) => PhotoStep::Fetch { sha256: sha256.clone() },
        None => PhotoStep::Idle,
    }
}

/// The hub answered (the blob stored, given, missing, or given wrong: each
/// is an answer, recorded per blob by the executor).
pub fn on_photo_answer(_state: PhotoSyncState, now_ms: u64) -> PhotoSyncState {
    PhotoSyncState {
        failures: 0,
        last_attempt_ms: Some(now_ms),
    }
}

/// No usable answer (network down, hub error): back off.
pub fn on_photo_failure(state: PhotoSyncState, now_ms: u64) -> PhotoSyncState {
    PhotoSyncState {
        failures: state.failures.saturating_add(1),
        last_attempt_ms: Some(now_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::backoff_ms;

    fn config() -> SyncConfig {
        SyncConfig {
            backoff_base_ms: 1_000,
            backoff_cap_ms: 60_000,
            jitter_seed: 0,
            ..SyncConfig::default()
        }
    }

    fn work(upload: Option<&str>, fetch: Option<&str>) -> PhotoWork {
        PhotoWork {
            next_upload: upload.map(str::to_string),
            next_fetch: fetch.map(str::to_string),
        }
    }

    #[test]
    fn next_step_by_table() {
        let config = config();
        let fresh = PhotoSyncState::default();
        let failed = |failures, at| PhotoSyncState {
            failures,
            last_attempt_ms: Some(at),
        };
        let wait_1 = 10_000 + backoff_ms(1, &config);
        let wait_3 = 10_000 + backoff_ms(3, &config);
        let upload = |sha: &str| PhotoStep::Upload { sha256: sha.into() };
        let fetch = |sha: &str| PhotoStep::Fetch { sha256: sha.into() };
        let cases: Vec<(&str, PhotoSyncState, PhotoWork, u64, PhotoStep)> = vec![
            ("nothing waits", fresh.clone(), work(None, None), 0, PhotoStep::Idle),
            (
                "nothing waits, even after failures",
                failed(3, 10_000),
                work(None, None),
                10_001,
                PhotoStep::Idle,
            ),
            ("an upload", fresh.clone(), work(Some("u"), None), 0, upload("u")),
            (
                "uploads before fetches",
                fresh.clone(),
                work(Some("u"), Some("f")),
                0,
                upload("u"),
            ),
            ("a fetch", fresh.clone(), work(None, Some("f")), 0, fetch("f")),
            (
                "backing off",
                failed(1, 10_000),
                work(Some("u"), None),
                10_001,
                PhotoStep::Wait { until_ms: wait_1 },
            ),
            (
                "backoff over",
                failed(1, 10_000),
                work(Some("u"), None),
                wait_1,
                upload("u"),
            ),
            (
                "longer after more failures",
                failed(3, 10_000),
                work(None, Some("f")),
                wait_1,
                PhotoStep::Wait { until_ms: wait_3 },
            ),
            (
                "fetch after the longer wait",
                failed(3, 10_000),
                work(None, Some("f")),
                wait_3,
                fetch("f"),
            ),
        ];
        for (name, state, work, now_ms, expected) in cases {
            assert_eq!(next_photo_step(&state, &work, now_ms, &config), expected, "{name}");
        }
    }

    #[test]
    fn answers_reset_failures_and_failures_grow_the_wait() {
        let config = config();
        let mut state = PhotoSyncState::default();
        let mut last_wait = 0;
        for attempt in 1..=8u64 {
            state = on_photo_failure(state, attempt * 100_000);
            assert_eq!(state.failures as u64, attempt);
            let PhotoStep::Wait { until_ms } =
                next_photo_step(&state, &work(Some("u"), None), attempt * 100_000, &config)
            else {
                panic!("a failure must back off");
            };
            let wait = until_ms - attempt * 100_000;
            assert!(wait >= last_wait && wait <= config.backoff_cap_ms, "{wait}");
            last_wait = wait;
        }
        let state = on_photo_answer(state, 900_000);
        assert_eq!(state.failures, 0);
        assert_eq!(
            next_photo_step(&state, &work(Some("u"), None), 900_000, &config),
            PhotoStep::Upload { sha256: "u".into() }
        );
    }
}
