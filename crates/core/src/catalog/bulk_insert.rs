//! Inserting many new class-F records in one write, as an import does: each
//! record is stamped and its `fields.set` op appended at once, in order,
//! while the rows themselves are buffered and written in multi-row
//! statements. Every statement crosses to SQLite's thread, so fewer of them
//! is most of an import's speed.

use serde_json::{Map, Value};
use stockroom_protocol::ops::{Entity, FieldsSet};
use stockroom_protocol::{Hlc, Op};
use uuid::Uuid;

use crate::error::Result;
use crate::records::{table_of, FieldValue};
use crate::store::WriteTx;

/// Bound values per statement stay well under SQLite's 32,766.
const MAX_VALUES_PER_STATEMENT: usize = 8_000;

/// New records of one entity, all with the same fields, waiting to be
/// written.
pub(crate) struct BulkInsert {
    entity: Entity,
    columns: Vec<&'static str>,
    rows: Vec<(Uuid, Hlc, Vec<FieldValue>)>,
    rows_per_statement: usize,
}

impl BulkInsert {
    /// Records of `entity` carrying exactly `columns`, in that order.
    pub(crate) fn new(entity: Entity, columns: &[&'static str]) -> BulkInsert {
        BulkInsert {
            entity,
            columns: columns.to_vec(),
            rows: Vec::new(),
            rows_per_statement: (MAX_VALUES_PER_STATEMENT / (columns.len() + 3)).max(1),
        }
    }

    /// Whether enough rows wait to fill a statement.
    pub(crate) fn is_full(&self) -> bool {
        self.rows.len() >= self.rows_per_statement
    }

    /// Stamps a new record, appends its op (every field, as
    /// `WriteTx::insert_record` would) and buffers its row.
    pub(crate) async fn push(
        &mut self,
        write: &mut WriteTx<'_>,
        row_id: Uuid,
        fields: Vec<(&'static str, FieldValue)>,
    ) -> Result<()> {
        debug_assert!(fields.iter().map(|(name, _)| *name).eq(self.columns.iter().copied()));
        let hlc = write.stamp();
        let op = Op::FieldsSet(FieldsSet {
            entity: self.entity,
            row_id,
            fields: fields
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_json()))
                .collect::<Map<String, Value>>(),
        });
        write.append_op(hlc, &op).await?;
        self.rows
            .push((row_id, hlc, fields.into_iter().map(|(_, value)| value).collect()));
        Ok(())
    }

    /// Writes every buffered row.
    pub(crate) async fn flush(&mut self, write: &mut WriteTx<'_>) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let device = write.device_text.clone();
        let rows = std::mem::take(&mut self.rows);
        let one_row = format!("({})", vec!["?"; self.columns.len() + 3].join(", "));
        for chunk in rows.chunks(self.rows_per_statement) {
            let sql = format!(
                "INSERT INTO {} (id, {}, hlc, hlc_device) VALUES {}",
                table_of(self.entity),
                self.columns.join(", "),
                vec![one_row.as_str(); chunk.len()].join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (row_id, hlc, values) in chunk {
                query = query.bind(row_id.to_string());
                for value in values {
                    query = value.bind(query);
                }
                query = query.bind(hlc.to_i64()).bind(device.clone());
            }
            query.execute(write.conn()).await?;
        }
        Ok(())
    }
}
