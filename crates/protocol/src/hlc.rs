//! Hybrid logical clock: milliseconds plus a counter, ties broken by device id.
//!
//! A stamp packs into one `i64` (`millis << 16 | counter`) so SQLite and
//! PostgreSQL can index and compare it as a plain integer. The packed value
//! orders exactly like the `(millis, counter)` pair.

use serde::{Deserialize, Serialize};

/// Bits of the packed stamp given to the counter.
const COUNTER_BITS: u32 = 16;
const COUNTER_MAX: u32 = (1 << COUNTER_BITS) - 1;

/// One HLC reading: wall milliseconds (Unix epoch) and a logical counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(into = "i64", try_from = "i64")]
pub struct Hlc {
    millis: u64,
    counter: u32,
}

/// Error for a packed value that is not a valid stamp (negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidHlc(pub i64);

impl std::fmt::Display for InvalidHlc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid HLC stamp {}", self.0)
    }
}

impl std::error::Error for InvalidHlc {}

impl Hlc {
    /// The stamp with the given parts; the counter saturates at its maximum.
    pub fn new(millis: u64, counter: u32) -> Self {
        Hlc {
            millis: millis.min((i64::MAX as u64) >> COUNTER_BITS),
            counter: counter.min(COUNTER_MAX),
        }
    }

    pub fn millis(self) -> u64 {
        self.millis
    }

    pub fn counter(self) -> u32 {
        self.counter
    }

    /// The packed, order-preserving integer form stored in databases.
    pub fn to_i64(self) -> i64 {
        ((self.millis << COUNTER_BITS) | u64::from(self.counter)) as i64
    }

    pub fn from_i64(packed: i64) -> Result<Self, InvalidHlc> {
        if packed < 0 {
            return Err(InvalidHlc(packed));
        }
        let packed = packed as u64;
        Ok(Hlc {
            millis: packed >> COUNTER_BITS,
            counter: (packed as u32) & COUNTER_MAX,
        })
    }

    /// The next stamp for a local event at wall time `now_ms`: strictly greater
    /// than `self`, and never behind the wall clock.
    pub fn tick(self, now_ms: u64) -> Self {
        if now_ms > self.millis {
            Hlc::new(now_ms, 0)
        } else {
            self.successor()
        }
    }

    /// The next stamp after receiving `remote` at wall time `now_ms`: strictly
    /// greater than both `self` and `remote`.
    pub fn receive(self, remote: Hlc, now_ms: u64) -> Self {
        let latest = self.max(remote);
        if now_ms > latest.millis {
            Hlc::new(now_ms, 0)
        } else {
            latest.successor()
        }
    }

    /// The smallest stamp greater than `self` (counter overflow moves to the
    /// next millisecond, so the order never breaks).
    fn successor(self) -> Self {
        if self.counter < COUNTER_MAX {
            Hlc::new(self.millis, self.counter + 1)
        } else {
            Hlc::new(self.millis + 1, 0)
        }
    }
}

impl From<Hlc> for i64 {
    fn from(hlc: Hlc) -> i64 {
        hlc.to_i64()
    }
}

impl TryFrom<i64> for Hlc {
    type Error = InvalidHlc;
    fn try_from(packed: i64) -> Result<Self, InvalidHlc> {
        Hlc::from_i64(packed)
    }
}

/// A stamp with the device that made it: the total order used for
/// last-writer-wins (higher HLC wins; equal HLCs fall to the higher device id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct HlcStamp {
    pub hlc: Hlc,
    pub device: uuid::Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hlc() -> impl Strategy<Value = Hlc> {
        (0u64..1 << 46, 0u32..=COUNTER_MAX).prop_map(|(millis, counter)| Hlc::new(millis, counter))
    }

    proptest! {
        #[test]
        fn packing_round_trips_and_keeps_order(a in hlc(), b in hlc()) {
            prop_assert_eq!(Hlc::from_i64(a.to_i64()).unwrap(), a);
            prop_assert_eq!(a.cmp(&b), a.to_i64().cmp(&b.to_i64()));
        }

        #[test]
        fn tick_is_strictly_monotonic_and_follows_wall_clock(a in hlc(), now in 0u64..1 << 46) {
            let next = a.tick(now);
            prop_assert!(next > a);
            prop_assert!(next.millis() >= now);
        }

        #[test]
        fn receive_exceeds_both_inputs(a in hlc(), b in hlc(), now in 0u64..1 << 46) {
            let next = a.receive(b, now);
            prop_assert!(next > a);
            prop_assert!(next > b);
            prop_assert!(next.millis() >= now);
        }

        #[test]
        fn receive_is_commutative_in_its_inputs(a in hlc(), b in hlc(), now in 0u64..1 << 46) {
            prop_assert_eq!(a.receive(b, now), b.receive(a, now));
        }

        #[test]
        fn stamp_order_is_total(a in hlc(), b in hlc(), da in any::<u128>(), db in any::<u128>()) {
            let sa = HlcStamp { hlc: a, device: uuid::Uuid::from_u128(da) };
            let sb = HlcStamp { hlc: b, device: uuid::Uuid::from_u128(db) };
            if sa != sb {
                prop_assert!(sa < sb || sb < sa);
            }
            if a != b {
                prop_assert_eq!(sa.cmp(&sb), a.cmp(&b));
            }
        }
    }

    #[test]
    fn counter_overflow_moves_to_next_millisecond() {
        let full = Hlc::new(10, COUNTER_MAX);
        assert_eq!(full.tick(5), Hlc::new(11, 0));
    }

    #[test]
    fn negative_packed_value_is_rejected() {
        assert_eq!(Hlc::from_i64(-1), Err(InvalidHlc(-1)));
    }
}
