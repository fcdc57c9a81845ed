//! The PostgreSQL backend: every SQL statement the hub runs on PostgreSQL.
//! A push locks its device cursor with `SELECT ... FOR UPDATE` and its
//! tenant's feed counter with the `UPDATE` that moves it, so feed positions
//! are handed out in commit order.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};
use stockroom_protocol::ops::UserSet;
use stockroom_protocol::sync::{RawOpEnvelope, RejectCode};
use uuid::Uuid;

use super::rows::{reject_code, to_i64};
use super::{
    Backend, DeviceAuth, Enrolment, FeedPage, HubStore, LoginUser, NewHubUser, PushReport, PushRules, StoreFuture,
};
use crate::error::HubError;
use crate::policy::Role;
use crate::push::{
    self, assigned_salesperson, held_code, Account, CodeKind, HubUser, KnownOp, OpLogRow, PushEnd, PushTx, RecordKey,
    Recorded, TenantHead,
};
use crate::records::{entity_name, parse_entity, Record};
use crate::scopes::{parse_scope_chains, Grant};
use crate::snapshot::SnapshotWriter;

/// Migrations of the PostgreSQL hub database, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/hub/postgres");

mod feed;
mod snapshot;
use feed::feed_entry;
// Blobs, enrolment codes and feed-head notifications, beside this file.
mod accounts;
mod blobs;
mod enrol_codes;
mod feed_notify;

