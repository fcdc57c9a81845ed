//! The device database: opening it (WAL, durability, embedded migrations),
//! and the write transaction every command goes through, which stamps the
//! HLC, makes ids and appends outbox ops in the same SQLite transaction.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use stockroom_protocol::{Hlc, Op};
use uuid::Uuid;

use crate::auth::Session;
use crate::error::{CoreError, Result};
use crate::ids::{parse_uuid, Clock, IdSource, RandomIds, SystemClock};
use crate::money::Currency;

/// Migrations of the device database, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/device");

/// Longest a write waits for the one writer connection.
pub const WRITER_WAIT: Duration = Duration::from_secs(300);

/// How hard a commit waits for the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: a committed sale survives a power cut. The default.
    Full,
    /// `synchronous=NORMAL`: survives an app crash, may lose the last commits
    /// on power loss. Offered only to measure what `Full` costs.
    Normal,
}

/// Settings for opening a device database.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub durability: Durability,
    /// Prefix of this device's document numbers (`V07` in `V07-000123`),
    /// used when the database is created.
    pub doc_prefix: String,
    /// The shop's main currency, used when the database is created.
    pub base_currency: Currency,
    /// Connections for reads (WAL lets them run beside the writer).
    pub read_connections: u32,
    /// Whether writes append outbox ops. Always true on a real device (with it
    /// off nothing would ever sync); false only to measure the outbox's cost.
    #[doc(hidden)]
    pub record_outbox: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Full,
            doc_prefix: "D01".to_string(),
            base_currency: Currency::from_str("EUR").unwrap_or_else(|_| unreachable!("EUR is a valid code")),
            read_connections: 4,
            record_outbox: true,
        }
    }
}

/// This device's identity and sync position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub device_id: Uuid,
    pub epoch: u32,
    pub doc_prefix: String,
    pub base_currency: Currency,
    /// The sequence number the next op will take.
    pub next_seq: u64,
}

/// An open device database.
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    record_outbox: bool,
    checkpointer: Checkpointer,
    commits: Arc<CommitClock>,
    /// Hub time minus this device's clock, from the last sync answer: every
    /// write stamps in hub time, so a device clock a year off still sorts
    /// its edits where they happened.
    clock_offset_ms: std::sync::atomic::AtomicI64,
    /// The outbox's next sequence number after each commit that added ops,
    /// for the sync engine to wake on.
    writes: tokio::sync::watch::Sender<u64>,
}

/// Copies committed pages from the WAL back into the database file on its
/// own connection, so no write pays for it: when no write has committed for
/// [`CHECKPOINT_IDLE`] (between customers at a till), or at the latest every
/// [`CHECKPOINT_MAX_WAIT`] under sustained writing. `PASSIVE` never blocks
/// the writer or readers. Nothing runs while nothing was written since the
/// last checkpoint (an idle phone does no work), and the connection opens
/// at the first checkpoint, not with the store.
struct Checkpointer {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// Quiet time after a commit before the background checkpoint runs.
pub const CHECKPOINT_IDLE: Duration = Duration::from_millis(250);
/// Longest time between checkpoints while writes keep coming.
pub const CHECKPOINT_MAX_WAIT: Duration = Duration::from_secs(10);

/// When the last write committed, for the checkpointer: microseconds since
/// the store opened.
#[derive(Default)]
struct CommitClock {
    opened: std::sync::OnceLock<std::time::Instant>,
    last_commit_us: std::sync::atomic::AtomicU64,
    /// Commits since the store opened.
    count: std::sync::atomic::AtomicU64,
}

impl CommitClock {
    fn now_us(&self) -> u64 {
        self.opened.get_or_init(std::time::Instant::now).elapsed().as_micros() as u64
    }

