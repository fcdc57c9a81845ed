//! Snapshots: the class-F records and the feed's facts and requests of the
//! scopes a device's grant covers (`crate::scopes`), read at one consistent
//! feed position, as gzip-compressed NDJSON of [`SnapshotItem`]s (header,
//! rows, ops, end).
//!
//! A fleet enrolling at once must not cost the database one read each: the
//! hub keeps the latest snapshot built for each tenant and grant (the
//! compressed bytes, shared by every answer) in a [`SnapshotCache`], builds
//! one at most once at a time (late callers wait for the build in flight and
//! take its result), and builds again only when the cached one is older
//! than the configured age AND the feed has moved since. The cache holds at
//! most a configured number of bytes: past it, the snapshots used longest
//! ago are dropped (and built again when next asked for).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use stockroom_protocol::ops::Entity;
use stockroom_protocol::snapshot::{chain_hex, SnapshotItem};
use stockroom_protocol::sync::RawOpEnvelope;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::cursor;
use crate::error::HubError;
use crate::records::entity_name;
use crate::scopes::{Grant, ScopeChains};
use crate::store::HubStore;

/// NDJSON is handed to the compressor in pieces of about this size.
const PIECE_BYTES: usize = 256 * 1024;

/// A built snapshot: the compressed body and what identifies it.
#[derive(Debug)]
pub struct Snapshot {
    pub position: u64,
    /// The tag of the grant it was read for.
    pub grant_tag: String,
    /// When it was built, hub time.
    pub built_ms: u64,
    pub rows: u64,
    pub ops: u64,
    /// The whole gzip body.
    pub body: Bytes,
}

impl Snapshot {
    /// The entity tag: the feed position it was read at and the grant it
    /// was read for (weak: a rebuild at the same position differs only in
    /// `hub_time_ms`).
    pub fn etag(&self) -> String {
        format!("W/\"{}-{}\"", self.position, self.grant_tag)
    }
}

/// Where a store writes a snapshot's lines, in order: [`header`], then rows,
/// then ops. It serialises them and hands them on to be compressed.
///
/// [`header`]: SnapshotWriter::header
pub struct SnapshotWriter {
    hub_time_ms: u64,
    piece: Vec<u8>,
    pieces: mpsc::Sender<Vec<u8>>,
    position: Option<(u64, String)>,
    rows: u64,
    ops: u64,
}

impl SnapshotWriter {
    /// The first line: the feed position everything after it was read at,
    /// and the chain there of each scope of `grant` (`chains`).
    pub async fn header(&mut self, position: u64, grant: &Grant, chains: &ScopeChains) -> Result<(), HubError> {
        let grant_tag = grant.tag();
        let header: SnapshotItem<RawOpEnvelope> = SnapshotItem::Header {
            cursor: cursor::encode(position, &grant_tag),
            position,
            scopes: chains
                .iter()
                .filter(|(scope, _)| grant.covers_key(scope))
                .map(|(scope, chain)| (scope.clone(), chain_hex(chain)))
                .collect(),
            hub_time_ms: self.hub_time_ms,
        };
        self.position = Some((position, grant_tag));
        self.line(&header).await
    }

    /// A record, from its stored JSON columns (written by the hub itself,
    /// compact JSON objects), copied into the line as they are.
    pub async fn row(
        &mut self,
        entity: Entity,
        row_id: Uuid,
        fields_json: &str,
        stamps_json: &str,
    ) -> Result<(), HubError> {
        self.rows += 1;
        let line = &mut self.piece;
        line.extend_from_slice(b"{\"kind\":\"row\",\"entity\":\"");
        line.extend_from_slice(entity_name(entity).as_bytes());
        line.extend_from_slice(b"\",\"row_id\":\"");
        line.extend_from_slice(row_id.hyphenated().encode_lower(&mut Uuid::encode_buffer()).as_bytes());
        line.extend_from_slice(b"\",\"fields\":");
        line.extend_from_slice(fields_json.as_bytes());
        line.extend_from_slice(b",\"stamps\":");
        line.extend_from_slice(stamps_json.as_bytes());
        line.extend_from_slice(b"}\n");
        self.flush_if_full().await
    }

