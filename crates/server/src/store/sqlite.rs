//! The SQLite backend, the embedded default for one shop: every SQL
//! statement the hub runs on SQLite. One writer connection, transactions
//! opened with `BEGIN IMMEDIATE` (the write lock is the device cursor's and
//! the feed counter's lock), WAL with `synchronous=FULL` so an acknowledged
//! push survives a power cut; readers run beside the writer.

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};
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

/// Migrations of the SQLite hub database, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/hub/sqlite");

mod feed;
mod snapshot;
use feed::feed_entry;
// Blobs, enrolment codes and the feed head, beside this file.
mod accounts;
mod blobs;
mod enrol_codes;
mod feed_append;
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
        let store = SqliteStore { writer, reader };
        store.scope_old_entries_inner().await?;
        Ok(store)
    }

    async fn push_inner(
        &self,
        auth: &DeviceAuth,
        ops: &[RawOpEnvelope],
        rules: PushRules,
    ) -> Result<PushReport, HubError> {
        let begin = || async { Ok(SqlitePushTx(self.writer.begin_with("BEGIN IMMEDIATE").await?)) };
        push::push(begin, auth, ops, rules).await
    }

    async fn feed_new_accounts_inner(&self, only: Option<Uuid>, now_ms: u64) -> Result<Vec<Uuid>, HubError> {
        let tenants: Vec<Uuid> = match only {
            Some(tenant_id) => vec![tenant_id],
            None => {
                let stored: Vec<String> = sqlx::query_scalar("SELECT DISTINCT tenant_id FROM users WHERE NOT fed")
                    .fetch_all(&self.writer)
                    .await?;
                stored.iter().map(|id| parse_uuid(id)).collect::<Result<_, _>>()?
            }
        };
        let begin = || async { Ok(SqlitePushTx(self.writer.begin_with("BEGIN IMMEDIATE").await?)) };
        push::feed_tenants(begin, tenants, now_ms).await
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
}

fn parse_uuid(text: &str) -> Result<Uuid, HubError> {
    Uuid::parse_str(text).map_err(|_| HubError::corrupt(format!("id {text:?}")))
}

fn role_of(stored: &str) -> Result<Role, HubError> {
    Role::parse(stored).ok_or_else(|| HubError::corrupt(format!("role {stored:?}")))
}

/// An authenticated device's row, as `authenticate` reads it.
#[derive(sqlx::FromRow)]
struct AuthRow {
    tenant_id: String,
    device_id: String,
    epoch: i64,
    enrolled_by: String,
    role: String,
    user_active: bool,
    location_id: Option<String>,
    customers_version: i64,
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
                "INSERT INTO users (id, tenant_id, username, display_name, role, password_hash, created_ms, fed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, false)",
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

    fn feed_new_accounts(&self, only: Option<Uuid>, now_ms: u64) -> StoreFuture<'_, Vec<Uuid>> {
        Box::pin(self.feed_new_accounts_inner(only, now_ms))
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
            let row: Option<AuthRow> = sqlx::query_as(
                "SELECT d.tenant_id, d.id AS device_id, d.epoch, u.id AS enrolled_by, u.role, u.active AS user_active,
                        d.location_id, u.customers_version
                 FROM device_epochs e
                 JOIN devices d ON d.id = e.device_id AND d.epoch = e.epoch
                 JOIN users u ON u.id = e.enrolled_by
                 WHERE e.token_hash = $1",
            )
            .bind(&token_hash[..])
            .fetch_optional(&self.reader)
            .await?;
            row.map(|row| {
                Ok(DeviceAuth {
                    tenant_id: parse_uuid(&row.tenant_id)?,
                    device_id: parse_uuid(&row.device_id)?,
                    epoch: row.epoch as u32,
                    enrolled_by: parse_uuid(&row.enrolled_by)?,
                    enrolled_by_role: role_of(&row.role)?,
                    user_active: row.user_active,
                    location_id: row.location_id.as_deref().map(parse_uuid).transpose()?,
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
            self.reader.close().await;
            self.writer.close().await;
            Ok(())
        })
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

    fn set_device_location(&self, tenant_id: Uuid, device_id: Uuid, location_id: Option<Uuid>) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("UPDATE devices SET location_id = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id.to_string())
                .bind(device_id.to_string())
                .bind(location_id.map(|id| id.to_string()))
                .execute(&self.writer)
                .await?;
            Ok(())
        })
    }
}

