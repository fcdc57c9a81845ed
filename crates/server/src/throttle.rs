//! Limits on failed enrolments: after [`MAX_FAILURES`] wrong passwords for
//! one username, or wrong passwords and codes from one client address,
//! within [`WINDOW_MS`], further enrolments of that key are refused with
//! 429 `too_many_attempts` until the window has passed. Pure bookkeeping
//! on the hub's clock, kept in memory (a restart forgets it, which costs an
//! attacker a restart per ten guesses).
//!
//! Why both keys: by username it stops a password being guessed from many
//! addresses; by address it stops one client trying every code or many
//! usernames. An enrolment code has 50 random bits, so guessing one within
//! its 15 minutes is hopeless anyway; the limit keeps it that way when a
//! manager makes codes that live for days. Devices already enrolled are
//! never affected: the limit is on `POST /v1/enrol` only.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failures allowed per key within the window.
pub const MAX_FAILURES: u32 = 10;
/// How long failures are remembered, and a locked key stays locked.
pub const WINDOW_MS: u64 = 15 * 60 * 1000;
/// Keys remembered before the expired ones are swept.
const SWEEP_AT: usize = 10_000;

/// One key's failures in the current window.
#[derive(Clone, Copy, Debug)]
struct Window {
    started_ms: u64,
    failures: u32,
}

/// Failed enrolments per key (`user:<lower-case name>`, `addr:<ip>`).
#[derive(Debug, Default)]
pub struct EnrolThrottle {
    windows: Mutex<HashMap<String, Window>>,
}

impl EnrolThrottle {
    /// `Err(seconds to wait)` when any of `keys` is locked at `now_ms`.
    pub fn check(&self, keys: &[String], now_ms: u64) -> Result<(), u64> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let wait_ms = keys
            .iter()
            .filter_map(|key| windows.get(key))
            .filter(|window| window.failures >= MAX_FAILURES)
            .map(|window| (window.started_ms + WINDOW_MS).saturating_sub(now_ms))
            .max()
            .unwrap_or(0);
        if wait_ms == 0 {
            Ok(())
        } else {
            Err(wait_ms.div_ceil(1000))
        }
    }

    /// Counts a failed enrolment against each of `keys`.
    pub fn failed(&self, keys: &[String], now_ms: u64) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, window| window.started_ms + WINDOW_MS > now_ms);
        }
        for key in keys {
            let window = windows.entry(key.clone()).or_insert(Window {
                started_ms: now_ms,
                failures: 0,
            });
            if window.started_ms + WINDOW_MS <= now_ms {
                *window = Window {
                    started_ms: now_ms,
                    failures: 0,
                };
            }
            window.failures = window.failures.saturating_add(1);
        }
    }

    /// Forgets the failures of `keys` (a successful enrolment).
    pub fn succeeded(&self, keys: &[String]) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            windows.remove(key);
        }
    }
}

/// The keys an enrolment attempt counts against: the username (when one is
/// given) and the client's address (when known).
pub fn enrol_keys(username: &str, address: Option<std::net::IpAddr>) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    let username = username.trim();
    if !username.is_empty() {
        keys.push(format!("user:{}", username.to_lowercase()));
    }
    if let Some(address) = address {
        keys.push(format!("addr:{address}"));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn a_key_locks_after_the_limit_and_opens_when_the_window_passes() {
        let throttle = EnrolThrottle::default();
        let sami = keys(&["user:sami"]);
        for attempt in 0..MAX_FAILURES {
            assert_eq!(throttle.check(&sami, 1_000 + u64::from(attempt)), Ok(()));
            throttle.failed(&sami, 1_000 + u64::from(attempt));
        }
        // Locked for the rest of the window that began at the first failure.
        assert_eq!(throttle.check(&sami, 1_000 + 60_000), Err((WINDOW_MS - 60_000) / 1000));
        assert_eq!(throttle.check(&keys(&["user:alex"]), 61_000), Ok(()));
        assert_eq!(throttle.check(&sami, 1_000 + WINDOW_MS), Ok(()));
        // A failure after the window starts a new count.
        throttle.failed(&sami, 1_000 + WINDOW_MS);
        assert_eq!(throttle.check(&sami, 1_001 + WINDOW_MS), Ok(()));
    }

    #[test]
    fn any_locked_key_refuses_and_success_forgets_the_failures() {
        let throttle = EnrolThrottle::default();
        let address = keys(&["addr:10.0.0.7"]);
        for _ in 0..MAX_FAILURES - 1 {
            throttle.failed(&address, 5);
        }
        throttle.succeeded(&address);
        throttle.failed(&address, 6);
        assert_eq!(throttle.check(&address, 7), Ok(()));
        for _ in 0..MAX_FAILURES {
            throttle.failed(&address, 8);
        }
        assert!(throttle.check(&keys(&["user:sami", "addr:10.0.0.7"]), 9).is_err());
    }

    #[test]
    fn keys_name_the_user_in_lower_case_and_the_address() {
        let address = "192.0.2.1".parse().ok();
        assert_eq!(enrol_keys(" Sami ", address), keys(&["user:sami", "addr:192.0.2.1"]));
        assert_eq!(enrol_keys("", None), Vec::<String>::new());
    }
}