/// A hub on PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` and runs the migrations.
    pub async fn open(url: &str) -> Result<PostgresStore, HubError> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let store = PostgresStore { pool };
        store.scope_old_entries_inner().await?;
        Ok(store)
    }

    async fn push_inner(
        &self,
        auth: &DeviceAuth,
        ops: &[RawOpEnvelope],
        rules: PushRules,
    ) -> Result<PushReport, HubError> {
        let begin = || async { Ok(PgPushTx(self.pool.begin().await?)) };
        push::push(begin, auth, ops, rules).await
    }

    async fn feed_new_accounts_inner(&self, only: Option<Uuid>, now_ms: u64) -> Result<Vec<Uuid>, HubError> {
        let tenants: Vec<Uuid> = match only {
            Some(tenant_id) => vec![tenant_id],
            None => {
                sqlx::query_scalar("SELECT DISTINCT tenant_id FROM users WHERE NOT fed")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let begin = || async { Ok(PgPushTx(self.pool.begin().await?)) };
        push::feed_tenants(begin, tenants, now_ms).await
    }

    async fn enrol_inner(&self, enrolment: &Enrolment) -> Result<u32, HubError> {
        let mut tx = self.pool.begin().await?;
        let now_ms = to_i64(enrolment.now_ms, "time")?;
        let existing: Option<(Uuid, i32)> =
            sqlx::query_as("SELECT tenant_id, epoch FROM devices WHERE id = $1 FOR UPDATE")
                .bind(enrolment.device_id)
                .fetch_optional(&mut *tx)
                .await?;
        let epoch = match existing {
            Some((tenant_id, _)) if tenant_id != enrolment.tenant_id => {
                return Err(HubError::DeviceOfOtherTenant {
                    device_id: enrolment.device_id,
                })
            }
            Some((_, epoch)) => {
                let epoch = epoch + 1;
                sqlx::query("UPDATE devices SET epoch = $2, name = COALESCE($3, name) WHERE id = $1")
                    .bind(enrolment.device_id)
                    .bind(epoch)
                    .bind(&enrolment.device_name)
                    .execute(&mut *tx)
                    .await?;
                epoch
            }
            None => {
                sqlx::query("INSERT INTO devices (id, tenant_id, epoch, name, created_ms) VALUES ($1, $2, 1, $3, $4)")
                    .bind(enrolment.device_id)
                    .bind(enrolment.tenant_id)
                    .bind(&enrolment.device_name)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                1
            }
        };
        sqlx::query(
            "INSERT INTO device_epochs (device_id, epoch, token_hash, enrolled_by, enrolled_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(enrolment.device_id)
        .bind(epoch)
        .bind(&enrolment.token_hash[..])
        .bind(enrolment.user_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(epoch as u32)
    }
}

fn role_of(stored: &str) -> Result<Role, HubError> {
    Role::parse(stored).ok_or_else(|| HubError::corrupt(format!("role {stored:?}")))
}

/// An authenticated device's row, as `authenticate` reads it.
#[derive(sqlx::FromRow)]
struct AuthRow {
    tenant_id: Uuid,
    device_id: Uuid,
    epoch: i32,
    enrolled_by: Uuid,
    role: String,
    user_active: bool,
    location_id: Option<Uuid>,
    customers_version: i64,
}

impl HubStore for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        })
    }

    fn ensure_tenant<'a>(&'a self, name: &'a str, new_id: Uuid, now_ms: u64) -> StoreFuture<'a, Uuid> {
        Box::pin(async move {
            sqlx::query("INSERT INTO tenants (id, name, created_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
                .bind(new_id)
                .bind(name)
                .bind(to_i64(now_ms, "time")?)
                .execute(&self.pool)
                .await?;
            let id: Uuid = sqlx::query_scalar("SELECT id FROM tenants WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?;
            Ok(id)
        })
    }

    fn create_user<'a>(&'a self, user: &'a NewHubUser) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let inserted = sqlx::query(
                "INSERT INTO users (id, tenant_id, username, display_name, role, password_hash, created_ms, fed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, false)",
            )
            .bind(user.id)
            .bind(user.tenant_id)
            .bind(&user.username)
            .bind(&user.display_name)
            .bind(user.role.as_str())
            .bind(&user.password_hash)
            .bind(to_i64(user.created_ms, "time")?)
            .execute(&self.pool)
            .await;
            match inserted {
                Ok(_) => Ok(()),
                Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Err(HubError::UsernameTaken {
                    username: user.username.clone(),
                }),
                Err(error) => Err(error.into()),
            }
        })
    }

    fn feed_new_accounts(&self, only: Option<Uuid>, now_ms: u64) -> StoreFuture<'_, Vec<Uuid>> {
        Box::pin(self.feed_new_accounts_inner(only, now_ms))
    }

    fn user_for_login<'a>(&'a self, username: &'a str) -> StoreFuture<'a, Option<LoginUser>> {
        Box::pin(async move {
            let row: Option<(Uuid, Uuid, String, bool, String)> = sqlx::query_as(
                "SELECT id, tenant_id, role, active, password_hash FROM users WHERE lower(username) = lower($1)",
            )
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
            row.map(|(id, tenant_id, role, active, password_hash)| {
                Ok(LoginUser {
                    id,
                    tenant_id,
                    role: role_of(&role)?,
                    active,
                    password_hash,
                })
            })
            .transpose()
        })
    }

    fn enrol_device<'a>(&'a self, enrolment: &'a Enrolment) -> StoreFuture<'a, u32> {
        Box::pin(self.enrol_inner(enrolment))
    }

    fn authenticate(&self, token_hash: [u8; 32]) -> StoreFuture<'_, Option<DeviceAuth>> {
        Box::pin(async move {
            let row: Option<AuthRow> = sqlx::query_as(
                "SELECT d.tenant_id, d.id AS device_id, d.epoch, u.id AS enrolled_by, u.role, u.active AS user_active,
                        d.location_id, u.customers_version
                 FROM device_epochs e
                 JOIN devices d ON d.id = e.device_id AND d.epoch = e.epoch
                 JOIN users u ON u.id = e.enrolled_by
                 WHERE e.token_hash = $1",
            )
            .bind(&token_hash[..])
            .fetch_optional(&self.pool)
            .await?;
            row.map(|row| {
                Ok(DeviceAuth {
                    tenant_id: row.tenant_id,
                    device_id: row.device_id,
                    epoch: row.epoch as u32,
                    enrolled_by: row.enrolled_by,
                    enrolled_by_role: role_of(&row.role)?,
                    user_active: row.user_active,
                    location_id: row.location_id,
                    customers_version: row.customers_version as u64,
                })
            })
            .transpose()
        })
    }

    fn push<'a>(
        &'a self,
        auth: &'a DeviceAuth,
        ops: &'a [RawOpEnvelope],
        rules: PushRules,
    ) -> StoreFuture<'a, PushReport> {
        Box::pin(self.push_inner(auth, ops, rules))
    }

    fn pull(&self, tenant_id: Uuid, grant: Grant, after: u64, limit: u32) -> StoreFuture<'_, FeedPage> {
        Box::pin(self.pull_inner(tenant_id, grant, after, limit))
    }

    fn feed_head(&self, tenant_id: Uuid) -> StoreFuture<'_, u64> {
        Box::pin(self.feed_head_inner(tenant_id))
    }

    fn write_snapshot<'a>(&'a self, tenant_id: Uuid, grant: Grant, out: &'a mut SnapshotWriter) -> StoreFuture<'a, ()> {
        Box::pin(self.write_snapshot_inner(tenant_id, grant, out))
    }

    fn scope_old_entries(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.scope_old_entries_inner())
    }

    fn close(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.pool.close().await;
            Ok(())
        })
    }

    fn publish_feed_head(&self, tenant_id: Uuid) -> StoreFuture<'_, u64> {
        Box::pin(self.publish_feed_head_inner(tenant_id))
    }

    fn listen_feed_heads(&self) -> Option<tokio::sync::mpsc::Receiver<super::HeadNews>> {
        Some(self.listen_feed_heads_inner())
    }

    fn put_blob<'a>(&'a self, blob: &'a super::NewBlob) -> StoreFuture<'a, bool> {
        Box::pin(self.put_blob_inner(blob))
    }

    fn blob(&self, tenant_id: Uuid, sha256: [u8; 32]) -> StoreFuture<'_, Option<Vec<u8>>> {
        Box::pin(self.blob_inner(tenant_id, sha256))
    }

    fn create_enrol_code<'a>(&'a self, code: &'a super::NewEnrolCode) -> StoreFuture<'a, ()> {
        Box::pin(self.create_enrol_code_inner(code))
    }

    fn take_enrol_code<'a>(&'a self, take: &'a super::TakeEnrolCode) -> StoreFuture<'a, super::TakenCode> {
        Box::pin(self.take_enrol_code_inner(take))
    }

    fn set_device_location(&self, tenant_id: Uuid, device_id: Uuid, location_id: Option<Uuid>) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("UPDATE devices SET location_id = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(device_id)
                .bind(location_id)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }
}