/// A push transaction on SQLite. `BEGIN IMMEDIATE` already holds the
/// database's write lock, so the cursor needs no row lock.
pub(super) struct SqlitePushTx(Transaction<'static, Sqlite>);

impl SqlitePushTx {
    async fn set_cursor(&mut self, device_id: Uuid, epoch: u32, last_seq: u64) -> Result<(), HubError> {
        sqlx::query("UPDATE device_epochs SET last_seq = $3 WHERE device_id = $1 AND epoch = $2")
            .bind(device_id.to_string())
            .bind(i64::from(epoch))
            .bind(to_i64(last_seq, "seq")?)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn set_feed_head(
        &mut self,
        tenant_id: Uuid,
        head: u64,
        chain: [u8; 32],
        scope_chains: Option<&str>,
    ) -> Result<(), HubError> {
        sqlx::query(
            "UPDATE tenants SET feed_head = $2, feed_chain = $3, scope_chains = coalesce($4, scope_chains) WHERE id = $1",
        )
        .bind(tenant_id.to_string())
        .bind(to_i64(head, "position")?)
        .bind(&chain[..])
        .bind(scope_chains)
        .execute(&mut *self.0)
        .await?;
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
        let mut inserted = HashSet::with_capacity(rows.len());
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut values = Vec::with_capacity(chunk.len());
            for row in chunk {
                values.push(OpLogValues::of(row)?);
            }
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO op_log (op_id, tenant_id, device_id, epoch, seq, user_id, op_type, type_version, payload,
                                     hlc, effective_hlc, received_ms, outcome, reject_code, flags) ",
            );
            insert.push_values(values, |mut columns, row| {
                columns
                    .push_bind(row.op_id)
                    .push_bind(row.tenant_id)
                    .push_bind(row.device_id)
                    .push_bind(row.epoch)
                    .push_bind(row.seq)
                    .push_bind(row.user_id)
                    .push_bind(row.op_type)
                    .push_bind(row.type_version)
                    .push_bind(row.payload)
                    .push_bind(row.hlc)
                    .push_bind(row.effective_hlc)
                    .push_bind(row.received_ms)
                    .push_bind(row.outcome)
                    .push_bind(row.reject_code)
                    .push_bind(row.flags);
            });
            // Rows go in in order, so an op id twice keeps its first row.
            insert.push(" ON CONFLICT (op_id) DO NOTHING RETURNING seq");
            let seqs: Vec<i64> = insert.build_query_scalar().fetch_all(&mut *self.0).await?;
            inserted.extend(seqs.into_iter().map(|seq| seq as u64));
        }
        Ok(inserted)
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

    async fn lock_tenant(&mut self, tenant_id: Uuid) -> Result<TenantHead, HubError> {
        // `BEGIN IMMEDIATE` holds the database's write lock already.
        let (head, chain, scopes): (i64, Vec<u8>, Option<String>) =
            sqlx::query_as("SELECT feed_head, feed_chain, scope_chains FROM tenants WHERE id = $1")
                .bind(tenant_id.to_string())
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
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let mut select =
                QueryBuilder::<Sqlite>::new("SELECT entity, row_id, fields, stamps FROM records WHERE tenant_id = ");
            select.push_bind(tenant_id.to_string());
            select.push(" AND (entity, row_id) IN (");
            select.push_values(chunk, |mut columns, (entity, row_id)| {
                columns.push_bind(entity_name(*entity)).push_bind(row_id.to_string());
            });
            select.push(")");
            let rows: Vec<(String, String, String, String)> = select.build_query_as().fetch_all(&mut *self.0).await?;
            for (entity, row_id, fields, stamps) in rows {
                found.push((
                    (parse_entity(&entity)?, parse_uuid(&row_id)?),
                    Record::from_json(&fields, &stamps)?,
                ));
            }
        }
        Ok(found)
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
        let entity = entity_name(kind.entity());
        let mut found = Vec::new();
        for chunk in codes.chunks(ROWS_PER_STATEMENT) {
            let mut select = QueryBuilder::<Sqlite>::new("SELECT held_code, row_id FROM records WHERE tenant_id = ");
            select.push_bind(tenant_id.to_string());
            select.push(" AND entity = ");
            select.push_bind(entity);
            select.push(" AND held_code IN (");
            let mut values = select.separated(", ");
            for value in chunk {
                values.push_bind(value.as_str());
            }
            select.push(")");
            let rows: Vec<(String, String)> = select.build_query_as().fetch_all(&mut *self.0).await?;
            for (value, row_id) in rows {
                found.push((value, parse_uuid(&row_id)?));
            }
        }
        Ok(found)
    }

    async fn save_records(&mut self, tenant_id: Uuid, records: &[(RecordKey, Record)]) -> Result<(), HubError> {
        let tenant_id = tenant_id.to_string();
        for chunk in records.chunks(ROWS_PER_STATEMENT) {
            let mut upsert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO records (tenant_id, entity, row_id, fields, stamps, held_code, salesperson_id) ",
            );
            upsert.push_values(chunk, |mut columns, ((entity, row_id), record)| {
                let (fields, stamps) = record.to_json();
                columns
                    .push_bind(tenant_id.clone())
                    .push_bind(entity_name(*entity))
                    .push_bind(row_id.to_string())
                    .push_bind(fields)
                    .push_bind(stamps)
                    .push_bind(held_code(*entity, record))
                    .push_bind(assigned_salesperson(*entity, record).map(|id| id.to_string()));
            });
            upsert.push(
                " ON CONFLICT (tenant_id, entity, row_id) DO UPDATE SET fields = excluded.fields, stamps = excluded.stamps,
                  held_code = excluded.held_code, salesperson_id = excluded.salesperson_id",
            );
            upsert.build().execute(&mut *self.0).await?;
        }
        Ok(())
    }

    async fn finish(&mut self, end: &PushEnd<'_>) -> Result<(), HubError> {
        if let Some(last_seq) = end.last_seq {
            self.set_cursor(end.device_id, end.epoch, last_seq).await?;
        }
        if !end.feed.is_empty() {
            self.append_feed(end.tenant_id, end.first_position, end.feed).await?;
        }
        if !end.moved.is_empty() {
            self.count_customer_moves(end.tenant_id, end.moved).await?;
        }
        if let Some((head, chain)) = end.head {
            self.set_feed_head(end.tenant_id, head, chain, end.scope_chains_json.as_deref())
                .await?;
        }
        if let Some((skew_ms, now_ms)) = end.skew {
            self.record_skew(end.device_id, skew_ms, now_ms).await?;
        }
        Ok(())
    }

    async fn ensure_hub_device(&mut self, tenant_id: Uuid, device_id: Uuid, now_ms: u64) -> Result<(), HubError> {
        sqlx::query(
            "INSERT INTO devices (id, tenant_id, epoch, name, created_ms) VALUES ($1, $2, 0, 'hub', $3)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(device_id.to_string())
        .bind(tenant_id.to_string())
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
        // Primary result codes TOOBIG (18), CONSTRAINT (19), MISMATCH (20)
        // and RANGE (25), whatever the extended code.
        error
            .as_database_error()
            .and_then(|error| error.code())
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 18 | 19 | 20 | 25))
    }
}

