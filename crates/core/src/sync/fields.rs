//! Merging class-F field values from the feed (or a snapshot) into a
//! record, field by field: the higher `(hlc, device id)` wins. Fields this
//! device wrote and the hub has not confirmed yet (`field_pending`) keep the
//! best confirmed value aside, so when the own op comes back, with the
//! hub's stamp, or is refused, the field settles where every other device
//! settles.

use std::collections::HashMap;

use serde_json::Value;
use stockroom_protocol::ops::Entity;
use stockroom_protocol::Hlc;
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::records::{columns_of, entity_name, table_of};
use crate::store::WriteTx;

/// Who wrote a field: compared by HLC, then by device id (as stored: the
/// lower-case hyphenated text, whose order is the id's order).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp {
    pub hlc: i64,
    pub device: String,
}

impl Stamp {
    pub(crate) fn new(hlc: Hlc, device_id: Uuid) -> Stamp {
        Stamp {
            hlc: hlc.to_i64(),
            device: device_id.to_string(),
        }
    }
}

/// One incoming field: its name, value and stamp.
pub(crate) struct IncomingField<'a> {
    pub name: &'a str,
    pub value: &'a Value,
    pub stamp: Stamp,
}

/// A pending own write to a field, as stored.
struct Pending {
    own_op_id: String,
    confirmed: Option<(Value, Stamp)>,
}

/// The better of two stamped values.
fn better(current: Option<(Value, Stamp)>, incoming: (Value, Stamp)) -> (Value, Stamp) {
    match current {
        Some(current) if current.1 >= incoming.1 => current,
        _ => incoming,
    }
}

pub(crate) fn bind_json<'q>(
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    value: &'q Value,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    match value {
        Value::Null => query.bind(None::<String>),
        Value::Bool(flag) => query.bind(i64::from(*flag)),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => query.bind(integer),
            None => query.bind(number.as_f64()),
        },
        Value::String(text) => query.bind(text.as_str()),
        other => query.bind(other.to_string()),
    }
}