/// A push transaction on PostgreSQL.
struct PgPushTx(Transaction<'static, Postgres>);

impl PushTx for PgPushTx {
    async fn lock_cursor(&mut self, device_id: Uuid, epoch: u32) -> Result<u64, HubError> {
        let last_seq: Option<i64> =
            sqlx::query_scalar("SELECT last_seq FROM device_epochs WHERE device_id = $1 AND epoch = $2 FOR UPDATE")
                .bind(device_id)
                .bind(i64::from(epoch))
                .fetch_optional(&mut *self.0)
                .await?;
        let last_seq =
            last_seq.ok_or_else(|| HubError::corrupt(format!("cursor of device {device_id} epoch {epoch}")))?;
        Ok(last_seq as u64)
    }

    async fn recorded_at(&mut self, device_id: Uuid, epoch: u32, seq: u64) -> Result<Option<Recorded>, HubError> {
        let row: Option<(Uuid, Option<String>)> = sqlx::query_as(
            "SELECT op_id, reject_code FROM op_log WHERE device_id = $1 AND epoch = $2 AND seq = $3
             UNION ALL
             SELECT op_id, reject_code FROM repeated_ops WHERE device_id = $1 AND epoch = $2 AND seq = $3",
        )
        .bind(device_id)
        .bind(i64::from(epoch))
        .bind(to_i64(seq, "seq")?)
        .fetch_optional(&mut *self.0)
        .await?;
        Ok(row.map(|(op_id, code)| Recorded {
            op_id,
            rejected: reject_code(code),
        }))
    }

    async fn known_op(&mut self, op_id: Uuid) -> Result<Option<KnownOp>, HubError> {
        let row: Option<(Uuid, Option<String>)> =
            sqlx::query_as("SELECT tenant_id, reject_code FROM op_log WHERE op_id = $1")
                .bind(op_id)
                .fetch_optional(&mut *self.0)
                .await?;
        Ok(row.map(|(tenant_id, code)| KnownOp {
            tenant_id,
            rejected: reject_code(code),
        }))
    }

    async fn user(&mut self, user_id: Uuid) -> Result<Option<HubUser>, HubError> {
        let row: Option<(Uuid, String, bool)> =
            sqlx::query_as("SELECT tenant_id, role, active FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *self.0)
                .await?;
        row.map(|(tenant_id, role, active)| {
            Ok(HubUser {
                tenant_id,
                role: role_of(&role)?,
                active,
            })
        })
        .transpose()
    }

    async fn savepoint(&mut self, name: &'static str) -> Result<(), HubError> {
        sqlx::query(&format!("SAVEPOINT {name}")).execute(&mut *self.0).await?;
        Ok(())
    }

    async fn release_savepoint(&mut self, name: &'static str) -> Result<(), HubError> {
        sqlx::query(&format!("RELEASE SAVEPOINT {name}"))
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn rollback_to_savepoint(&mut self, name: &'static str) -> Result<(), HubError> {
        sqlx::query(&format!("ROLLBACK TO SAVEPOINT {name}"))
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn insert_ops(&mut self, rows: &[&OpLogRow<'_>]) -> Result<HashSet<u64>, HubError> {
        let mut columns = OpLogColumns::default();
        for row in rows {
            columns.push(row)?;
        }
        // One statement for the whole group: arrays, unnested in order, so
        // an op id twice in the group keeps its first row.
        let inserted: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO op_log (op_id, tenant_id, device_id, epoch, seq, user_id, op_type, type_version, payload,
                                 hlc, effective_hlc, received_ms, outcome, reject_code, flags)
             SELECT op_id, tenant_id, device_id, epoch, seq, user_id, op_type, type_version, payload::json,
                    hlc, effective_hlc, received_ms,
                    CASE WHEN reject_code IS NULL THEN 'applied' ELSE 'rejected' END, reject_code, flags::jsonb
             FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::bigint[], $6::uuid[], $7::text[],
                         $8::int[], $9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::text[])
                  AS batch (op_id, tenant_id, device_id, epoch, seq, user_id, op_type, type_version, payload,
                            hlc, effective_hlc, received_ms, reject_code, flags)
             ON CONFLICT (op_id) DO NOTHING
             RETURNING seq",
        )
        .bind(columns.op_id)
        .bind(columns.tenant_id)
        .bind(columns.device_id)
        .bind(columns.epoch)
        .bind(columns.seq)
        .bind(columns.user_id)
        .bind(columns.op_type)
        .bind(columns.type_version)
        .bind(columns.payload)
        .bind(columns.hlc)
        .bind(columns.effective_hlc)
        .bind(columns.received_ms)
        .bind(columns.reject_code)
        .bind(columns.flags)
        .fetch_all(&mut *self.0)
        .await?;
        Ok(inserted.into_iter().map(|seq| seq as u64).collect())
    }

    async fn insert_repeated(
        &mut self,
        envelope: &RawOpEnvelope,
        received_ms: u64,
        rejected: Option<RejectCode>,
    ) -> Result<(), HubError> {
        sqlx::query(
            "INSERT INTO repeated_ops (device_id, epoch, seq, op_id, received_ms, reject_code)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(envelope.device_id)
        .bind(i64::from(envelope.epoch))
        .bind(to_i64(envelope.seq, "seq")?)
        .bind(envelope.op_id)
        .bind(to_i64(received_ms, "time")?)
        .bind(rejected.map(RejectCode::as_str))
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn lock_tenant(&mut self, tenant_id: Uuid) -> Result<TenantHead, HubError> {
        // `NO KEY UPDATE`, the lock an UPDATE of these columns takes: it does
        // not wait for the key-share locks other pushes' op_log and records
        // rows hold on the tenant (their foreign keys), so no deadlock.
        let (head, chain, scopes): (i64, Vec<u8>, Option<String>) =
            sqlx::query_as("SELECT feed_head, feed_chain, scope_chains FROM tenants WHERE id = $1 FOR NO KEY UPDATE")
                .bind(tenant_id)
                .fetch_one(&mut *self.0)
                .await?;
        let scopes =
            scopes.ok_or_else(|| HubError::corrupt(format!("tenant {tenant_id} has entries with no scopes")))?;
        Ok(TenantHead {
            head: head as u64,
            chain: chain_of(chain)?,
            scopes: parse_scope_chains(&scopes)?,
        })
    }

    async fn load_records(
        &mut self,
        tenant_id: Uuid,
        keys: &[RecordKey],
    ) -> Result<Vec<(RecordKey, Record)>, HubError> {
        let entities: Vec<&str> = keys.iter().map(|(entity, _)| entity_name(*entity)).collect();
        let row_ids: Vec<Uuid> = keys.iter().map(|(_, row_id)| *row_id).collect();
        let rows: Vec<(String, Uuid, String, String)> = sqlx::query_as(
            "SELECT entity, row_id, fields::text, stamps::text FROM records
             WHERE tenant_id = $1 AND (entity, row_id) IN (SELECT * FROM UNNEST($2::text[], $3::uuid[]))",
        )
        .bind(tenant_id)
        .bind(entities)
        .bind(row_ids)
        .fetch_all(&mut *self.0)
        .await?;
        rows.into_iter()
            .map(|(entity, row_id, fields, stamps)| {
                Ok(((parse_entity(&entity)?, row_id), Record::from_json(&fields, &stamps)?))
            })
            .collect()
    }

    async fn accounts(&mut self, ids: &[Uuid], folded_usernames: &[String]) -> Result<Vec<Account>, HubError> {
        accounts::accounts(&mut self.0, ids, folded_usernames).await
    }

    async fn save_account(&mut self, tenant_id: Uuid, user: &UserSet, now_ms: u64) -> Result<(), HubError> {
        accounts::save_account(&mut self.0, tenant_id, user, now_ms).await
    }

    async fn unfed_accounts(&mut self, tenant_id: Uuid) -> Result<Vec<UserSet>, HubError> {
        accounts::unfed_accounts(&mut self.0, tenant_id).await
    }

    async fn mark_fed(&mut self, ids: &[Uuid]) -> Result<(), HubError> {
        accounts::mark_fed(&mut self.0, ids).await
    }

    async fn code_holders(
        &mut self,
        tenant_id: Uuid,
        kind: CodeKind,
        codes: &[String],
    ) -> Result<Vec<(String, Uuid)>, HubError> {
        let statement = "SELECT held_code, row_id FROM records
                         WHERE tenant_id = $1 AND entity = $2 AND held_code = ANY($3::text[])";
        Ok(sqlx::query_as(statement)
            .bind(tenant_id)
            .bind(entity_name(kind.entity()))
            .bind(codes)
            .fetch_all(&mut *self.0)
            .await?)
    }

    async fn save_records(&mut self, tenant_id: Uuid, records: &[(RecordKey, Record)]) -> Result<(), HubError> {
        let mut entities = Vec::with_capacity(records.len());
        let mut row_ids = Vec::with_capacity(records.len());
        let mut fields = Vec::with_capacity(records.len());
        let mut stamps = Vec::with_capacity(records.len());
        let mut held_codes = Vec::with_capacity(records.len());
        let mut salespersons = Vec::with_capacity(records.len());
        for ((entity, row_id), record) in records {
            let (fields_json, stamps_json) = record.to_json();
            entities.push(entity_name(*entity));
            row_ids.push(*row_id);
            fields.push(fields_json);
            stamps.push(stamps_json);
            held_codes.push(held_code(*entity, record));
            salespersons.push(assigned_salesperson(*entity, record));
        }
        sqlx::query(
            "INSERT INTO records (tenant_id, entity, row_id, fields, stamps, held_code, salesperson_id)
             SELECT $1, entity, row_id, fields::json, stamps::json, held_code, salesperson_id
             FROM UNNEST($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[])
                  AS batch (entity, row_id, fields, stamps, held_code, salesperson_id)
             ON CONFLICT (tenant_id, entity, row_id)
             DO UPDATE SET fields = EXCLUDED.fields, stamps = EXCLUDED.stamps, held_code = EXCLUDED.held_code,
                           salesperson_id = EXCLUDED.salesperson_id",
        )
        .bind(tenant_id)
        .bind(entities)
        .bind(row_ids)
        .bind(fields)
        .bind(stamps)
        .bind(held_codes)
        .bind(salespersons)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn finish(&mut self, end: &PushEnd<'_>) -> Result<(), HubError> {
        // One statement: each part a data-modifying CTE, present only when it
        // has something to do.
        let mut statement = QueryBuilder::<Postgres>::new("WITH ");
        let mut parts = statement.separated(", ");
        if let Some(last_seq) = end.last_seq {
            parts.push("cursor AS (UPDATE device_epochs SET last_seq = ");
            parts.push_bind_unseparated(to_i64(last_seq, "seq")?);
            parts.push_unseparated(" WHERE device_id = ");
            parts.push_bind_unseparated(end.device_id);
            parts.push_unseparated(" AND epoch = ");
            parts.push_bind_unseparated(i64::from(end.epoch));
            parts.push_unseparated(")");
        }
        if !end.feed.is_empty() {
            let op_ids: Vec<Uuid> = end.feed.iter().map(|row| row.op_id).collect();
            let chains: Vec<Vec<u8>> = end.feed.iter().map(|row| row.chain.to_vec()).collect();
            parts.push("feed_rows AS (INSERT INTO feed (tenant_id, position, op_id, chain) SELECT ");
            parts.push_bind_unseparated(end.tenant_id);
            parts.push_unseparated(", ");
            parts.push_bind_unseparated(to_i64(end.first_position, "position")?);
            parts.push_unseparated(" + ordinality - 1, op_id, chain FROM unnest(");
            parts.push_bind_unseparated(op_ids);
            parts.push_unseparated("::uuid[], ");
            parts.push_bind_unseparated(chains);
            parts.push_unseparated("::bytea[]) WITH ORDINALITY AS batch (op_id, chain, ordinality))");
            let mut scopes = Vec::new();
            let mut positions = Vec::new();
            let mut scope_chains = Vec::new();
            for (index, row) in end.feed.iter().enumerate() {
                let position = to_i64(end.first_position + index as u64, "position")?;
                for (scope, chain) in &row.scopes {
                    scopes.push(scope.as_str());
                    positions.push(position);
                    scope_chains.push(chain.to_vec());
                }
            }
            parts.push("scope_rows AS (INSERT INTO feed_scopes (tenant_id, scope, position, chain) SELECT ");
            parts.push_bind_unseparated(end.tenant_id);
            parts.push_unseparated(", scope, position, chain FROM unnest(");
            parts.push_bind_unseparated(scopes);
            parts.push_unseparated("::text[], ");
            parts.push_bind_unseparated(positions);
            parts.push_unseparated("::bigint[], ");
            parts.push_bind_unseparated(scope_chains);
            parts.push_unseparated("::bytea[]) AS batch (scope, position, chain))");
            let mut customers = Vec::new();
            let mut customer_positions = Vec::new();
            for (index, row) in end.feed.iter().enumerate() {
                let position = to_i64(end.first_position + index as u64, "position")?;
                for customer in &row.customers {
                    customers.push(*customer);
                    customer_positions.push(position);
                }
            }
            if !customers.is_empty() {
                parts.push("customer_rows AS (INSERT INTO feed_customers (tenant_id, customer_id, position) SELECT ");
                parts.push_bind_unseparated(end.tenant_id);
                parts.push_unseparated(", customer_id, position FROM unnest(");
                parts.push_bind_unseparated(customers);
                parts.push_unseparated("::uuid[], ");
                parts.push_bind_unseparated(customer_positions);
                parts.push_unseparated("::bigint[]) AS batch (customer_id, position))");
            }
        }
        if let Some((head, chain)) = end.head {
            parts.push("head AS (UPDATE tenants SET feed_head = ");
            parts.push_bind_unseparated(to_i64(head, "position")?);
            parts.push_unseparated(", feed_chain = ");
            parts.push_bind_unseparated(chain.to_vec());
            if let Some(scope_chains) = &end.scope_chains_json {
                parts.push_unseparated(", scope_chains = ");
                parts.push_bind_unseparated(scope_chains.clone());
            }
            parts.push_unseparated(" WHERE id = ");
            parts.push_bind_unseparated(end.tenant_id);
            parts.push_unseparated(")");
        }
        if let Some((skew_ms, now_ms)) = end.skew {
            parts.push("skew AS (UPDATE devices SET clock_skew_ms = ");
            parts.push_bind_unseparated(to_i64(skew_ms, "skew")?);
            parts.push_unseparated(", skew_seen_ms = ");
            parts.push_bind_unseparated(to_i64(now_ms, "time")?);
            parts.push_unseparated(" WHERE id = ");
            parts.push_bind_unseparated(end.device_id);
            parts.push_unseparated(")");
        }
        if !end.moved.is_empty() {
            parts.push("moved AS (UPDATE users SET customers_version = customers_version + 1 WHERE tenant_id = ");
            parts.push_bind_unseparated(end.tenant_id);
            parts.push_unseparated(" AND id = ANY(");
            parts.push_bind_unseparated(end.moved.to_vec());
            parts.push_unseparated("::uuid[]))");
        }
        let has_parts = end.last_seq.is_some()
            || !end.feed.is_empty()
            || end.head.is_some()
            || end.skew.is_some()
            || !end.moved.is_empty();
        if has_parts {
            statement.push(" SELECT 1");
            statement.build().execute(&mut *self.0).await?;
        }
        Ok(())
    }

    async fn ensure_hub_device(&mut self, tenant_id: Uuid, device_id: Uuid, now_ms: u64) -> Result<(), HubError> {
        sqlx::query(
            "INSERT INTO devices (id, tenant_id, epoch, name, created_ms) VALUES ($1, $2, 0, 'hub', $3)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(device_id)
        .bind(tenant_id)
        .bind(to_i64(now_ms, "time")?)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn commit(self) -> Result<(), HubError> {
        self.0.commit().await?;
        Ok(())
    }

    fn is_data_error(error: &sqlx::Error) -> bool {
        // SQLSTATE classes 22 (data exception) and 23 (integrity constraint).
        error
            .as_database_error()
            .and_then(|error| error.code())
            .is_some_and(|code| code.starts_with("22") || code.starts_with("23"))
    }
}

/// The columns of a group of op_log rows, as arrays for `UNNEST`.
#[derive(Default)]
struct OpLogColumns<'a> {
    op_id: Vec<Uuid>,
    tenant_id: Vec<Uuid>,
    device_id: Vec<Uuid>,
    epoch: Vec<i32>,
    seq: Vec<i64>,
    user_id: Vec<Uuid>,
    op_type: Vec<&'a str>,
    type_version: Vec<i32>,
    payload: Vec<&'a str>,
    hlc: Vec<i64>,
    effective_hlc: Vec<i64>,
    received_ms: Vec<i64>,
    reject_code: Vec<Option<&'static str>>,
    flags: Vec<&'a str>,
}

impl<'a> OpLogColumns<'a> {
    fn push(&mut self, row: &'a OpLogRow<'_>) -> Result<(), HubError> {
        let envelope = row.envelope;
        let small = |value: u32, what: &str| {
            i32::try_from(value).map_err(|_| HubError::Invalid {
                field: "number",
                problem: format!("{what} {value} is out of range"),
            })
        };
        self.op_id.push(envelope.op_id);
        self.tenant_id.push(row.tenant_id);
        self.device_id.push(envelope.device_id);
        self.epoch.push(small(envelope.epoch, "epoch")?);
        self.seq.push(to_i64(envelope.seq, "seq")?);
        self.user_id.push(envelope.user_id);
        self.op_type.push(&row.op_type);
        self.type_version.push(small(envelope.type_version, "type version")?);
        self.payload.push(&row.payload_json);
        self.hlc.push(envelope.hlc.to_i64());
        self.effective_hlc.push(row.effective_hlc.to_i64());
        self.received_ms.push(to_i64(row.received_ms, "time")?);
        self.reject_code.push(row.rejected.map(RejectCode::as_str));
        self.flags.push(&row.flags_json);
        Ok(())
    }
}

/// A stored chain value back as bytes.
fn chain_of(stored: Vec<u8>) -> Result<[u8; 32], HubError> {
    stored
        .try_into()
        .map_err(|_| HubError::corrupt("a feed chain value is not 32 bytes"))
}
