//! The PostgreSQL backend: every SQL statement the hub runs on PostgreSQL.
//! A push locks its device cursor with `SELECT ... FOR UPDATE` and its
//! tenant's feed counter with the `UPDATE` that moves it, so feed positions
//! are handed out in commit order.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Row, Transaction};
use stockroom_protocol::sync::{FeedChange, FeedEntry, RawOp, RawOpEnvelope, RejectCode};
use stockroom_protocol::Hlc;
use uuid::Uuid;

use super::rows::{reject_code, to_i64};
use super::{
    Backend, DeviceAuth, Enrolment, FeedPage, HubStore, LoginUser, NewHubUser, PushReport, PushRules, StoreFuture,
};
use crate::error::HubError;
use crate::policy::Role;
use crate::push::{self, HubUser, Inserted, KnownOp, OpLogRow, PushTx, Recorded};

/// Migrations of the PostgreSQL hub database, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/hub/postgres");

// Blobs, enrolment codes and feed-head notifications, beside this file.
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
        Ok(PostgresStore { pool })
    }

    async fn push_inner(
        &self,
        auth: &DeviceAuth,
        ops: &[RawOpEnvelope],
        rules: PushRules,
    ) -> Result<PushReport, HubError> {
        let mut tx = PgPushTx(self.pool.begin().await?);
        let report = push::push_batch(&mut tx, auth, ops, rules).await?;
        tx.0.commit().await?;
        Ok(report)
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

    async fn pull_inner(&self, tenant_id: Uuid, after: u64, limit: u32) -> Result<FeedPage, HubError> {
        let rows = sqlx::query(
            "SELECT f.position, o.op_id, o.device_id, o.epoch, o.seq, o.effective_hlc, o.user_id, o.type_version,
                    o.op_type, o.payload::text AS payload
             FROM feed f JOIN op_log o ON o.op_id = f.op_id
             WHERE f.tenant_id = $1 AND f.position > $2
             ORDER BY f.position
             LIMIT $3",
        )
        .bind(tenant_id)
        .bind(to_i64(after, "cursor")?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let entries = rows.iter().map(feed_entry).collect::<Result<Vec<_>, HubError>>()?;
        // Read after the entries: the head only grows, so it is at least the
        // last position read.
        let head: Option<i64> = sqlx::query_scalar("SELECT feed_head FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(FeedPage {
            entries,
            head: head.unwrap_or(0) as u64,
        })
    }
}

fn feed_entry(row: &sqlx::postgres::PgRow) -> Result<FeedEntry<RawOpEnvelope>, HubError> {
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
    })
}

fn role_of(stored: &str) -> Result<Role, HubError> {
    Role::parse(stored).ok_or_else(|| HubError::corrupt(format!("role {stored:?}")))
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
                "INSERT INTO users (id, tenant_id, username, display_name, role, password_hash, created_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
            let row: Option<(Uuid, Uuid, i32, Uuid, String)> = sqlx::query_as(
                "SELECT d.tenant_id, d.id, d.epoch, u.id, u.role
                 FROM device_epochs e
                 JOIN devices d ON d.id = e.device_id AND d.epoch = e.epoch
                 JOIN users u ON u.id = e.enrolled_by
                 WHERE e.token_hash = $1",
            )
            .bind(&token_hash[..])
            .fetch_optional(&self.pool)
            .await?;
            row.map(|(tenant_id, device_id, epoch, enrolled_by, role)| {
                Ok(DeviceAuth {
                    tenant_id,
                    device_id,
                    epoch: epoch as u32,
                    enrolled_by,
                    enrolled_by_role: role_of(&role)?,
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

    fn pull(&self, tenant_id: Uuid, after: u64, limit: u32) -> StoreFuture<'_, FeedPage> {
        Box::pin(self.pull_inner(tenant_id, after, limit))
    }

    fn close(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.pool.close().await;
            Ok(())
        })
    }

    fn feed_head(&self, tenant_id: Uuid) -> StoreFuture<'_, u64> {
        Box::pin(self.feed_head_inner(tenant_id))
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

    async fn savepoint(&mut self) -> Result<(), HubError> {
        sqlx::query("SAVEPOINT op").execute(&mut *self.0).await?;
        Ok(())
    }

    async fn release_savepoint(&mut self) -> Result<(), HubError> {
        sqlx::query("RELEASE SAVEPOINT op").execute(&mut *self.0).await?;
        Ok(())
    }

    async fn rollback_to_savepoint(&mut self) -> Result<(), HubError> {
        sqlx::query("ROLLBACK TO SAVEPOINT op").execute(&mut *self.0).await?;
        Ok(())
    }

    async fn insert_op(&mut self, row: &OpLogRow<'_>) -> Result<Inserted, HubError> {
        let envelope = row.envelope;
        let inserted = sqlx::query(
            "INSERT INTO op_log (op_id, tenant_id, device_id, epoch, seq, user_id, op_type, type_version, payload,
                                 hlc, effective_hlc, received_ms, outcome, reject_code, flags)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::json, $10, $11, $12, $13, $14, $15::jsonb)",
        )
        .bind(envelope.op_id)
        .bind(row.tenant_id)
        .bind(envelope.device_id)
        .bind(i64::from(envelope.epoch))
        .bind(to_i64(envelope.seq, "seq")?)
        .bind(envelope.user_id)
        .bind(&row.op_type)
        .bind(i64::from(envelope.type_version))
        .bind(&row.payload_json)
        .bind(envelope.hlc.to_i64())
        .bind(row.effective_hlc.to_i64())
        .bind(to_i64(row.received_ms, "time")?)
        .bind(if row.rejected.is_some() { "rejected" } else { "applied" })
        .bind(row.rejected.map(RejectCode::as_str))
        .bind(&row.flags_json)
        .execute(&mut *self.0)
        .await;
        match inserted {
            Ok(_) => Ok(Inserted::Yes),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(Inserted::OpIdTaken),
            Err(error) => Err(error.into()),
        }
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

    async fn set_cursor(&mut self, device_id: Uuid, epoch: u32, last_seq: u64) -> Result<(), HubError> {
        sqlx::query("UPDATE device_epochs SET last_seq = $3 WHERE device_id = $1 AND epoch = $2")
            .bind(device_id)
            .bind(i64::from(epoch))
            .bind(to_i64(last_seq, "seq")?)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn take_positions(&mut self, tenant_id: Uuid, count: u64) -> Result<u64, HubError> {
        let head: i64 =
            sqlx::query_scalar("UPDATE tenants SET feed_head = feed_head + $2 WHERE id = $1 RETURNING feed_head")
                .bind(tenant_id)
                .bind(to_i64(count, "count")?)
                .fetch_one(&mut *self.0)
                .await?;
        Ok(head as u64)
    }

    async fn append_feed(&mut self, tenant_id: Uuid, first_position: u64, op_ids: &[Uuid]) -> Result<(), HubError> {
        sqlx::query(
            "INSERT INTO feed (tenant_id, position, op_id)
             SELECT $1, $2 + ordinality - 1, op_id FROM unnest($3::uuid[]) WITH ORDINALITY AS batch (op_id, ordinality)",
        )
        .bind(tenant_id)
        .bind(to_i64(first_position, "position")?)
        .bind(op_ids)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn record_skew(&mut self, device_id: Uuid, skew_ms: u64, now_ms: u64) -> Result<(), HubError> {
        sqlx::query("UPDATE devices SET clock_skew_ms = $2, skew_seen_ms = $3 WHERE id = $1")
            .bind(device_id)
            .bind(to_i64(skew_ms, "skew")?)
            .bind(to_i64(now_ms, "time")?)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }
}
