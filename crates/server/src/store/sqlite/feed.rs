//! Reading the feed on SQLite: a page of a device's scopes (in one read
//! transaction, one index range of `feed_scopes` per scope, then the
//! entries by position), and giving scopes to entries written before the
//! feed had them.

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use stockroom_protocol::sync::{FeedChange, FeedEntry, RawOp, RawOpEnvelope};
use stockroom_protocol::Hlc;
use uuid::Uuid;

use super::{chain_of, parse_uuid, SqliteStore, ROWS_PER_STATEMENT};
use crate::error::HubError;
use crate::scopes::{parse_scope_chains, scope_chains_json, Grant, OldEntries};
use crate::store::rows::to_i64;
use crate::store::{FeedPage, PagePlan};

impl SqliteStore {
    pub(super) async fn pull_inner(
        &self,
        tenant_id: Uuid,
        grant: Grant,
        after: u64,
        limit: u32,
    ) -> Result<FeedPage, HubError> {
        // One read transaction: every read below sees the same moment.
        let mut tx = self.reader.begin().await?;
        let tenant = tenant_id.to_string();
        let stored: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT feed_head, scope_chains FROM tenants WHERE id = $1")
                .bind(&tenant)
                .fetch_optional(&mut *tx)
                .await?;
        let (head, scope_chains) = stored.unwrap_or((0, Some("{}".to_string())));
        let head = head as u64;
        let scope_chains =
            scope_chains.ok_or_else(|| HubError::corrupt(format!("tenant {tenant_id} has entries with no scopes")))?;
        let scopes: Vec<String> = parse_scope_chains(&scope_chains)?
            .into_keys()
            .filter(|scope| grant.covers_key(scope))
            .collect();
        let mut rows = Vec::new();
        if after < head {
            for scope in &scopes {
                let found: Vec<(i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT position, chain FROM feed_scopes
                     WHERE tenant_id = $1 AND scope = $2 AND position > $3 AND position <= $4
                     ORDER BY position LIMIT $5",
                )
                .bind(&tenant)
                .bind(scope)
                .bind(to_i64(after, "cursor")?)
                .bind(to_i64(head, "position")?)
                .bind(i64::from(limit) + 1)
                .fetch_all(&mut *tx)
                .await?;
                for (position, chain) in found {
                    rows.push((scope.clone(), position as u64, chain_of(chain)?));
                }
            }
        }
        let plan = PagePlan::new(rows, limit);
        let mut entries = Vec::with_capacity(plan.positions.len());
        for chunk in plan.positions.chunks(ROWS_PER_STATEMENT) {
            let mut select = QueryBuilder::<Sqlite>::new(
                "SELECT f.position, o.op_id, o.device_id, o.epoch, o.seq, o.effective_hlc, o.user_id, o.type_version,
                        o.op_type, o.payload
                 FROM feed f JOIN op_log o ON o.op_id = f.op_id
                 WHERE f.tenant_id = ",
            );
            select.push_bind(&tenant);
            select.push(" AND f.position IN (");
            let mut values = select.separated(", ");
            for (position, _) in chunk {
                values.push_bind(to_i64(*position, "position")?);
            }
            select.push(") ORDER BY f.position");
            let found = select.build().fetch_all(&mut *tx).await?;
            if found.len() != chunk.len() {
                return Err(HubError::corrupt(format!(
                    "tenant {tenant_id}: a scoped feed entry is missing"
                )));
            }
            for (row, (_, scopes)) in found.iter().zip(chunk) {
                let mut entry = feed_entry(row)?;
                entry.scopes = scopes.clone();
                entries.push(entry);
            }
        }
        tx.commit().await?;
        Ok(FeedPage {
            entries,
            next: plan.next(after, head),
            more: plan.more,
            scope_chains: plan.scope_chains,
            head,
        })
    }

    pub(super) async fn scope_old_entries_inner(&self) -> Result<(), HubError> {
        let tenants: Vec<String> = sqlx::query_scalar("SELECT id FROM tenants WHERE scope_chains IS NULL")
            .fetch_all(&self.writer)
            .await?;
        for tenant in tenants {
            let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
            let unscoped: Option<Option<String>> = sqlx::query_scalar("SELECT scope_chains FROM tenants WHERE id = $1")
                .bind(&tenant)
                .fetch_optional(&mut *tx)
                .await?;
            if !matches!(unscoped, Some(None)) {
                continue;
            }
            let rows = sqlx::query(
                "SELECT f.position, o.op_id, o.device_id, o.epoch, o.seq, o.effective_hlc, o.user_id, o.type_version,
                        o.op_type, o.payload
                 FROM feed f JOIN op_log o ON o.op_id = f.op_id
                 WHERE f.tenant_id = $1 ORDER BY f.position",
            )
            .bind(&tenant)
            .fetch_all(&mut *tx)
            .await?;
            let mut old = OldEntries::default();
            let mut scoped: Vec<(String, i64, Vec<u8>)> = Vec::new();
            for row in &rows {
                let entry = feed_entry(row)?;
                for (scope, chain) in old.link(entry.position, &entry.change) {
                    scoped.push((scope, to_i64(entry.position, "position")?, chain.to_vec()));
                }
            }
            for chunk in scoped.chunks(ROWS_PER_STATEMENT) {
                let mut insert =
                    QueryBuilder::<Sqlite>::new("INSERT INTO feed_scopes (tenant_id, scope, position, chain) ");
                insert.push_values(chunk, |mut columns, (scope, position, chain)| {
                    columns
                        .push_bind(&tenant)
                        .push_bind(scope)
                        .push_bind(*position)
                        .push_bind(chain);
                });
                insert.build().execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE tenants SET scope_chains = $2 WHERE id = $1")
                .bind(&tenant)
                .bind(scope_chains_json(&old.chains))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(
                tenant_id = tenant,
                entries = rows.len(),
                "old feed entries given their scopes"
            );
        }
        Ok(())
    }
}

/// A feed row joined with its op_log row, as a pull returns it (with no
/// scopes yet).
pub(super) fn feed_entry(row: &SqliteRow) -> Result<FeedEntry<RawOpEnvelope>, HubError> {
    let op_id = parse_uuid(row.try_get("op_id")?)?;
    let payload: &str = row.try_get("payload")?;
    let data = serde_json::from_str(payload).map_err(|_| HubError::corrupt(format!("payload of op {op_id}")))?;
    let hlc =
        Hlc::from_i64(row.try_get("effective_hlc")?).map_err(|_| HubError::corrupt(format!("HLC of op {op_id}")))?;
    let epoch: i64 = row.try_get("epoch")?;
    let seq: i64 = row.try_get("seq")?;
    let type_version: i64 = row.try_get("type_version")?;
    let position: i64 = row.try_get("position")?;
    Ok(FeedEntry {
        position: position as u64,
        change: FeedChange::Op(RawOpEnvelope {
            op_id,
            device_id: parse_uuid(row.try_get("device_id")?)?,
            epoch: epoch as u32,
            seq: seq as u64,
            hlc,
            user_id: parse_uuid(row.try_get("user_id")?)?,
            type_version: type_version as u32,
            op: RawOp {
                op_type: row.try_get("op_type")?,
                data,
            },
        }),
        scopes: Vec::new(),
    })
}