    fn committed(&self) {
        self.last_commit_us
            .store(self.now_us(), std::sync::atomic::Ordering::Relaxed);
        self.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn count(&self) -> u64 {
        self.count.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn idle_for(&self) -> Duration {
        let last = self.last_commit_us.load(std::sync::atomic::Ordering::Relaxed);
        Duration::from_micros(self.now_us().saturating_sub(last))
    }
}

impl Checkpointer {
    fn start(connect: SqliteConnectOptions, commits: Arc<CommitClock>) -> Checkpointer {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut conn: Option<sqlx::SqliteConnection> = None;
            let mut ticks = tokio::time::interval(CHECKPOINT_IDLE);
            let mut since_checkpoint = Duration::ZERO;
            // What the WAL may hold from before the open counts as one commit.
            let mut checkpointed_at = 0;
            commits.committed();
            loop {
                tokio::select! {
                    _ = ticks.tick() => {
                        since_checkpoint += CHECKPOINT_IDLE;
                        let count = commits.count();
                        if count == checkpointed_at
                            || (commits.idle_for() < CHECKPOINT_IDLE && since_checkpoint < CHECKPOINT_MAX_WAIT)
                        {
                            continue;
                        }
                        since_checkpoint = Duration::ZERO;
                        match checkpoint(&connect, &mut conn).await {
                            Ok(()) => checkpointed_at = count,
                            Err(err) => tracing::warn!(%err, "background checkpoint failed"),
                        }
                    }
                    // Stopped, or the store was dropped without closing.
                    _ = &mut stopped => break,
                }
            }
            if let Some(conn) = conn {
                let _ = sqlx::Connection::close(conn).await;
            }
        });
        Checkpointer { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// One passive checkpoint on the checkpointer's connection, opened first if
/// it is not yet (or was dropped after a failure).
async fn checkpoint(connect: &SqliteConnectOptions, conn: &mut Option<sqlx::SqliteConnection>) -> Result<()> {
    let mut open = match conn.take() {
        Some(open) => open,
        None => sqlx::ConnectOptions::connect(connect).await?,
    };
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut open).await?;
    *conn = Some(open);
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path` on the system clock.
    pub async fn open(path: &Path, options: StoreOptions) -> Result<Store> {
        Store::open_with(path, options, Arc::new(SystemClock), Arc::new(RandomIds)).await
    }

    /// Opens the database with a given clock and id source.
    pub async fn open_with(
        path: &Path,
        options: StoreOptions,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Result<Store> {
        let synchronous = match options.durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        };
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // One writer: SQLite takes one at a time, and a pool of one queues
        // writers in the app instead of failing them with SQLITE_BUSY.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // A write waits its turn behind a long one (a 100k-row import
            // holds the writer for seconds) instead of failing after 30 s.
            .acquire_timeout(WRITER_WAIT)
            // WAL checkpoints run in the background (below), not inside
            // whichever sale happens to cross the threshold.
            .connect_with(connect.clone().pragma("wal_autocheckpoint", "0"))
            .await?;
        // A database touched by a newer build still opens: its extra
        // migrations only add what this build does not read.
        let migrator = sqlx::migrate::Migrator {
            migrations: MIGRATOR.migrations.clone(),
            ignore_missing: true,
            ..sqlx::migrate::Migrator::DEFAULT
        };
        migrator.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(options.read_connections.max(1))
            .connect_with(connect.clone().read_only(true))
            .await?;
        let commits = Arc::new(CommitClock::default());
        let checkpointer = Checkpointer::start(connect, commits.clone());
        let store = Store {
            writer,
            reader,
            clock,
            ids,
            record_outbox: options.record_outbox,
            checkpointer,
            commits,
            clock_offset_ms: std::sync::atomic::AtomicI64::new(0),
            writes: tokio::sync::watch::channel(0).0,
        };
        store.init_device_state(&options).await?;
        let offset: i64 = sqlx::query_scalar("SELECT clock_offset_ms FROM sync_state WHERE id = 1")
            .fetch_one(&store.writer)
            .await?;
        store.set_clock_offset(offset);
        Ok(store)
    }

    /// Turns a closed database file into an image for provisioning devices:
    /// its device identity, outbox, counters and sync position are cleared,
    /// so the next open makes a new device with the image's catalog and
    /// users.
    pub async fn forget_device_identity(path: &Path) -> Result<()> {
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal);
        let mut conn = sqlx::ConnectOptions::connect(&connect).await?;
        for statement in [
            "DELETE FROM device_state",
            "DELETE FROM outbox",
            "DELETE FROM doc_counters",
            "DELETE FROM field_pending",
            "UPDATE sync_state SET hub_url = NULL, tenant_id = NULL, acked_through_seq = 0, pull_cursor = NULL,
             chain = '', clock_offset_ms = 0, last_sync_ms = NULL, last_error = NULL",
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ] {
            sqlx::query(statement).execute(&mut conn).await?;
        }
        sqlx::Connection::close(conn).await?;
        Ok(())
    }

    async fn init_device_state(&self, options: &StoreOptions) -> Result<()> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM device_state WHERE id = 1")
            .fetch_optional(&self.writer)
            .await?;
        if exists.is_none() {
            let now_ms = self.clock.now_ms();
            let device_id = self.ids.new_id(now_ms);
            sqlx::query(
                "INSERT INTO device_state (id, device_id, epoch, doc_prefix, next_seq, last_hlc, base_currency)
                 VALUES (1, ?, 1, ?, 1, 0, ?)",
            )
            .bind(device_id.to_string())
            .bind(&options.doc_prefix)
            .bind(options.base_currency.as_str())
            .execute(&self.writer)
            .await?;
        }
        Ok(())
    }

    /// This device's identity and next outbox sequence number.
    pub async fn device_info(&self) -> Result<DeviceInfo> {
        let (device_id, epoch, doc_prefix, next_seq, currency): (String, i64, String, i64, String) = sqlx::query_as(
            "SELECT device_id, epoch, doc_prefix, next_seq, base_currency FROM device_state WHERE id = 1",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(DeviceInfo {
            device_id: parse_uuid(&device_id)?,
            epoch: epoch as u32,
            doc_prefix,
            base_currency: currency.parse()?,
            next_seq: next_seq as u64,
        })
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// Now in hub time: this device's clock corrected by the offset the
    /// last sync answer gave.
    pub(crate) fn now_ms(&self) -> u64 {
        let offset = self.clock_offset_ms.load(std::sync::atomic::Ordering::Relaxed);
        self.clock.now_ms().saturating_add_signed(offset)
    }

    /// This device's own clock, uncorrected.
    pub(crate) fn device_clock_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    pub(crate) fn set_clock_offset(&self, offset_ms: i64) {
        self.clock_offset_ms
            .store(offset_ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Wakes when a commit adds outbox ops: the value is the next sequence
    /// number then.
    pub fn subscribe_writes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.writes.subscribe()
    }

    pub(crate) fn new_id(&self, now_ms: u64) -> Uuid {
        self.ids.new_id(now_ms)
    }

    /// Starts a write for `session`'s user. Nothing is visible to others, and
    /// nothing reaches the outbox, until [`WriteTx::commit`].
    /// The user's role and access are read again inside the write, so a user
    /// switched off or given another role since signing in is stopped here.
    pub(crate) async fn write(&self, session: &Session) -> Result<WriteTx<'_>> {
        let mut write = self.write_as(session.user_id()).await?;
        let current: Option<(String, bool)> = sqlx::query_as("SELECT role, active FROM users WHERE id = ?")
            .bind(session.user_id().to_string())
            .fetch_optional(write.conn())
            .await?;
        match current {
            Some((role, true)) if role == session.role().as_str() => Ok(write),
            _ => Err(CoreError::SessionExpired),
        }
    }

    pub(crate) async fn write_as(&self, user_id: Uuid) -> Result<WriteTx<'_>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let (device_id, doc_prefix, next_seq, last_hlc, currency): (String, String, i64, i64, String) = sqlx::query_as(
            "SELECT device_id, doc_prefix, next_seq, last_hlc, base_currency FROM device_state WHERE id = 1",
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(WriteTx {
            tx,
            store: self,
            user_id,
            device_text: device_id,
            doc_prefix,
            base_currency: currency.parse()?,
            next_seq,
            first_seq: next_seq,
            last_hlc: Hlc::from_i64(last_hlc).map_err(|_| CoreError::corrupt("device HLC"))?,
            now_ms: self.now_ms(),
            pending_ops: Vec::new(),
        })
    }

    /// Closes both connection pools, checkpointing the WAL.
    pub async fn close(self) {
        self.checkpointer.stop().await;
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Kinds of human document numbers, each with its own counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Sales, returns and orders number their documents once those commands land.
pub(crate) enum DocKind {
    Sale,
    Return,
    Order,
    Transfer,
}

impl DocKind {
    fn key(self) -> &'static str {
        match self {
            DocKind::Sale => "sale",
            DocKind::Return => "return",
            DocKind::Order => "order",
            DocKind::Transfer => "transfer",
        }
    }

    /// Letter between the device prefix and the number; sales have none.
    fn letter(self) -> &'static str {
        match self {
            DocKind::Sale => "",
            DocKind::Return => "R",
            DocKind::Order => "O",
            DocKind::Transfer => "T",
        }
    }
}

/// Codes of the rule breaches raised for a manager. Stable: stored and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagCode {
    NegativeStock,
    CountClockUncertain,
    CreditLimitExceeded,
    PriceBelowCost,
}

impl FlagCode {
    pub const ALL: [FlagCode; 4] = [
        FlagCode::NegativeStock,
        FlagCode::CountClockUncertain,
        FlagCode::CreditLimitExceeded,
        FlagCode::PriceBelowCost,
    ];

    pub fn parse(code: &str) -> Option<FlagCode> {
        FlagCode::ALL.into_iter().find(|flag_code| flag_code.as_str() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FlagCode::NegativeStock => "negative_stock",
            FlagCode::CountClockUncertain => "count_clock_uncertain",
            FlagCode::CreditLimitExceeded => "credit_limit_exceeded",
            FlagCode::PriceBelowCost => "price_below_cost",
        }
    }
}

/// Outbox rows per multi-row statement (8 values each, far under SQLite's
/// 32,766 bound values).
const OUTBOX_ROWS_PER_STATEMENT: usize = 1_000;

/// An outbox row waiting for its statement.
struct PendingOp {
    seq: i64,
    op_id: String,
    hlc: i64,
    op_type: &'static str,
    type_version: i64,
    payload: String,
}

/// One write in progress: domain rows and outbox ops commit together or not
/// at all. Dropping it without `commit` rolls everything back.
pub(crate) struct WriteTx<'a> {
    tx: Transaction<'static, Sqlite>,
    store: &'a Store,
    pub(crate) user_id: Uuid,
    pub(crate) device_text: String,
    pub(crate) doc_prefix: String,
    pub(crate) base_currency: Currency,
    next_seq: i64,
    first_seq: i64,
    last_hlc: Hlc,
    now_ms: u64,
    pending_ops: Vec<PendingOp>,
}

impl WriteTx<'_> {
    /// The connection, for this write's statements.
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// A new UUIDv7 row id.
    pub(crate) fn new_id(&self) -> Uuid {
        self.store.new_id(self.now_ms)
    }

    /// The next HLC stamp of this device.
    pub(crate) fn stamp(&mut self) -> Hlc {
        self.last_hlc = self.last_hlc.tick(self.now_ms);
        self.last_hlc
    }

    /// Renumbers the sequence after the outbox was moved down by `by` (a
    /// new enrolment epoch starts again at 1).
    pub(crate) async fn rebase_sequence(&mut self, by: i64) -> Result<()> {
        self.next_seq -= by;
        self.first_seq = self.next_seq;
        Ok(())
    }

    /// This write's clock so far.
    pub(crate) fn last_hlc(&self) -> Hlc {
        self.last_hlc
    }

    /// Puts this write's clock back (the statements that moved it were
    /// rolled back).
    pub(crate) fn reset_last_hlc(&mut self, hlc: Hlc) {
        self.last_hlc = hlc;
    }

    /// Moves this device's clock past a stamp seen in the feed, so its next
    /// stamps sort after everything it has applied.
    pub(crate) fn observe(&mut self, remote: Hlc) {
        self.last_hlc = self.last_hlc.max(remote);
    }

    /// Appends `op`, stamped `hlc`, to the outbox with the next sequence
    /// number and returns its op id. Rows are buffered and written in
    /// multi-row statements (an import appends one op per product); all are
    /// written before commit.
    pub(crate) async fn append_op(&mut self, hlc: Hlc, op: &Op) -> Result<Uuid> {
        let op_id = self.new_id();
        if !self.store.record_outbox {
            return Ok(op_id);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let kind = op.kind();
        self.pending_ops.push(PendingOp {
            seq,
            op_id: op_id.to_string(),
            hlc: hlc.to_i64(),
            op_type: kind.as_str(),
            type_version: i64::from(kind.current_version()),
            payload: op.payload_json().to_string(),
        });
        if self.pending_ops.len() >= OUTBOX_ROWS_PER_STATEMENT {
            self.flush_ops().await?;
        }
        Ok(op_id)
    }

    async fn flush_ops(&mut self) -> Result<()> {
        if self.pending_ops.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending_ops);
        let sql = format!(
            "INSERT INTO outbox (seq, op_id, hlc, user_id, op_type, type_version, payload, created_ms) VALUES {}",
            vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; pending.len()].join(", ")
        );
        let user_id = self.user_id.to_string();
        let mut query = sqlx::query(&sql);
        for op in pending {
            query = query
                .bind(op.seq)
                .bind(op.op_id)
                .bind(op.hlc)
                .bind(user_id.clone())
                .bind(op.op_type)
                .bind(op.type_version)
                .bind(op.payload)
                .bind(self.now_ms as i64);
        }
        query.execute(&mut *self.tx).await?;
        Ok(())
    }

    /// The next human number of `kind` on this device, e.g. `D01-000042`.
    pub(crate) async fn next_number(&mut self, kind: DocKind) -> Result<String> {
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO doc_counters (kind, next) VALUES (?, 2)
             ON CONFLICT(kind) DO UPDATE SET next = next + 1
             RETURNING next - 1",
        )
        .bind(kind.key())
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(format!("{}-{}{:06}", self.doc_prefix, kind.letter(), number))
    }

    /// Raises a flag for a manager; the write itself goes ahead.
    pub(crate) async fn flag(&mut self, code: FlagCode, entity_id: Option<Uuid>, detail: String) -> Result<()> {
        let id = self.new_id();
        sqlx::query("INSERT INTO flags (id, code, entity_id, detail, created_ms) VALUES (?, ?, ?, ?, ?)")
            .bind(id.to_string())
            .bind(code.as_str())
            .bind(entity_id.map(|id| id.to_string()))
            .bind(detail)
            .bind(self.now_ms as i64)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Saves the device's sequence and clock, then commits.
    pub(crate) async fn commit(mut self) -> Result<()> {
        self.flush_ops().await?;
        sqlx::query("UPDATE device_state SET next_seq = ?, last_hlc = ? WHERE id = 1")
            .bind(self.next_seq)
            .bind(self.last_hlc.to_i64())
            .execute(&mut *self.tx)
            .await?;
        tracing::debug!(ops = self.next_seq - self.first_seq, "write committed");
        self.tx.commit().await?;
        self.store.commits.committed();
        if self.next_seq != self.first_seq {
            self.store.writes.send_replace(self.next_seq as u64);
        }
        Ok(())
    }
}
