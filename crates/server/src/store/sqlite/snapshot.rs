//! Snapshot reads on SQLite: one read transaction on a read-only connection
//! (in WAL mode its first read fixes the view it keeps to the end), so the
//! head, the records and the feed are all seen as of one moment, streamed
//! row by row into the writer. Only the records and entries of the device's
//! scopes are read; for a salesperson's device, the customers assigned to
//! them now, with every entry about those customers whichever scope it was
//! written in (but orders, which stay in their salesperson's scope).

use futures_util::TryStreamExt;
use sqlx::{QueryBuilder, Row, Sqlite};
use stockroom_protocol::sync::FeedChange;
use uuid::Uuid;

use super::{feed_entry, parse_uuid, SqliteStore};
use crate::error::HubError;
use crate::records::{entity_name, parse_entity};
use crate::scopes::{parse_scope_chains, Grant, Scope};
use crate::snapshot::SnapshotWriter;
use crate::store::rows::to_i64;

impl SqliteStore {
    pub(super) async fn write_snapshot_inner(
        &self,
        tenant_id: Uuid,
        grant: Grant,
        out: &mut SnapshotWriter,
    ) -> Result<(), HubError> {
        let mut tx = self.reader.begin().await?;
        let tenant = tenant_id.to_string();
        let (head, scope_chains): (i64, Option<String>) =
            sqlx::query_as("SELECT feed_head, scope_chains FROM tenants WHERE id = $1")
                .bind(&tenant)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or((0, Some("{}".to_string())));
        let scope_chains =
            scope_chains.ok_or_else(|| HubError::corrupt(format!("tenant {tenant_id} has entries with no scopes")))?;
        let mut chains = parse_scope_chains(&scope_chains)?;
        chains.retain(|scope, _| grant.covers_key(scope));
        out.header(head as u64, &grant, &chains).await?;
        let own_customers = grant.own_customers().map(|id| id.to_string());
        // A salesperson's customers come by customer (below), not by scope.
        let scopes: Vec<&str> = chains
            .keys()
            .filter(|key| own_customers.is_none() || !Scope::parse(key).is_some_and(|scope| scope.is_customers()))
            .map(String::as_str)
            .collect();

        {
            let mut select =
                QueryBuilder::<Sqlite>::new("SELECT entity, row_id, fields, stamps FROM records WHERE tenant_id = ");
            select.push_bind(&tenant);
            select.push(" AND entity IN (");
            let mut values = select.separated(", ");
            for entity in grant.entities() {
                values.push_bind(entity_name(entity));
            }
            select.push(")");
            if let Some(salesperson) = &own_customers {
                select.push(" AND (entity <> 'customer' OR salesperson_id = ");
                select.push_bind(salesperson);
                select.push(")");
            }
            select.push(" ORDER BY entity, row_id");
            let mut rows = select
                .build_query_as::<(String, String, String, String)>()
                .fetch(&mut *tx);
            while let Some((entity, row_id, fields, stamps)) = rows.try_next().await? {
                out.row(parse_entity(&entity)?, parse_uuid(&row_id)?, &fields, &stamps)
                    .await?;
            }
        }

        if !chains.is_empty() {
            let mut select = QueryBuilder::<Sqlite>::new(
                "SELECT f.position, o.op_id, o.device_id, o.epoch, o.seq, o.effective_hlc, o.user_id, o.type_version,
                        o.op_type, o.payload
                 FROM feed f JOIN op_log o ON o.op_id = f.op_id
                 WHERE f.tenant_id = ",
            );
            select.push_bind(&tenant);
            select.push(" AND f.position <= ");
            select.push_bind(to_i64(head as u64, "position")?);
            select.push(" AND o.op_type <> 'fields.set' AND (f.position IN (SELECT position FROM feed_scopes WHERE tenant_id = ");
            select.push_bind(&tenant);
            select.push(" AND scope IN (");
            let mut values = select.separated(", ");
            for scope in &scopes {
                values.push_bind(*scope);
            }
            if scopes.is_empty() {
                values.push("NULL");
            }
            select.push("))");
            if let Some(salesperson) = &own_customers {
                // An order is never a customer's history (a hub of an
                // older build noted orders' customers too).
                select.push(
                    " OR (o.op_type <> 'order.submitted' AND f.position IN (SELECT c.position FROM feed_customers c
                         JOIN records r ON r.tenant_id = c.tenant_id AND r.entity = 'customer' AND r.row_id = c.customer_id
                         WHERE c.tenant_id = ",
                );
                select.push_bind(&tenant);
                select.push(" AND r.salesperson_id = ");
                select.push_bind(salesperson);
                select.push("))");
            }
            select.push(") ORDER BY f.position");
            let mut ops = select.build().fetch(&mut *tx);
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
