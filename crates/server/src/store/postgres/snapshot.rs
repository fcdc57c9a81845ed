//! Snapshot reads on PostgreSQL: one `REPEATABLE READ READ ONLY`
//! transaction, so the head, the records and the feed are all seen as of
//! one moment, streamed row by row into the writer.

use futures_util::TryStreamExt;
use sqlx::Row;
use stockroom_protocol::sync::FeedChange;
use uuid::Uuid;

use super::{chain_of, feed_entry, PostgresStore};
use crate::error::HubError;
use crate::records::parse_entity;
use crate::snapshot::SnapshotWriter;
use crate::store::rows::to_i64;

impl PostgresStore {
    pub(super) async fn write_snapshot_inner(&self, tenant_id: Uuid, out: &mut SnapshotWriter) -> Result<(), HubError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let (head, chain): (i64, Vec<u8>) = sqlx::query_as("SELECT feed_head, feed_chain FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or((0, stockroom_protocol::snapshot::GENESIS_CHAIN.to_vec()));
        out.header(head as u64, chain_of(chain)?).await?;

        {
            let mut rows = sqlx::query_as::<_, (String, Uuid, String, String)>(
                "SELECT entity, row_id, fields::text, stamps::text FROM records WHERE tenant_id = $1
                 ORDER BY entity, row_id",
            )
            .bind(tenant_id)
            .fetch(&mut *tx);
            while let Some((entity, row_id, fields, stamps)) = rows.try_next().await? {
                out.row(parse_entity(&entity)?, row_id, &fields, &stamps).await?;
            }
        }

        {
            let mut ops = sqlx::query(
                "SELECT f.position, o.op_id, o.device_id, o.epoch, o.seq, o.effective_hlc, o.user_id, o.type_version,
                        o.op_type, o.payload::text AS payload
                 FROM feed f JOIN op_log o ON o.op_id = f.op_id
                 WHERE f.tenant_id = $1 AND f.position <= $2 AND o.op_type <> 'fields.set'
                 ORDER BY f.position",
            )
            .bind(tenant_id)
            .bind(to_i64(head as u64, "position")?)
            .fetch(&mut *tx);
            while let Some(row) = ops.try_next().await? {
                let entry = feed_entry(&row)?;
                let position: i64 = row.try_get("position")?;
                if let FeedChange::Op(op) = entry.change {
                    out.op(position as u64, op).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
