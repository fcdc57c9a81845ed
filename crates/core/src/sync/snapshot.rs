//! Loading a hub snapshot (gzip NDJSON of `SnapshotItem`s) of this device's
//! scopes: in ONE transaction, the records merged field by field, the facts
//! and requests applied as the feed would, and the pull cursor and each
//! scope's chain set to the snapshot's position. A cut or unreadable body
//! loads nothing.
//!
//! A new device (nothing of an entity yet) takes that entity's records in
//! multi-row inserts, the fast path that gets a till with 100k products
//! ready in seconds; a device that already has records merges each one.
//! A device that has sent everything takes its ledgers afresh from the
//! snapshot (`rebuild`), so nothing of a scope it lost stays.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use serde_json::Value;
use stockroom_protocol::ops::Entity;
use stockroom_protocol::snapshot::{parse_chain, SnapshotItem, SnapshotRow};
use stockroom_protocol::sync::{FeedChange, FeedEntry, RawOpEnvelope};
use uuid::Uuid;

use super::fields::{IncomingField, Stamp};
use super::local::apply_entries;
use crate::error::{CoreError, Result};
use crate::records::{columns_of, entity_name, table_of};
use crate::store::{Store, WriteTx};

/// What a loaded snapshot held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadedSnapshot {
    pub position: u64,
    pub rows: u64,
    pub ops: u64,
    /// Entries the device could not apply (in the sync inbox).
    pub not_applied: u64,
    /// Whether the device's ledgers and customers were rebuilt from it
    /// (nothing was waiting in the outbox); else it was merged, and another
    /// is due once the outbox is empty.
    pub rebuilt: bool,
}

/// Records per multi-row insert on the fast path.
const ROWS_PER_INSERT: usize = 400;

fn unreadable(line: u64, problem: impl std::fmt::Display) -> CoreError {
    CoreError::Import {
        line,
        problem: format!("snapshot: {problem}"),
    }
}

impl Store {
    /// Loads a decompressed snapshot body from `body`. Fails, changing
    /// nothing, when a line cannot be read or the `end` line is missing or
    /// disagrees with what came.
    pub async fn load_snapshot(&self, body: impl BufRead) -> Result<LoadedSnapshot> {
        let mut write = self.write_as(Uuid::nil()).await?;
        // Records arrive grouped by kind, not parents first: references are
        // checked when the snapshot commits, as a whole.
        sqlx::query("PRAGMA defer_foreign_keys = ON")
            .execute(write.conn())
            .await?;
        let rebuilt_after_flag = super::rebuild::clear_ledgers(write.conn()).await?;
        let mut header: Option<(String, u64, BTreeMap<String, String>, u64)> = None;
        let mut loaded = LoadedSnapshot::default();
        let mut batch: Vec<SnapshotRow> = Vec::new();
        let mut empty_tables: HashMap<Entity, bool> = HashMap::new();
        let mut ops: Vec<FeedEntry<RawOpEnvelope>> = Vec::new();
        let mut ended = false;
        for (index, line) in body.lines().enumerate() {
            let line_no = index as u64 + 1;
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            if ended {
                return Err(unreadable(line_no, "lines after the end"));
            }
            let item: SnapshotItem<RawOpEnvelope> =
                serde_json::from_str(&line).map_err(|err| unreadable(line_no, err))?;
            match item {
                SnapshotItem::Header {
                    cursor,
                    position,
                    scopes,
                    hub_time_ms,
                } if header.is_none() => header = Some((cursor, position, scopes, hub_time_ms)),
                SnapshotItem::Header { .. } => return Err(unreadable(line_no, "a second header")),
                _ if header.is_none() => return Err(unreadable(line_no, "no header first")),
                SnapshotItem::Row(row) => {
                    loaded.rows += 1;
                    batch.push(row);
                    if batch.len() >= ROWS_PER_INSERT {
                        load_rows(&mut write, std::mem::take(&mut batch), &mut empty_tables).await?;
                    }
                }
                SnapshotItem::Op { position, op } => {
                    load_rows(&mut write, std::mem::take(&mut batch), &mut empty_tables).await?;
                    loaded.ops += 1;
                    ops.push(FeedEntry {
                        position,
                        change: FeedChange::Op(op),
                        scopes: Vec::new(),
                    });
                    if ops.len() >= ROWS_PER_INSERT {
                        loaded.not_applied += apply_entries(&mut write, &std::mem::take(&mut ops)).await?.not_applied;
                    }
                }
                SnapshotItem::End { rows, ops: op_count } => {
                    if rows != loaded.rows || op_count != loaded.ops {
                        return Err(unreadable(line_no, "the end line does not match what came"));
                    }
                    ended = true;
                }
            }
        }
        if !ended {
            return Err(unreadable(0, "cut off before its end line"));
        }
        load_rows(&mut write, batch, &mut empty_tables).await?;
        loaded.not_applied += apply_entries(&mut write, &ops).await?.not_applied;
        if let Some(last_flag) = rebuilt_after_flag {
            super::rebuild::drop_repeated_flags(write.conn(), last_flag).await?;
        }
        let (cursor, position, scopes, hub_time_ms) = header.ok_or_else(|| unreadable(0, "no header"))?;
        loaded.position = position;
        // The scopes now are the snapshot's: a scope left out starts afresh.
        sqlx::query("DELETE FROM scope_chains").execute(write.conn()).await?;
        for (scope, chain) in &scopes {
            if parse_chain(chain).is_none() {
                return Err(unreadable(1, format!("the chain of scope {scope}")));
            }
            sqlx::query("INSERT INTO scope_chains (scope, chain) VALUES (?, ?)")
                .bind(scope)
                .bind(chain)
                .execute(write.conn())
                .await?;
        }
        let offset = hub_time_ms as i64 - self.device_clock_ms() as i64;
        loaded.rebuilt = rebuilt_after_flag.is_some();
        sqlx::query(
            "UPDATE sync_state SET pull_cursor = ?, chain = '', clock_offset_ms = ?, last_sync_ms = ?, last_error = NULL,
                                   rebuild_due = ?, enrolled_user_off = 0
             WHERE id = 1",
        )
        .bind(cursor)
        .bind(offset)
        .bind(hub_time_ms as i64)
        .bind(!loaded.rebuilt)
        .execute(write.conn())
        .await?;
        write.commit().await?;
        self.set_clock_offset(offset);
        Ok(loaded)
    }
}

