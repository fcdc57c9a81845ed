//! Time and identity, passed in: the `Clock` and `IdSource` a store is
//! opened with, so tests run on virtual time with deterministic ids.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use uuid::Uuid;

/// Wall-clock milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> u64;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to (tests, simulations).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    pub fn new(start_ms: u64) -> Self {
        ManualClock(AtomicU64::new(start_ms))
    }

    pub fn advance(&self, by_ms: u64) {
        self.0.fetch_add(by_ms, Ordering::SeqCst);
    }

    pub fn set(&self, now_ms: u64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Makes UUIDv7 row ids for a given moment.
pub trait IdSource: Send + Sync {
    fn new_id(&self, now_ms: u64) -> Uuid;
}

/// UUIDv7 from the operating system's random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_id(&self, now_ms: u64) -> Uuid {
        let mut random = [0u8; 10];
        rand::thread_rng().fill_bytes(&mut random);
        uuid::Builder::from_unix_timestamp_millis(now_ms, &random).into_uuid()
    }
}

/// UUIDv7 from a seeded generator: the same seed gives the same ids.
#[derive(Debug)]
pub struct SeededIds(Mutex<StdRng>);

impl SeededIds {
    pub fn new(seed: u64) -> Self {
        SeededIds(Mutex::new(StdRng::seed_from_u64(seed)))
    }
}

impl IdSource for SeededIds {
    fn new_id(&self, now_ms: u64) -> Uuid {
        let mut random = [0u8; 10];
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .fill_bytes(&mut random);
        uuid::Builder::from_unix_timestamp_millis(now_ms, &random).into_uuid()
    }
}

/// Parses an id stored as text in the device database.
pub(crate) fn parse_uuid(text: &str) -> crate::Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| crate::CoreError::corrupt(format!("bad id {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_repeat_and_are_v7() {
        let first = SeededIds::new(7);
        let second = SeededIds::new(7);
        let a = first.new_id(1_700_000_000_000);
        assert_eq!(a, second.new_id(1_700_000_000_000));
        assert_eq!(a.get_version_num(), 7);
        assert_ne!(a, first.new_id(1_700_000_000_000));
    }

    #[test]
    fn ids_sort_by_time() {
        let ids = RandomIds;
        assert!(ids.new_id(1_000) < ids.new_id(2_000));
    }
}