    /// A fact or request of the feed, at its position.
    pub async fn op(&mut self, position: u64, op: RawOpEnvelope) -> Result<(), HubError> {
        self.ops += 1;
        self.line(&SnapshotItem::Op { position, op }).await
    }

    async fn line(&mut self, item: &SnapshotItem<RawOpEnvelope>) -> Result<(), HubError> {
        serde_json::to_writer(&mut self.piece, item).map_err(|_| HubError::corrupt("a snapshot line"))?;
        self.piece.push(b'\n');
        self.flush_if_full().await
    }

    async fn flush_if_full(&mut self) -> Result<(), HubError> {
        if self.piece.len() >= PIECE_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), HubError> {
        let piece = std::mem::replace(&mut self.piece, Vec::with_capacity(PIECE_BYTES + 4096));
        self.pieces
            .send(piece)
            .await
            .map_err(|_| HubError::corrupt("the snapshot compressor stopped"))
    }
}

/// Builds a tenant's snapshot for `grant` now: the store writes the lines,
/// a blocking thread compresses them as they come.
pub async fn build(store: &dyn HubStore, tenant_id: Uuid, grant: Grant, now_ms: u64) -> Result<Snapshot, HubError> {
    let (sender, mut receiver) = mpsc::channel::<Vec<u8>>(4);
    let compressor = tokio::task::spawn_blocking(move || {
        let mut gzip = GzEncoder::new(Vec::new(), Compression::new(6));
        while let Some(piece) = receiver.blocking_recv() {
            gzip.write_all(&piece)?;
        }
        gzip.finish()
    });
    let mut writer = SnapshotWriter {
        hub_time_ms: now_ms,
        piece: Vec::with_capacity(PIECE_BYTES + 4096),
        pieces: sender,
        position: None,
        rows: 0,
        ops: 0,
    };
    store.write_snapshot(tenant_id, grant, &mut writer).await?;
    let (position, grant_tag) = writer
        .position
        .take()
        .ok_or_else(|| HubError::corrupt("the store wrote a snapshot without a header"))?;
    let (rows, ops) = (writer.rows, writer.ops);
    writer.line(&SnapshotItem::End { rows, ops }).await?;
    writer.flush().await?;
    drop(writer);
    let body = compressor.await??;
    Ok(Snapshot {
        position,
        grant_tag,
        built_ms: now_ms,
        rows,
        ops,
        body: Bytes::from(body),
    })
}

/// One tenant's latest snapshot, behind the lock its builds take.
type Slot = Arc<tokio::sync::Mutex<Option<Arc<Snapshot>>>>;

/// A tenant and grant.
type SlotKey = (Uuid, String);

/// A slot with its size and when it was last answered from.
#[derive(Default)]
struct Entry {
    slot: Slot,
    bytes: usize,
    used_ms: u64,
}

/// The latest snapshot of each tenant and grant, built once for many
/// callers.
#[derive(Default)]
pub struct SnapshotCache {
    slots: Mutex<HashMap<SlotKey, Entry>>,
    builds: AtomicU64,
}

/// Drops the entries used longest ago, never `keep`, until the rest hold
/// at most `budget_bytes` (or only `keep` is left).
fn evict(entries: &mut HashMap<SlotKey, Entry>, keep: &SlotKey, budget_bytes: usize) {
    let mut total: usize = entries.values().map(|entry| entry.bytes).sum();
    while total > budget_bytes {
        let oldest = entries
            .iter()
            .filter(|(key, _)| *key != keep)
            .min_by_key(|(_, entry)| entry.used_ms)
            .map(|(key, _)| key.clone());
        let Some(oldest) = oldest else { return };
        if let Some(dropped) = entries.remove(&oldest) {
            total -= dropped.bytes;
        }
    }
}

