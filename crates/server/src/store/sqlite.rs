//! The SQLite backend, the embedded default for one shop: every SQL
//! statement the hub runs on SQLite. One writer connection, transactions
//! opened with `BEGIN IMMEDIATE` (the write lock is the device cursor's and
//! the feed counter's lock), WAL with `synchronous=FULL` so an acknowledged
//! push survives a power cut; readers run beside the writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
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

/// Migrations of the SQLite hub database, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/hub/sqlite");

// Blobs, enrolment codes and the feed head, beside this file.
mod blobs;
mod enrol_codes;
mod feed_head;

/// A hub on one SQLite file.
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `location`, a file path or
    /// a `sqlite:` URL, and runs the migrations.
    pub async fn open(location: &str) -> Result<SqliteStore, HubError> {
        let connect = if location.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(location)?
        } else {
            SqliteConnectOptions::new().filename(location)
        }
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
        // One writer: SQLite takes one at a time, and a pool of one queues
        // pushes in the hub instead of failing them with SQLITE_BUSY.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(connect.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(connect.read_only(true))
            .await?;
        Ok(SqliteStore { writer, reader })
    }

    async fn push_inner(
        &self,
        auth: &DeviceAuth,
        ops: &[RawOpEnvelope],
        rules: PushRules,
    ) -> Result<PushReport, HubError> {
        let mut tx = SqlitePushTx(self.writer.begin_with("BEGIN IMMEDIATE").await?);
        let report = push::push_batch(&mut tx, auth, ops, rules).await?;
        tx.0.commit().await?;
        Ok(report)
    }

    async fn enrol_inner(&self, enrolment: &Enrolment) -> Result<u32, HubError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let now_ms = to_i64(enrolment.now_ms, "time")?;
        let device_id = enrolment.device_id.to_string();
        let existing: Option<(String, i64)> = sqlx::query_as("SELECT tenant_id, epoch FROM devices WHERE id = $1")
            .bind(&device_id)
            .fetch_optional(&mut *tx)
            .await?;
        let epoch = match existing {
            Some((tenant_id, _)) if parse_uuid(&tenant_id)? != enrolment.tenant_id => {
                return Err(HubError::DeviceOfOtherTenant {
                    device_id: enrolment.device_id,
                })
            }
            Some((_, epoch)) => {
                let epoch = epoch + 1;
                sqlx::query("UPDATE devices SET epoch = $2, name = COALESCE($3, name) WHERE id = $1")
                    .bind(&device_id)
                    .bind(epoch)
                    .bind(&enrolment.device_name)
                    .execute(&mut *tx)
                    .await?;
                epoch
            }
            None => {
                sqlx::query("INSERT INTO devices (id, tenant_id, epoch, name, created_ms) VALUES ($1, $2, 1, $3, $4)")
                    .bind(&device_id)
                    .bind(enrolment.tenant_id.to_string())
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
        .bind(&device_id)
        .bind(epoch)
        .bind(&enrolment.token_hash[..])
        .bind(enrolment.user_id.to_string())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(epoch as u32)
    }

    async fn pull_inner(&self, tenant_id: Uuid, after: u64, limit: u32) -> Result<FeedPage, HubError> {
        let rows = sqlx::query(
            "SELECT f.position, o.op_id, o.device_id, o.epoch, o.seq, o.effective_hlc, o.user_id, o.type_version,
                    o.op_type, o.payload
             FROM feed f JOIN op_log o ON o.op_id = f.op_id
             WHERE f.tenant_id = $1 AND f.position > $2
             ORDER BY f.position
             LIMIT $3",
        )
        .bind(tenant_id.to_string())
        .bind(to_i64(after, "cursor")?)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        let entries = rows.iter().map(feed_entry).collect::<Result<Vec<_>, HubError>>()?;
        // Read after the entries: the head only grows, so it is at least the
        // last position read.
        let head: Option<i64> = sqlx::query_scalar("SELECT feed_head FROM tenants WHERE id = $1")
            .bind(tenant_id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        Ok(FeedPage {
            entries,
            head: head.unwrap_or(0) as u64,
        })
    }
}

fn parse_uuid(text: &str) -> Result<Uuid, HubError> {
    Uuid::parse_str(text).map_err(|_| HubError::corrupt(format!("id {text:?}")))
}

fn role_of(stored: &str) -> Result<Role, HubError> {
    Role::parse(stored).ok_or_else(|| HubError::corrupt(format!("role {stored:?}")))
}

fn feed_entry(row: &SqliteRow) -> Result<FeedEntry<RawOpEnvelope>, HubError> {
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
    })
}

