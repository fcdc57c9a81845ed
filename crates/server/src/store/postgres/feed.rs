//! Reading the feed on PostgreSQL: a page of a device's scopes (one index
//! range of `feed_scopes` per scope, in one statement, then the entries by
//! position), and giving scopes to entries written before the feed had
//! them.

use futures_util::TryStreamExt;
use sqlx::Row;
use stockroom_protocol::sync::{FeedChange, FeedEntry, RawOp, RawOpEnvelope};
use stockroom_protocol::Hlc;
use uuid::Uuid;

use super::{chain_of, PostgresStore};
use crate::error::HubError;
use crate::scopes::{parse_scope_chains, scope_chains_json, Grant, OldEntries, ScopeChains};
use crate::store::rows::to_i64;
use crate::store::{FeedPage, PagePlan};

/// Rows of `feed_scopes` written per statement when giving old entries
/// their scopes.
const BACKFILL_ROWS: usize = 1_000;

impl PostgresStore {
    pub(super) async fn pull_inner(
        &self,
        tenant_id: Uuid,
        grant: Grant,
        after: u64,
        limit: u32,
    ) -> Result<FeedPage, HubError> {
        // The head first: entries up to it have all committed (positions
        // follow commit order), and the scopes listed with it are every
        // scope those entries belong to.
        let tenant: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT feed_head, scope_chains FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?;
        let (head, scope_chains) = tenant.unwrap_or((0, Some("{}".to_string())));
        let head = head as u64;
        let scopes: Vec<String> = match scope_chains {
            Some(stored) => parse_scope_chains(&stored)?.into_keys(),
            None => {
                return Err(HubError::corrupt(format!(
                    "tenant {tenant_id} has entries with no scopes"
                )))
            }
        }
        .filter(|scope| grant.covers_key(scope))
        .collect();
        let rows: Vec<(String, i64, Vec<u8>)> = if after >= head || scopes.is_empty() {
            Vec::new()
        } else {
            sqlx::query_as(
                "SELECT s.scope, p.position, p.chain FROM unnest($2::text[]) AS s (scope)
                 CROSS JOIN LATERAL (
                     SELECT position, chain FROM feed_scopes
                     WHERE tenant_id = $1 AND scope = s.scope AND position > $3 AND position <= $4
                     ORDER BY position LIMIT $5
                 ) AS p",
            )
            .bind(tenant_id)
            .bind(&scopes)
            .bind(to_i64(after, "cursor")?)
            .bind(to_i64(head, "position")?)
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await?
        };
        let rows = rows
            .into_iter()
            .map(|(scope, position, chain)| Ok((scope, position as u64, chain_of(chain)?)))
            .collect::<Result<Vec<_>, HubError>>()?;
        let plan = PagePlan::new(rows, limit);
        let positions: Vec<i64> = plan.positions.iter().map(|(position, _)| *position as i64).collect();
        let mut entries = Vec::with_capacity(positions.len());
        if !positions.is_empty() {
            let rows = sqlx::query(
                "SELECT f.position, o.op_id, o.device_id, o.epoch, o.seq, o.effective_hlc, o.user_id, o.type_version,
                        o.op_type, o.payload::text AS payload
                 FROM feed f JOIN op_log o ON o.op_id = f.op_id
                 WHERE f.tenant_id = $1 AND f.position = ANY($2::bigint[])
                 ORDER BY f.position",
            )
            .bind(tenant_id)
            .bind(&positions)
            .fetch_all(&self.pool)
            .await?;
            if rows.len() != plan.positions.len() {
                return Err(HubError::corrupt(format!(
                    "tenant {tenant_id}: a scoped feed entry is missing"
                )));
            }
            for (row, (_, scopes)) in rows.iter().zip(&plan.positions) {
                let mut entry = feed_entry(row)?;
                entry.scopes = scopes.clone();
                entries.push(entry);
            }
        }
        Ok(FeedPage {
            entries,
            next: plan.next(after, head),
            more: plan.more,
            scope_chains: plan.scope_chains,
            head,
        })
    }