impl SnapshotCache {
    /// The tenant's snapshot for `grant`: the cached one while it is
    /// younger than `rules.max_age_ms` or the feed has not moved since,
    /// else a new one. Callers arriving during a build wait for it and
    /// share its result.
    pub async fn latest(
        &self,
        store: &dyn HubStore,
        tenant_id: Uuid,
        grant: Grant,
        now_ms: u64,
        rules: CacheRules,
    ) -> Result<Arc<Snapshot>, HubError> {
        let key = (tenant_id, grant.key());
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            slots.entry(key.clone()).or_default().slot.clone()
        };
        let snapshot = self
            .latest_in(&slot, store, tenant_id, grant, now_ms, rules.max_age_ms)
            .await?;
        let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // A slot evicted meanwhile is not put back: the next caller builds.
        if let Some(entry) = slots.get_mut(&key).filter(|entry| Arc::ptr_eq(&entry.slot, &slot)) {
            entry.bytes = snapshot.body.len();
            entry.used_ms = now_ms;
            evict(&mut slots, &key, rules.max_bytes);
        }
        Ok(snapshot)
    }

    async fn latest_in(
        &self,
        slot: &Slot,
        store: &dyn HubStore,
        tenant_id: Uuid,
        grant: Grant,
        now_ms: u64,
        max_age_ms: u64,
    ) -> Result<Arc<Snapshot>, HubError> {
        let mut held = slot.lock().await;
        if let Some(cached) = held.as_ref() {
            let young = now_ms.saturating_sub(cached.built_ms) < max_age_ms;
            if young || store.feed_head(tenant_id).await? == cached.position {
                return Ok(cached.clone());
            }
        }
        let built = Arc::new(build(store, tenant_id, grant, now_ms).await?);
        self.builds.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            %tenant_id,
            grant = grant.key(),
            position = built.position,
            rows = built.rows,
            ops = built.ops,
            gzip_bytes = built.body.len(),
            "snapshot built"
        );
        *held = Some(built.clone());
        Ok(built)
    }

    /// How many snapshots this cache has built (for tests and metrics).
    pub fn builds(&self) -> u64 {
        self.builds.load(Ordering::Relaxed)
    }

    /// How many snapshots the cache holds, and their bytes.
    pub fn held(&self) -> (usize, usize) {
        let slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        (slots.len(), slots.values().map(|entry| entry.bytes).sum())
    }
}

/// When a cached snapshot is built again, and how much the cache keeps.
#[derive(Clone, Copy, Debug)]
pub struct CacheRules {
    pub max_age_ms: u64,
    pub max_bytes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(bytes: usize, used_ms: u64) -> Entry {
        Entry {
            slot: Slot::default(),
            bytes,
            used_ms,
        }
    }

    fn key(n: u128) -> SlotKey {
        (Uuid::from_u128(n), "shared".to_string())
    }

    #[test]
    fn the_snapshots_used_longest_ago_go_first_and_never_the_one_just_asked_for() {
        let mut entries: HashMap<SlotKey, Entry> = [
            (key(1), entry(40, 100)),
            (key(2), entry(40, 300)),
            (key(3), entry(40, 200)),
        ]
        .into_iter()
        .collect();
        evict(&mut entries, &key(1), 120);
        assert_eq!(entries.len(), 3, "within the budget, nothing goes");
        evict(&mut entries, &key(1), 80);
        let mut left: Vec<SlotKey> = entries.keys().cloned().collect();
        left.sort();
        assert_eq!(left, [key(1), key(2)], "the one used at 200 goes; 1 was just asked for");
        // One snapshot bigger than the whole budget is still answered from.
        evict(&mut entries, &key(1), 10);
        assert_eq!(entries.keys().cloned().collect::<Vec<_>>(), [key(1)]);
    }
}
