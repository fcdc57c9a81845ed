//! The pull cursor: opaque to devices, a versioned feed position to the hub.

/// Prefix of this build's cursors; a later format takes another.
const PREFIX: &str = "1:";

/// The cursor just after feed position `position` (0: before the start).
pub fn encode(position: u64) -> String {
    format!("{PREFIX}{position}")
}

/// The feed position a cursor stands after; `None` if it is not one of ours.
/// An empty cursor is the start of the feed.
pub fn decode(cursor: &str) -> Option<u64> {
    if cursor.is_empty() {
        return Some(0);
    }
    let digits = cursor.strip_prefix(PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        for position in [0, 1, 499, u64::MAX] {
            assert_eq!(decode(&encode(position)), Some(position));
        }
        assert_eq!(decode(""), Some(0));
        for bad in ["12", "1:", "1:-3", "1:+3", "2:5", "1:99999999999999999999", "1: 5"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