/// Loads a batch of records: into an entity's empty table in multi-row
/// inserts, else merged one by one.
async fn load_rows(
    write: &mut WriteTx<'_>,
    rows: Vec<SnapshotRow>,
    empty_tables: &mut HashMap<Entity, bool>,
) -> Result<()> {
    let mut by_entity: HashMap<Entity, Vec<SnapshotRow>> = HashMap::new();
    for row in rows {
        by_entity.entry(row.entity).or_default().push(row);
    }
    for (entity, rows) in by_entity {
        let empty = match empty_tables.get(&entity) {
            Some(empty) => *empty,
            None => {
                let any: Option<i64> = sqlx::query_scalar(&format!("SELECT 1 FROM {} LIMIT 1", table_of(entity)))
                    .fetch_optional(write.conn())
                    .await?;
                empty_tables.insert(entity, any.is_none());
                any.is_none()
            }
        };
        if empty {
            insert_fresh(write, entity, &rows).await?;
        } else {
            for row in &rows {
                let fields = incoming(row);
                write.merge_fields(entity, row.row_id, &fields, None, true).await?;
            }
        }
    }
    Ok(())
}

fn incoming(row: &SnapshotRow) -> Vec<IncomingField<'_>> {
    row.fields
        .iter()
        .filter_map(|(name, value)| {
            row.stamps.get(name).map(|stamp| IncomingField {
                name: name.as_str(),
                value,
                stamp: Stamp::new(stamp.hlc, stamp.device_id),
            })
        })
        .collect()
}

/// Multi-row inserts of records into a table that had none: every known
/// column (absent fields take NULL), the lowest stamp as the row stamp and
/// the higher ones per field.
async fn insert_fresh(write: &mut WriteTx<'_>, entity: Entity, rows: &[SnapshotRow]) -> Result<()> {
    let columns = columns_of(entity);
    let mut stamps_rows: Vec<(String, &str, Stamp)> = Vec::new();
    let mut values: Vec<(String, Vec<&Value>, Stamp)> = Vec::with_capacity(rows.len());
    for row in rows {
        let fields = incoming(row);
        let Some(row_stamp) = fields.iter().map(|field| field.stamp.clone()).min() else {
            continue;
        };
        let mut row_values = Vec::with_capacity(columns.len());
        for column in columns {
            row_values.push(row.fields.get(*column).unwrap_or(&Value::Null));
        }
        for field in fields.iter().filter(|field| field.stamp > row_stamp) {
            if let Some(known) = columns.iter().find(|column| **column == field.name) {
                stamps_rows.push((row.row_id.to_string(), known, field.stamp.clone()));
            }
        }
        values.push((row.row_id.to_string(), row_values, row_stamp));
    }
    if values.is_empty() {
        return Ok(());
    }
    // Absent fields must not defeat a column's default: leave NULLs out by
    // inserting only columns some record of the batch has.
    let present: Vec<usize> = (0..columns.len())
        .filter(|index| values.iter().any(|(_, row_values, _)| !row_values[*index].is_null()))
        .collect();
    let column_list: Vec<&str> = present.iter().map(|index| columns[*index]).collect();
    let placeholders = format!("({})", vec!["?"; present.len() + 3].join(", "));
    let sql = format!(
        "INSERT INTO {} (id, {}hlc, hlc_device) VALUES {} ON CONFLICT(id) DO NOTHING",
        table_of(entity),
        column_list
            .iter()
            .map(|column| format!("{column}, "))
            .collect::<String>(),
        vec![placeholders.as_str(); values.len()].join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (row_id, row_values, stamp) in &values {
        query = query.bind(row_id.as_str());
        for index in &present {
            query = super::fields::bind_json(query, row_values[*index]);
        }
        query = query.bind(stamp.hlc).bind(stamp.device.as_str());
    }
    query.execute(write.conn()).await?;
    for (row_id, field, stamp) in stamps_rows {
        sqlx::query(
            "INSERT OR REPLACE INTO field_stamps (entity, row_id, field, hlc, hlc_device) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(entity_name(entity))
        .bind(row_id)
        .bind(field)
        .bind(stamp.hlc)
        .bind(stamp.device)
        .execute(write.conn())
        .await?;
    }
    Ok(())
}
