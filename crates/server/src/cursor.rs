//! The pull cursor: opaque to devices; to the hub, a feed position and the
//! fingerprint of the scopes the device was served under (see
//! `crate::scopes::Grant::tag`), so a device whose scopes changed is told to
//! take a new snapshot instead of pulling on with a partial history.

/// Prefix of this build's cursors; a later format takes another.
const PREFIX: &str = "2:";
/// Prefix of the cursors of protocol 1, which had no scopes.
const PREFIX_V1: &str = "1:";

/// A decoded cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The feed position the cursor stands after (0: before the start).
    pub position: u64,
    /// The grant's tag it was made under; `None` for the start of the feed
    /// and for cursors of protocol 1.
    pub grant_tag: Option<String>,
}

/// The cursor just after feed position `position`, for a device served
/// under the grant with `grant_tag`.
pub fn encode(position: u64, grant_tag: &str) -> String {
    format!("{PREFIX}{position}:{grant_tag}")
}

/// The cursor's position and grant; `None` if it is not one of ours. An
/// empty cursor is the start of the feed.
pub fn decode(cursor: &str) -> Option<Cursor> {
    if cursor.is_empty() {
        return Some(Cursor {
            position: 0,
            grant_tag: None,
        });
    }
    let (digits, grant_tag) = match cursor.strip_prefix(PREFIX) {
        Some(rest) => {
            let (digits, tag) = rest.split_once(':')?;
            if tag.is_empty() || !tag.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                return None;
            }
            (digits, Some(tag.to_string()))
        }
        None => (cursor.strip_prefix(PREFIX_V1)?, None),
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(Cursor {
        position: digits.parse().ok()?,
        grant_tag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        for position in [0, 1, 499, u64::MAX] {
            assert_eq!(
                decode(&encode(position, "00ff")),
                Some(Cursor {
                    position,
                    grant_tag: Some("00ff".into())
                })
            );
        }
        assert_eq!(
            decode(""),
            Some(Cursor {
                position: 0,
                grant_tag: None
            })
        );
        // A cursor of protocol 1: its position, and no grant.
        assert_eq!(
            decode("1:12"),
            Some(Cursor {
                position: 12,
                grant_tag: None
            })
        );
        for bad in [
            "12",
            "1:",
            "1:-3",
            "1:+3",
            "3:5",
            "2:5",
            "2:5:",
            "2:5:xyz",
            "2::ab",
            "1:99999999999999999999",
            "1: 5",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