/// Most rows in one multi-row statement (each row binds at most 15
/// values; SQLite takes 32,766).
pub(super) const ROWS_PER_STATEMENT: usize = 500;

/// One op_log row's values, as SQLite stores them.
struct OpLogValues {
    op_id: String,
    tenant_id: String,
    device_id: String,
    epoch: i64,
    seq: i64,
    user_id: String,
    op_type: String,
    type_version: i64,
    payload: String,
    hlc: i64,
    effective_hlc: i64,
    received_ms: i64,
    outcome: &'static str,
    reject_code: Option<&'static str>,
    flags: String,
}

impl OpLogValues {
    fn of(row: &OpLogRow<'_>) -> Result<OpLogValues, HubError> {
        let envelope = row.envelope;
        Ok(OpLogValues {
            op_id: envelope.op_id.to_string(),
            tenant_id: row.tenant_id.to_string(),
            device_id: envelope.device_id.to_string(),
            epoch: i64::from(envelope.epoch),
            seq: to_i64(envelope.seq, "seq")?,
            user_id: envelope.user_id.to_string(),
            op_type: row.op_type.clone(),
            type_version: i64::from(envelope.type_version),
            payload: row.payload_json.clone(),
            hlc: envelope.hlc.to_i64(),
            effective_hlc: row.effective_hlc.to_i64(),
            received_ms: to_i64(row.received_ms, "time")?,
            outcome: if row.rejected.is_some() { "rejected" } else { "applied" },
            reject_code: row.rejected.map(RejectCode::as_str),
            flags: row.flags_json.clone(),
        })
    }
}

/// A stored chain value back as bytes.
fn chain_of(stored: Vec<u8>) -> Result<[u8; 32], HubError> {
    stored
        .try_into()
        .map_err(|_| HubError::corrupt("a feed chain value is not 32 bytes"))
}