impl HubStore for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("SELECT 1").execute(&self.reader).await?;
            Ok(())
        })
    }

    fn ensure_tenant<'a>(&'a self, name: &'a str, new_id: Uuid, now_ms: u64) -> StoreFuture<'a, Uuid> {
        Box::pin(async move {
            sqlx::query("INSERT INTO tenants (id, name, created_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
                .bind(new_id.to_string())
                .bind(name)
                .bind(to_i64(now_ms, "time")?)
                .execute(&self.writer)
                .await?;
            let id: String = sqlx::query_scalar("SELECT id FROM tenants WHERE name = $1")
                .bind(name)
                .fetch_one(&self.writer)
                .await?;
            parse_uuid(&id)
        })
    }

    fn create_user<'a>(&'a self, user: &'a NewHubUser) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let inserted = sqlx::query(
                "INSERT INTO users (id, tenant_id, username, display_name, role, password_hash, created_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(user.id.to_string())
            .bind(user.tenant_id.to_string())
            .bind(&user.username)
            .bind(&user.display_name)
            .bind(user.role.as_str())
            .bind(&user.password_hash)
            .bind(to_i64(user.created_ms, "time")?)
            .execute(&self.writer)
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
            let row: Option<(String, String, String, bool, String)> = sqlx::query_as(
                "SELECT id, tenant_id, role, active, password_hash FROM users WHERE lower(username) = lower($1)",
            )
            .bind(username)
            .fetch_optional(&self.reader)
            .await?;
            row.map(|(id, tenant_id, role, active, password_hash)| {
                Ok(LoginUser {
                    id: parse_uuid(&id)?,
                    tenant_id: parse_uuid(&tenant_id)?,
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
            let row: Option<(String, String, i64, String, String)> = sqlx::query_as(
                "SELECT d.tenant_id, d.id, d.epoch, u.id, u.role
                 FROM device_epochs e
                 JOIN devices d ON d.id = e.device_id AND d.epoch = e.epoch
                 JOIN users u ON u.id = e.enrolled_by
                 WHERE e.token_hash = $1",
            )
            .bind(&token_hash[..])
            .fetch_optional(&self.reader)
            .await?;
            row.map(|(tenant_id, device_id, epoch, enrolled_by, role)| {
                Ok(DeviceAuth {
                    tenant_id: parse_uuid(&tenant_id)?,
                    device_id: parse_uuid(&device_id)?,
                    epoch: epoch as u32,
                    enrolled_by: parse_uuid(&enrolled_by)?,
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
            self.reader.close().await;
            self.writer.close().await;
            Ok(())
        })
    }

    fn feed_head(&self, tenant_id: Uuid) -> StoreFuture<'_, u64> {
        Box::pin(self.feed_head_inner(tenant_id))
    }

    fn publish_feed_head(&self, tenant_id: Uuid) -> StoreFuture<'_, u64> {
        // One process is the whole hub: reading the head is all there is.
        Box::pin(self.feed_head_inner(tenant_id))
    }

    fn listen_feed_heads(&self) -> Option<tokio::sync::mpsc::Receiver<super::HeadNews>> {
        None
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

/// A push transaction on SQLite. `BEGIN IMMEDIATE` already holds the
/// database's write lock, so the cursor needs no row lock.
struct SqlitePushTx(Transaction<'static, Sqlite>);

impl PushTx for SqlitePushTx {
    async fn lock_cursor(&mut self, device_id: Uuid, epoch: u32) -> Result<u64, HubError> {
        let last_seq: Option<i64> =
            sqlx::query_scalar("SELECT last_seq FROM device_epochs WHERE device_id = $1 AND epoch = $2")
                .bind(device_id.to_string())
                .bind(i64::from(epoch))
                .fetch_optional(&mut *self.0)
                .await?;
        let last_seq =
            last_seq.ok_or_else(|| HubError::corrupt(format!("cursor of device {device_id} epoch {epoch}")))?;
        Ok(last_seq as u64)
    }

    async fn recorded_at(&mut self, device_id: Uuid, epoch: u32, seq: u64) -> Result<Option<Recorded>, HubError> {
        let row: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT op_id, reject_code FROM op_log WHERE device_id = $1 AND epoch = $2 AND seq = $3
             UNION ALL
             SELECT op_id, reject_code FROM repeated_ops WHERE device_id = $1 AND epoch = $2 AND seq = $3",
        )
        .bind(device_id.to_string())
        .bind(i64::from(epoch))
        .bind(to_i64(seq, "seq")?)
        .fetch_optional(&mut *self.0)
        .await?;
        row.map(|(op_id, code)| {
            Ok(Recorded {
                op_id: parse_uuid(&op_id)?,
                rejected: reject_code(code),
            })
        })
        .transpose()
    }

    async fn known_op(&mut self, op_id: Uuid) -> Result<Option<KnownOp>, HubError> {
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT tenant_id, reject_code FROM op_log WHERE op_id = $1")
                .bind(op_id.to_string())
                .fetch_optional(&mut *self.0)
                .await?;
        row.map(|(tenant_id, code)| {
            Ok(KnownOp {
                tenant_id: parse_uuid(&tenant_id)?,
                rejected: reject_code(code),
            })
        })
        .transpose()
    }

    async fn user(&mut self, user_id: Uuid) -> Result<Option<HubUser>, HubError> {
        let row: Option<(String, String, bool)> =
            sqlx::query_as("SELECT tenant_id, role, active FROM users WHERE id = $1")
                .bind(user_id.to_string())
                .fetch_optional(&mut *self.0)
                .await?;
        row.map(|(tenant_id, role, active)| {
            Ok(HubUser {
                tenant_id: parse_uuid(&tenant_id)?,
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(envelope.op_id.to_string())
        .bind(row.tenant_id.to_string())
        .bind(envelope.device_id.to_string())
        .bind(i64::from(envelope.epoch))
        .bind(to_i64(envelope.seq, "seq")?)
        .bind(envelope.user_id.to_string())
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
        .bind(envelope.device_id.to_string())
        .bind(i64::from(envelope.epoch))
        .bind(to_i64(envelope.seq, "seq")?)
        .bind(envelope.op_id.to_string())
        .bind(to_i64(received_ms, "time")?)
        .bind(rejected.map(RejectCode::as_str))
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn set_cursor(&mut self, device_id: Uuid, epoch: u32, last_seq: u64) -> Result<(), HubError> {
        sqlx::query("UPDATE device_epochs SET last_seq = $3 WHERE device_id = $1 AND epoch = $2")
            .bind(device_id.to_string())
            .bind(i64::from(epoch))
            .bind(to_i64(last_seq, "seq")?)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn take_positions(&mut self, tenant_id: Uuid, count: u64) -> Result<u64, HubError> {
        let head: i64 =
            sqlx::query_scalar("UPDATE tenants SET feed_head = feed_head + $2 WHERE id = $1 RETURNING feed_head")
                .bind(tenant_id.to_string())
                .bind(to_i64(count, "count")?)
                .fetch_one(&mut *self.0)
                .await?;
        Ok(head as u64)
    }

    async fn append_feed(&mut self, tenant_id: Uuid, first_position: u64, op_ids: &[Uuid]) -> Result<(), HubError> {
        let tenant_id = tenant_id.to_string();
        let first_position = to_i64(first_position, "position")?;
        for (index, op_id) in op_ids.iter().enumerate() {
            sqlx::query("INSERT INTO feed (tenant_id, position, op_id) VALUES ($1, $2, $3)")
                .bind(&tenant_id)
                .bind(first_position + index as i64)
                .bind(op_id.to_string())
                .execute(&mut *self.0)
                .await?;
        }
        Ok(())
    }

    async fn record_skew(&mut self, device_id: Uuid, skew_ms: u64, now_ms: u64) -> Result<(), HubError> {
        sqlx::query("UPDATE devices SET clock_skew_ms = $2, skew_seen_ms = $3 WHERE id = $1")
            .bind(device_id.to_string())
            .bind(to_i64(skew_ms, "skew")?)
            .bind(to_i64(now_ms, "time")?)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }
}
