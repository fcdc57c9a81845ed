//! Snapshot reads on PostgreSQL: one `REPEATABLE READ READ ONLY`
//! transaction, so the head, the records and the feed are all seen as of
//! one moment, streamed row by row into the writer. Only the records and
//! entries of the device's scopes are read; for a salesperson's device,
//! the customers assigned to them now, with every entry about those
//! customers whichever scope it was written in (but orders, which stay in
//! their salesperson's scope).

use futures_util::TryStreamExt;
use sqlx::Row;
use stockroom_protocol::sync::FeedChange;
use uuid::Uuid;

use super::{feed_entry, PostgresStore};
use crate::error::HubError;
use crate::records::{entity_name, parse_entity};
use crate::scopes::{parse_scope_chains, Grant, Scope};
use crate::snapshot::SnapshotWriter;
use crate::store::rows::to_i64;

impl PostgresStore {
    pub(super) async fn write_snapshot_inner(
        &self,
        tenant_id: Uuid,
        grant: Grant,
        out: &mut SnapshotWriter,
    ) -> Result<(), HubError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let (head, scope_chains): (i64, Option<String>) =
            sqlx::query_as("SELECT feed_head, scope_chains FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or((0, Some("{}".to_string())));
        let scope_chains =
            scope_chains.ok_or_else(|| HubError::corrupt(format!("tenant {tenant_id} has entries with no scopes")))?;
        let mut chains = parse_scope_chains(&scope_chains)?;
        chains.retain(|scope, _| grant.covers_key(scope));
        let own_customers = grant.own_customers();
        // A salesperson's customers come by customer (below), not by scope.
        let scopes: Vec<String> = chains
            .keys()
            .filter(|key| own_customers.is_none() || !Scope::parse(key).is_some_and(|scope| scope.is_customers()))
            .cloned()
            .collect();
        out.header(head as u64, &grant, &chains).await?;

        {
            let entities: Vec<&str> = grant.entities().into_iter().map(entity_name).collect();
            let mut rows = sqlx::query_as::<_, (String, Uuid, String, String)>(
                "SELECT entity, row_id, fields::text, stamps::text FROM records
                 WHERE tenant_id = $1 AND entity = ANY($2::text[])
                   AND (entity <> 'customer' OR $3::uuid IS NULL OR salesperson_id = $3)
                 ORDER BY entity, row_id",
            )
            .bind(tenant_id)
            .bind(entities)
            .bind(own_customers)
            .fetch(&mut *tx);
            while let Some((entity, row_id, fields, stamps)) = rows.try_next().await? {
                out.row(parse_entity(&entity)?, row_id, &fields, &stamps).await?;
            }
        }

        {
            // An order is never a customer's history (a hub of an older
            // build noted orders' customers too).
            let mut ops = sqlx::query(
                "SELECT f.position, o.op_id, o.device_id, o.epoch, o.seq, o.effective_hlc, o.user_id, o.type_version,
                        o.op_type, o.payload::text AS payload
                 FROM feed f JOIN op_log o ON o.op_id = f.op_id
                 WHERE f.tenant_id = $1 AND f.position <= $2 AND o.op_type <> 'fields.set'
                   AND (f.position IN (SELECT position FROM feed_scopes
                                       WHERE tenant_id = $1 AND scope = ANY($3::text[]) AND position <= $2)
                        OR (o.op_type <> 'order.submitted'
                            AND f.position IN (SELECT c.position FROM feed_customers c
                                               JOIN records r ON r.tenant_id = c.tenant_id AND r.entity = 'customer'
                                                             AND r.row_id = c.customer_id
                                               WHERE c.tenant_id = $1 AND r.salesperson_id = $4 AND c.position <= $2)))
                 ORDER BY f.position",
            )
            .bind(tenant_id)
            .bind(to_i64(head as u64, "position")?)
            .bind(&scopes)
            .bind(own_customers)
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
