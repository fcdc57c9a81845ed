//! The snapshot a new device (or a new scope) starts from, the feed's hash
//! chain, and the live channel's message. Serde and hashing only.
//!
//! A snapshot body is gzip-compressed NDJSON: one [`SnapshotItem`] per line,
//! a `header` first, an `end` last (a body without its `end` line was cut
//! off and must not be used). Class-F records come compacted as
//! [`SnapshotRow`]s carrying every field's stamp; ledger facts and requests
//! come as the ops the feed holds. After loading it, the device pulls the
//! feed from the header's cursor.
//!
//! The feed is chained per scope: each scope's chain over its entries is
//! `chain = SHA-256(previous chain of the scope ‖ position ‖ canonical JSON
//! of the change)`, starting from 32 zero bytes. An entry in two scopes
//! (a transfer's first leg, a sale charged to an account) takes a link in
//! each. Pull pages carry each scope's chain after its last entry on the
//! page and snapshots each scope's chain at their position, so a device
//! that recomputes the chains of its scopes over what it applied knows it
//! missed nothing of them and that the hub's log was not edited behind its
//! back. (The hub also keeps one chain over the whole feed, the same hash
//! over every entry, for audits; no device sees every entry, so none is
//! sent.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ops::Entity;
use crate::sync::FeedChange;
use crate::Hlc;

/// `GET /v1/sync/snapshot` content type of the (gzip) body.
pub const SNAPSHOT_CONTENT_TYPE: &str = "application/x-ndjson";

/// The chain value before the first feed entry.
pub const GENESIS_CHAIN: [u8; 32] = [0; 32];

/// One line of a snapshot body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SnapshotItem<O> {
    /// First line: the feed position the snapshot was read at.
    Header {
        /// Pull from here after loading.
        cursor: String,
        position: u64,
        /// Each of the device's scopes that has entries: its chain at
        /// `position`, hex. A scope not named starts from
        /// [`GENESIS_CHAIN`].
        scopes: BTreeMap<String, String>,
        hub_time_ms: u64,
    },
    /// A class-F record as the hub holds it, every field with its stamp.
    Row(SnapshotRow),
    /// A fact or request of the device's scopes from the feed, at or before
    /// the header's position.
    Op { position: u64, op: O },
    /// Last line: how many rows and ops came, to tell a complete body from a
    /// cut one.
    End { rows: u64, ops: u64 },
}

/// A class-F record, compacted: the winning value of each field and the
/// stamp that won.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRow {
    pub entity: Entity,
    pub row_id: Uuid,
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub stamps: std::collections::BTreeMap<String, FieldStamp>,
}

/// Who won a field: the higher `(hlc, device_id)` wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FieldStamp {
    pub hlc: Hlc,
    pub device_id: Uuid,
}

/// `GET /v1/sync/live` (WebSocket) text message: the tenant's feed head
/// moved. A hint only; pulling is what makes a device correct.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivePoke {
    pub position: u64,
}

/// The chain after appending `change` at `position` to a feed (or a scope)
/// whose chain was `previous`.
pub fn chain_next<O: Serialize>(previous: &[u8; 32], position: u64, change: &FeedChange<O>) -> [u8; 32] {
    chain_link(previous, position, &canonical_change(change))
}

/// The bytes of `change` the chain hashes, to link one change into several
/// chains with [`chain_link`] without serialising it again.
pub fn canonical_change<O: Serialize>(change: &FeedChange<O>) -> Vec<u8> {
    let value = serde_json::to_value(change).unwrap_or(serde_json::Value::Null);
    let mut canonical = Vec::with_capacity(256);
    write_canonical(&value, &mut canonical);
    canonical
}

/// [`chain_next`] over a change's [`canonical_change`] bytes.
pub fn chain_link(previous: &[u8; 32], position: u64, canonical: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(position.to_be_bytes());
    hasher.update(canonical);
    hasher.finalize().into()
}

/// Lower-case hex of a chain value.
pub fn chain_hex(chain: &[u8; 32]) -> String {
    chain.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A chain value back from hex; `None` if it is not 64 hex digits.
pub fn parse_chain(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// JSON with object keys sorted at every level and no spaces: the same bytes
/// for the same value on every build, whatever order the keys were sent in.
fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(serde_json::Value::String(key.clone()).to_string().as_bytes());
                out.push(b':');
                write_canonical(&map[key], out);
            }
            out.push(b'}');
        }
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::{RawOp, RawOpEnvelope, RowChange};

    fn raw(data: serde_json::Value) -> FeedChange<RawOpEnvelope> {
        FeedChange::Op(RawOpEnvelope {
            op_id: Uuid::from_u128(1),
            device_id: Uuid::from_u128(2),
            epoch: 1,
            seq: 3,
            hlc: Hlc::new(1_700_000_000_000, 0),
            user_id: Uuid::from_u128(4),
            type_version: 1,
            op: RawOp {
                op_type: "fields.set".into(),
                data,
            },
        })
    }

    #[test]
    fn chain_ignores_key_order_but_not_content_or_position() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":{"y":2,"x":[1,"z"]}}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"a":{"x":[1,"z"],"y":2},"b":1}"#).unwrap();
        let c: serde_json::Value = serde_json::from_str(r#"{"a":{"x":[1,"z"],"y":3},"b":1}"#).unwrap();
        let start = GENESIS_CHAIN;
        assert_eq!(chain_next(&start, 1, &raw(a.clone())), chain_next(&start, 1, &raw(b)));
        assert_ne!(chain_next(&start, 1, &raw(a.clone())), chain_next(&start, 1, &raw(c)));
        assert_ne!(
            chain_next(&start, 1, &raw(a.clone())),
            chain_next(&start, 2, &raw(a.clone()))
        );
        let row: FeedChange<RawOpEnvelope> = FeedChange::Row(RowChange {
            entity: "order".into(),
            row_id: Uuid::from_u128(9),
            hlc: Hlc::new(5, 0),
            fields: serde_json::Map::new(),
        });
        assert_ne!(chain_next(&start, 1, &row), chain_next(&start, 1, &raw(a)));
    }

    #[test]
    fn chain_hex_round_trips() {
        let chain = chain_next(&GENESIS_CHAIN, 7, &raw(serde_json::json!({"k": "v"})));
        assert_eq!(parse_chain(&chain_hex(&chain)), Some(chain));
        assert_eq!(parse_chain("zz"), None);
        assert_eq!(parse_chain(&"g".repeat(64)), None);
    }

    #[test]
    fn snapshot_lines_are_tagged() {
        let line: SnapshotItem<RawOpEnvelope> = SnapshotItem::End { rows: 2, ops: 3 };
        let json = serde_json::to_value(&line).unwrap();
        assert_eq!(json["kind"], "end");
        let back: SnapshotItem<RawOpEnvelope> = serde_json::from_value(json).unwrap();
        assert_eq!(back, line);
    }
}