    pub(super) async fn scope_old_entries_inner(&self) -> Result<(), HubError> {
        let tenants: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM tenants WHERE scope_chains IS NULL")
            .fetch_all(&self.pool)
            .await?;
        for tenant_id in tenants {
            let mut tx = self.pool.begin().await?;
            let unscoped: Option<Option<String>> =
                sqlx::query_scalar("SELECT scope_chains FROM tenants WHERE id = $1 FOR NO KEY UPDATE")
                    .bind(tenant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if !matches!(unscoped, Some(None)) {
                continue;
            }
            let mut old = OldEntries::default();
            let mut pending: Vec<(String, i64, Vec<u8>)> = Vec::new();
            let rows: Vec<sqlx::postgres::PgRow> = sqlx::query(
                "SELECT f.position, o.op_id, o.device_id, o.epoch, o.seq, o.effective_hlc, o.user_id, o.type_version,
                        o.op_type, o.payload::text AS payload
                 FROM feed f JOIN op_log o ON o.op_id = f.op_id
                 WHERE f.tenant_id = $1 ORDER BY f.position",
            )
            .bind(tenant_id)
            .fetch(&mut *tx)
            .try_collect()
            .await?;
            for row in &rows {
                let entry = feed_entry(row)?;
                for (scope, chain) in old.link(entry.position, &entry.change) {
                    pending.push((scope, entry.position as i64, chain.to_vec()));
                }
                if pending.len() >= BACKFILL_ROWS {
                    insert_scope_rows(&mut tx, tenant_id, std::mem::take(&mut pending)).await?;
                }
            }
            insert_scope_rows(&mut tx, tenant_id, pending).await?;
            set_scope_chains(&mut tx, tenant_id, &old.chains).await?;
            tx.commit().await?;
            tracing::info!(%tenant_id, entries = rows.len(), "old feed entries given their scopes");
        }
        Ok(())
    }
}

async fn insert_scope_rows(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    tenant_id: Uuid,
    rows: Vec<(String, i64, Vec<u8>)>,
) -> Result<(), HubError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut scopes = Vec::with_capacity(rows.len());
    let mut positions = Vec::with_capacity(rows.len());
    let mut chains = Vec::with_capacity(rows.len());
    for (scope, position, chain) in rows {
        scopes.push(scope);
        positions.push(position);
        chains.push(chain);
    }
    sqlx::query(
        "INSERT INTO feed_scopes (tenant_id, scope, position, chain)
         SELECT $1, scope, position, chain FROM unnest($2::text[], $3::bigint[], $4::bytea[])
              AS batch (scope, position, chain)",
    )
    .bind(tenant_id)
    .bind(scopes)
    .bind(positions)
    .bind(chains)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn set_scope_chains(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    tenant_id: Uuid,
    chains: &ScopeChains,
) -> Result<(), HubError> {
    sqlx::query("UPDATE tenants SET scope_chains = $2 WHERE id = $1")
        .bind(tenant_id)
        .bind(scope_chains_json(chains))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A feed row joined with its op_log row, as a pull returns it (with no
/// scopes yet).
pub(super) fn feed_entry(row: &sqlx::postgres::PgRow) -> Result<FeedEntry<RawOpEnvelope>, HubError> {
    let payload: String = row.try_get("payload")?;
    let op_id: Uuid = row.try_get("op_id")?;
    let data = serde_json::from_str(&payload).map_err(|_| HubError::corrupt(format!("payload of op {op_id}")))?;
    let hlc =
        Hlc::from_i64(row.try_get("effective_hlc")?).map_err(|_| HubError::corrupt(format!("HLC of op {op_id}")))?;
    let epoch: i32 = row.try_get("epoch")?;
    let seq: i64 = row.try_get("seq")?;
    let type_version: i32 = row.try_get("type_version")?;
    let position: i64 = row.try_get("position")?;
    Ok(FeedEntry {
        position: position as u64,
        change: FeedChange::Op(RawOpEnvelope {
            op_id,
            device_id: row.try_get("device_id")?,
            epoch: epoch as u32,
            seq: seq as u64,
            hlc,
            user_id: row.try_get("user_id")?,
            type_version: type_version as u32,
            op: RawOp {
                op_type: row.try_get("op_type")?,
                data,
            },
        }),
        scopes: Vec::new(),
    })
}