impl WriteTx<'_> {
    /// Merges `fields` into record `row_id` of `entity`, creating the record
    /// if this device has none. `own_op` is set when the op came from this
    /// device (it is coming back through the feed). With `snapshot`, the
    /// fields are the hub's state at the snapshot's position and replace
    /// what this device holds, except own writes the hub has not seen yet
    /// (still in the outbox), which stay on top until they come back. Unknown field names are
    /// skipped. Fails when a new record lacks a required field or breaks a
    /// uniqueness rule; the caller records that and goes on.
    pub(crate) async fn merge_fields(
        &mut self,
        entity: Entity,
        row_id: Uuid,
        fields: &[IncomingField<'_>],
        own_op: Option<Uuid>,
        snapshot: bool,
    ) -> Result<()> {
        let known = columns_of(entity);
        let fields: Vec<&IncomingField<'_>> = fields.iter().filter(|field| known.contains(&field.name)).collect();
        if fields.is_empty() {
            return Ok(());
        }
        let table = table_of(entity);
        let entity_text = entity_name(entity);
        let row_text = row_id.to_string();
        let row_stamp: Option<(i64, String)> =
            sqlx::query_as(&format!("SELECT hlc, hlc_device FROM {table} WHERE id = ?"))
                .bind(&row_text)
                .fetch_optional(self.conn())
                .await?;
        let Some((row_hlc, row_device)) = row_stamp else {
            return self.insert_merged(entity, row_id, &fields).await;
        };
        let row_stamp = Stamp {
            hlc: row_hlc,
            device: row_device,
        };

        let stamps: HashMap<String, Stamp> = sqlx::query_as::<_, (String, i64, String)>(
            "SELECT field, hlc, hlc_device FROM field_stamps WHERE entity = ? AND row_id = ?",
        )
        .bind(entity_text)
        .bind(&row_text)
        .fetch_all(self.conn())
        .await?
        .into_iter()
        .map(|(field, hlc, device)| (field, Stamp { hlc, device }))
        .collect();
        let pending: HashMap<String, Pending> =
            sqlx::query_as::<_, (String, String, Option<String>, Option<i64>, Option<String>)>(
                "SELECT field, own_op_id, confirmed_value, confirmed_hlc, confirmed_device FROM field_pending
             WHERE entity = ? AND row_id = ?",
            )
            .bind(entity_text)
            .bind(&row_text)
            .fetch_all(self.conn())
            .await?
            .into_iter()
            .map(|(field, own_op_id, value, hlc, device)| {
                let confirmed = match (value, hlc, device) {
                    (Some(value), Some(hlc), Some(device)) => serde_json::from_str(&value)
                        .ok()
                        .map(|value: Value| (value, Stamp { hlc, device })),
                    _ => None,
                };
                (field, Pending { own_op_id, confirmed })
            })
            .collect();

        let own_op_text = own_op.map(|id| id.to_string());
        let mut winners: Vec<(&str, Value, Stamp)> = Vec::new();
        for field in fields {
            let current = stamps.get(field.name).unwrap_or(&row_stamp);
            let incoming = (field.value.clone(), field.stamp.clone());
            if snapshot {
                match pending.get(field.name) {
                    Some(held) if self.in_outbox(&held.own_op_id).await? => {
                        self.keep_confirmed(entity_text, &row_text, field.name, &incoming)
                            .await?;
                        if incoming.1 > *current {
                            winners.push((field.name, incoming.0, incoming.1));
                        }
                    }
                    Some(_) => {
                        // The hub has the own write: the snapshot includes it.
                        self.release_pending(entity_text, &row_text, field.name).await?;
                        winners.push((field.name, incoming.0, incoming.1));
                    }
                    None => winners.push((field.name, incoming.0, incoming.1)),
                }
                continue;
            }
            match pending.get(field.name) {
                Some(held) if own_op_text.as_deref() == Some(held.own_op_id.as_str()) => {
                    // The latest own write is back: the field becomes the
                    // better of it (with the hub's stamp) and what the feed
                    // confirmed meanwhile.
                    let (value, stamp) = better(held.confirmed.clone(), incoming);
                    self.release_pending(entity_text, &row_text, field.name).await?;
                    winners.push((field.name, value, stamp));
                }
                Some(held) => {
                    let held_own_stamp = held.confirmed.as_ref().is_some_and(|(_, stamp)| {
                        own_op.is_some() && stamp.device == incoming.1.device && stamp.hlc > incoming.1.hlc
                    });
                    let confirmed = if held_own_stamp {
                        // What was held is this very op's value at the stamp
                        // it was written with (a new record edited before
                        // the hub saw it): the hub's stamp replaces it.
                        incoming.clone()
                    } else {
                        better(held.confirmed.clone(), incoming.clone())
                    };
                    self.keep_confirmed(entity_text, &row_text, field.name, &confirmed)
                        .await?;
                    if incoming.1 > *current {
                        winners.push((field.name, incoming.0, incoming.1));
                    }
                }
                None if incoming.1 > *current => winners.push((field.name, incoming.0, incoming.1)),
                None if own_op.is_some() && incoming.1.device == current.device && incoming.1 < *current => {
                    // This device's own write came back with a lower stamp
                    // (the hub clamped a clock running ahead): adopt it.
                    winners.push((field.name, incoming.0, incoming.1));
                }
                None => {}
            }
        }
        self.write_winners(entity, &row_text, &winners).await
    }

    /// A record this device does not have yet: inserted with the incoming
    /// fields; the lowest stamp becomes the row stamp, higher ones are kept
    /// per field.
    async fn insert_merged(&mut self, entity: Entity, row_id: Uuid, fields: &[&IncomingField<'_>]) -> Result<()> {
        let row_stamp = fields
            .iter()
            .map(|field| field.stamp.clone())
            .min()
            .ok_or_else(|| CoreError::invalid("fields", "nothing to insert"))?;
        let columns: Vec<&str> = fields.iter().map(|field| field.name).collect();
        let sql = format!(
            "INSERT INTO {} (id, {}, hlc, hlc_device) VALUES ({})",
            table_of(entity),
            columns.join(", "),
            vec!["?"; fields.len() + 3].join(", ")
        );
        let mut query = sqlx::query(&sql).bind(row_id.to_string());
        for field in fields {
            query = bind_json(query, field.value);
        }
        query
            .bind(row_stamp.hlc)
            .bind(row_stamp.device.clone())
            .execute(self.conn())
            .await?;
        let row_text = row_id.to_string();
        for field in fields.iter().filter(|field| field.stamp > row_stamp) {
            self.set_field_stamp(entity_name(entity), &row_text, field.name, &field.stamp)
                .await?;
        }
        Ok(())
    }

    /// Writes the fields that won, with their stamps.
    async fn write_winners(&mut self, entity: Entity, row_text: &str, winners: &[(&str, Value, Stamp)]) -> Result<()> {
        if winners.is_empty() {
            return Ok(());
        }
        let assignments: Vec<String> = winners.iter().map(|(name, _, _)| format!("{name} = ?")).collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE id = ?",
            table_of(entity),
            assignments.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (_, value, _) in winners {
            query = bind_json(query, value);
        }
        query.bind(row_text).execute(self.conn()).await?;
        for (name, _, stamp) in winners {
            self.set_field_stamp(entity_name(entity), row_text, name, stamp).await?;
        }
        Ok(())
    }

    async fn set_field_stamp(&mut self, entity: &str, row_text: &str, field: &str, stamp: &Stamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO field_stamps (entity, row_id, field, hlc, hlc_device) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, hlc_device = excluded.hlc_device",
        )
        .bind(entity)
        .bind(row_text)
        .bind(field)
        .bind(stamp.hlc)
        .bind(&stamp.device)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn keep_confirmed(
        &mut self,
        entity: &str,
        row_text: &str,
        field: &str,
        confirmed: &(Value, Stamp),
    ) -> Result<()> {
        sqlx::query(
            "UPDATE field_pending SET confirmed_value = ?, confirmed_hlc = ?, confirmed_device = ?
             WHERE entity = ? AND row_id = ? AND field = ?",
        )
        .bind(confirmed.0.to_string())
        .bind(confirmed.1.hlc)
        .bind(&confirmed.1.device)
        .bind(entity)
        .bind(row_text)
        .bind(field)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn in_outbox(&mut self, op_id: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM outbox WHERE op_id = ?")
            .bind(op_id)
            .fetch_optional(self.conn())
            .await?;
        Ok(found.is_some())
    }

    async fn release_pending(&mut self, entity: &str, row_text: &str, field: &str) -> Result<()> {
        sqlx::query("DELETE FROM field_pending WHERE entity = ? AND row_id = ? AND field = ?")
            .bind(entity)
            .bind(row_text)
            .bind(field)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The hub refused own op `op_id`: every field it was the latest
    /// pending write of goes back to the confirmed value (a refused new
    /// record, with nothing confirmed, stays as it is and the refusal is
    /// shown).
    pub(crate) async fn revert_refused_fields(&mut self, op_id: Uuid) -> Result<()> {
        let held: Vec<HeldField> = sqlx::query_as(
            "SELECT entity, row_id, field, confirmed_value, confirmed_hlc, confirmed_device FROM field_pending
             WHERE own_op_id = ?",
        )
        .bind(op_id.to_string())
        .fetch_all(self.conn())
        .await?;
        for HeldField {
            entity: entity_text,
            row_id: row_text,
            field,
            confirmed_value: value,
            confirmed_hlc: hlc,
            confirmed_device: device,
        } in held
        {
            self.release_pending(&entity_text, &row_text, &field).await?;
            let Some(entity) = entity_from_name(&entity_text) else {
                continue;
            };
            let Some(name) = columns_of(entity).iter().find(|known| **known == field) else {
                continue;
            };
            if let (Some(value), Some(hlc), Some(device)) = (value, hlc, device) {
                let value: Value =
                    serde_json::from_str(&value).map_err(|_| CoreError::corrupt("pending field value"))?;
                self.write_winners(entity, &row_text, &[(name, value, Stamp { hlc, device })])
                    .await?;
            }
        }
        Ok(())
    }
}

/// A `field_pending` row as read back.
#[derive(sqlx::FromRow)]
struct HeldField {
    entity: String,
    row_id: String,
    field: String,
    confirmed_value: Option<String>,
    confirmed_hlc: Option<i64>,
    confirmed_device: Option<String>,
}

/// The entity stored under `name` in `field_stamps` and `field_pending`.
fn entity_from_name(name: &str) -> Option<Entity> {
    Entity::ALL.into_iter().find(|entity| entity_name(*entity) == name)
}
