//! The device's side of sync in its database: where it stands (acknowledged
//! sequence, pull cursor, each scope's chain, clock offset), the push's
//! outcome recorded
//! (outbox trimmed only then), feed pages and snapshots applied atomically
//! with the cursor, a new enrolment epoch, and the sync inbox.

use std::collections::BTreeMap;

use stockroom_protocol::snapshot::{canonical_change, chain_hex, chain_link, parse_chain, GENESIS_CHAIN};
use stockroom_protocol::sync::{FeedChange, FeedEntry, OpOutcome, PullResponse, PushResponse, RawOpEnvelope};
use stockroom_protocol::OpEnvelope;
use uuid::Uuid;

use super::SyncState;
use crate::error::{CoreError, Result};
use crate::store::{Store, WriteTx};

/// Where this device stands with its hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncPosition {
    pub hub_url: Option<String>,
    pub tenant_id: Option<Uuid>,
    pub acked_through_seq: u64,
    pub pull_cursor: Option<String>,
    /// Hex; the one chain over the whole feed of protocol 1, no longer
    /// written (each scope's chain is kept instead).
    pub chain: String,
    /// Hub time minus this device's clock.
    pub clock_offset_ms: i64,
    pub last_sync_ms: Option<u64>,
    /// The last snapshot merged into ops that were waiting: take another
    /// once they are all acknowledged (see `rebuild`).
    pub rebuild_due: bool,
}

/// The `sync_state` row as read back.
#[derive(sqlx::FromRow)]
struct PositionRow {
    hub_url: Option<String>,
    tenant_id: Option<String>,
    acked_through_seq: i64,
    pull_cursor: Option<String>,
    chain: String,
    clock_offset_ms: i64,
    last_sync_ms: Option<i64>,
    rebuild_due: bool,
}

/// An entry of the sync inbox: an own op the hub refused or flagged, or a
/// feed entry this device could not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncNotice {
    pub op_id: Uuid,
    pub op_type: String,
    /// `rejected`, `flagged` or `not_applied`.
    pub kind: String,
    pub code: String,
    pub detail: Option<String>,
    pub created_ms: u64,
}

/// What applying a page did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppliedPage {
    pub applied: u64,
    /// Entries recorded in the inbox instead (unknown op, missing record).
    pub not_applied: u64,
}

impl Store {
    /// The saved sync position.
    pub async fn sync_position(&self) -> Result<SyncPosition> {
        let row: PositionRow = sqlx::query_as(
            "SELECT hub_url, tenant_id, acked_through_seq, pull_cursor, chain, clock_offset_ms, last_sync_ms,
                    rebuild_due
             FROM sync_state WHERE id = 1",
        )
        .fetch_one(self.reader())
        .await?;
        Ok(SyncPosition {
            hub_url: row.hub_url,
            tenant_id: row.tenant_id.as_deref().map(crate::ids::parse_uuid).transpose()?,
            acked_through_seq: row.acked_through_seq as u64,
            pull_cursor: row.pull_cursor,
            chain: row.chain,
            clock_offset_ms: row.clock_offset_ms,
            last_sync_ms: row.last_sync_ms.map(|ms| ms as u64),
            rebuild_due: row.rebuild_due,
        })
    }

    /// Each feed scope this device receives, with its chain (hex) at the
    /// pull cursor.
    pub async fn scope_chains(&self) -> Result<BTreeMap<String, String>> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT scope, chain FROM scope_chains ORDER BY scope")
            .fetch_all(self.reader())
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// The planner's state at start: the outbox as stored and the saved
    /// cursor.
    pub async fn sync_state(&self) -> Result<SyncState> {
        let position = self.sync_position().await?;
        let device = self.device_info().await?;
        Ok(SyncState {
            rebuild_due: position.rebuild_due,
            ..SyncState::new(position.acked_through_seq, device.next_seq, position.pull_cursor)
        })
    }

    /// Outbox ops `from_seq ..= to_seq`, in order, as the hub reads them.
    pub async fn outbox_range(&self, from_seq: u64, to_seq: u64) -> Result<Vec<OpEnvelope>> {
        let limit = to_seq
            .saturating_sub(from_seq)
            .saturating_add(1)
            .min(u64::from(u32::MAX)) as u32;
        let ops = self.outbox_from(from_seq, limit).await?;
        Ok(ops.into_iter().filter(|op| op.seq <= to_seq).collect())
    }

    /// Records the hub's answer to a push of ops up to `sent_to_seq`, in one
    /// transaction: the acknowledged ops leave the outbox, refusals revert
    /// the fields they held and go to the inbox with the hub's flags, the
    /// clock offset is kept, and a batch that went outside the device's
    /// scopes marks a rebuild due. Nothing is dropped beyond what was sent.
    pub async fn record_push_result(&self, sent_to_seq: u64, response: &PushResponse) -> Result<u64> {
        let mut write = self.write_as(Uuid::nil()).await?;
        let stored: i64 = sqlx::query_scalar("SELECT acked_through_seq FROM sync_state WHERE id = 1")
            .fetch_one(write.conn())
            .await?;
        let acked = (stored as u64).max(response.acked_through_seq.min(sent_to_seq));
        let now_ms = write.now_ms();
        let needs_notice = |outcome: &OpOutcome| match outcome {
            OpOutcome::Applied { flags } => !flags.is_empty(),
            OpOutcome::Duplicate { rejected } => rejected.is_some(),
            OpOutcome::Rejected { .. } => true,
        };
        for result in response
            .results
            .iter()
            .filter(|result| result.seq <= acked && needs_notice(&result.outcome))
        {
            let op_type: Option<String> = sqlx::query_scalar("SELECT op_type FROM outbox WHERE op_id = ?")
                .bind(result.op_id.to_string())
                .fetch_optional(write.conn())
                .await?;
            let op_type = op_type.unwrap_or_default();
            match &result.outcome {
                OpOutcome::Rejected { code } | OpOutcome::Duplicate { rejected: Some(code) } => {
                    write.revert_refused_fields(result.op_id).await?;
                    notice(
                        &mut write,
                        result.op_id,
                        &op_type,
                        "rejected",
                        code.as_str(),
                        None,
                        now_ms,
                    )
                    .await?;
                }
                OpOutcome::Applied { flags } => {
                    for flag in flags {
                        notice(
                            &mut write,
                            result.op_id,
                            &op_type,
                            "flagged",
                            flag.as_str(),
                            None,
                            now_ms,
                        )
                        .await?;
                    }
                }
                OpOutcome::Duplicate { rejected: None } => {}
            }
        }
        sqlx::query("DELETE FROM outbox WHERE seq <= ?")
            .bind(acked as i64)
            .execute(write.conn())
            .await?;
        sqlx::query(
            "UPDATE sync_state SET acked_through_seq = ?, clock_offset_ms = ?, last_sync_ms = ?, last_error = NULL,
                                   rebuild_due = rebuild_due OR ?
             WHERE id = 1",
        )
        .bind(acked as i64)
        .bind(response.hub_time_ms as i64 - self.device_clock_ms() as i64)
        .bind(response.hub_time_ms as i64)
        .bind(response.outside_scopes)
        .execute(write.conn())
        .await?;
        write.commit().await?;
        self.set_clock_offset(response.hub_time_ms as i64 - self.device_clock_ms() as i64);
        Ok(acked)
    }

    /// Applies a page of the feed and moves the cursor to its end, in one
    /// transaction: a crash leaves either the whole page and its cursor or
    /// neither. Each scope's chain is checked against the chain recomputed
    /// over what was applied (every entry must name its scopes, each with a
    /// chain on the page); a mismatch applies nothing.
    pub async fn apply_pull(&self, page: &PullResponse<RawOpEnvelope>) -> Result<AppliedPage> {
        let mut write = self.write_as(Uuid::nil()).await?;
        let mut chains: BTreeMap<String, [u8; 32]> = BTreeMap::new();
        for scope in page.scopes.keys() {
            let stored: Option<String> = sqlx::query_scalar("SELECT chain FROM scope_chains WHERE scope = ?")
                .bind(scope)
                .fetch_optional(write.conn())
                .await?;
            let chain = match stored {
                Some(hex) => parse_chain(&hex).ok_or_else(|| CoreError::corrupt("a stored scope chain"))?,
                None => GENESIS_CHAIN,
            };
            chains.insert(scope.clone(), chain);
        }
        for entry in &page.changes {
            if entry.scopes.is_empty() {
                return Err(CoreError::FeedChainMismatch);
            }
            let canonical = canonical_change(&entry.change);
            for scope in &entry.scopes {
                let chain = chains.get_mut(scope).ok_or(CoreError::FeedChainMismatch)?;
                *chain = chain_link(chain, entry.position, &canonical);
            }
        }
        for (scope, sent) in &page.scopes {
            if chains.get(scope).map(chain_hex).as_ref() != Some(sent) {
                return Err(CoreError::FeedChainMismatch);
            }
        }
        let report = apply_entries(&mut write, &page.changes).await?;
        for (scope, chain) in &chains {
            sqlx::query("INSERT INTO scope_chains (scope, chain) VALUES (?, ?) ON CONFLICT(scope) DO UPDATE SET chain = excluded.chain")
                .bind(scope)
                .bind(chain_hex(chain))
                .execute(write.conn())
                .await?;
        }
        let now_ms = write.now_ms();
        sqlx::query(
            // A page the hub gave: the user who enrolled this device is
            // not switched off (any more), so they may sign in again.
            "UPDATE sync_state SET pull_cursor = ?, clock_offset_ms = ?, last_sync_ms = ?, last_error = NULL,
                                   enrolled_user_off = 0
             WHERE id = 1",
        )
        .bind(&page.next)
        .bind(page.hub_time_ms as i64 - self.device_clock_ms() as i64)
        .bind(now_ms as i64)
        .execute(write.conn())
        .await?;
        write.commit().await?;
        self.set_clock_offset(page.hub_time_ms as i64 - self.device_clock_ms() as i64);
        Ok(report)
    }

    /// Records the hub this device is enrolled with and the epoch the hub
    /// gave it. A new epoch renumbers the unacknowledged outbox from 1 (the
    /// hub acknowledges ops it already has as repeats), so nothing waiting
    /// is lost by enrolling again.
    pub async fn record_enrolment(
        &self,
        hub_url: &str,
        tenant_id: Uuid,
        device_id: Uuid,
        epoch: u32,
        hub_time_ms: u64,
    ) -> Result<()> {
        let mut write = self.write_as(Uuid::nil()).await?;
        let (current_device, current_epoch, acked): (String, i64, i64) = sqlx::query_as(
            "SELECT d.device_id, d.epoch, s.acked_through_seq FROM device_state d, sync_state s
             WHERE d.id = 1 AND s.id = 1",
        )
        .fetch_one(write.conn())
        .await?;
        if current_device != device_id.to_string() {
            return Err(CoreError::invalid("device_id", "the hub enrolled another device id"));
        }
        if i64::from(epoch) != current_epoch {
            // Two steps: seq stays unique at every row of the update.
            sqlx::query("UPDATE outbox SET seq = -(seq - ?)")
                .bind(acked)
                .execute(write.conn())
                .await?;
            sqlx::query("UPDATE outbox SET seq = -seq")
                .execute(write.conn())
                .await?;
            write.rebase_sequence(acked).await?;
            sqlx::query("UPDATE device_state SET epoch = ? WHERE id = 1")
                .bind(i64::from(epoch))
                .execute(write.conn())
                .await?;
            sqlx::query("UPDATE sync_state SET acked_through_seq = 0 WHERE id = 1")
                .execute(write.conn())
                .await?;
        }
        let offset = hub_time_ms as i64 - self.device_clock_ms() as i64;
        sqlx::query("UPDATE sync_state SET hub_url = ?, tenant_id = ?, clock_offset_ms = ? WHERE id = 1")
            .bind(hub_url)
            .bind(tenant_id.to_string())
            .bind(offset)
            .execute(write.conn())
            .await?;
        write.commit().await?;
        self.set_clock_offset(offset);
        Ok(())
    }

    /// Makes the hub user who enrolled this device a user of this device,
    /// under the hub's id and role, so the ops they write here are theirs
    /// on the hub too. A local user of the same name is taken over (their
    /// earlier rows keep the old id, but the ops still in the outbox are
    /// sent as the hub user's, and a `user.set` of theirs names the hub's
    /// id, so the hub does not refuse it as another user with a taken
    /// name); `pin` sets the PIN for switching users at the till.
    pub async fn adopt_hub_user(
        &self,
        user_id: Uuid,
        username: &str,
        role: crate::Role,
        pin: Option<&str>,
    ) -> Result<()> {
        let pin_hash = match pin {
            Some(pin) => Some(crate::auth::hash_pin(pin)?),
            None => None,
        };
        let mut write = self.write_as(Uuid::nil()).await?;
        sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(user_id.to_string())
            .execute(write.conn())
            .await?;
        let local: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(write.conn())
            .await?;
        if let Some(local) = local {
            sqlx::query("UPDATE outbox SET user_id = ? WHERE user_id = ?")
                .bind(user_id.to_string())
                .bind(&local)
                .execute(write.conn())
                .await?;
            sqlx::query(
                "UPDATE outbox SET payload = json_set(payload, '$.id', ?)
                 WHERE op_type = 'user.set' AND json_extract(payload, '$.id') = ?",
            )
            .bind(user_id.to_string())
            .bind(&local)
            .execute(write.conn())
            .await?;
        }
        let taken_over =
            sqlx::query("UPDATE users SET id = ?, role = ?, pin_hash = coalesce(?, pin_hash) WHERE username = ?")
                .bind(user_id.to_string())
                .bind(role.as_str())
                .bind(pin_hash.as_deref())
                .bind(username)
                .execute(write.conn())
                .await?
                .rows_affected();
        if taken_over == 0 {
            let now_ms = write.now_ms();
            sqlx::query(
                "INSERT INTO users (id, username, display_name, role, pin_hash, active, created_ms)
                 VALUES (?, ?, ?, ?, ?, 1, ?)",
            )
            .bind(user_id.to_string())
            .bind(username)
            .bind(username)
            .bind(role.as_str())
            .bind(pin_hash.as_deref())
            .bind(now_ms as i64)
            .execute(write.conn())
            .await?;
        }
        sqlx::query("UPDATE sync_state SET enrolled_user_id = ?, enrolled_user_off = 0 WHERE id = 1")
            .bind(user_id.to_string())
            .execute(write.conn())
            .await?;
        write.commit().await
    }

    /// Notes that the hub refused this device because the user who
    /// enrolled it is switched off: from now on they cannot sign in here
    /// (a session already open goes on: nothing it writes is lost), until
    /// the hub gives the device a page or a snapshot again (they were
    /// switched on again, or someone enrolled the device anew), whose
    /// users are then as the hub has them. Returns whether anything
    /// changed.
    pub async fn refuse_enrolled_user(&self) -> Result<bool> {
        let mut write = self.write_as(Uuid::nil()).await?;
        let changed = sqlx::query(
            "UPDATE sync_state SET enrolled_user_off = 1
             WHERE id = 1 AND enrolled_user_id IS NOT NULL AND enrolled_user_off = 0",
        )
        .execute(write.conn())
        .await?
        .rows_affected();
        write.commit().await?;
        Ok(changed > 0)
    }

    /// Records why the last attempt failed, for the status line.
    pub async fn record_sync_error(&self, error: &str) -> Result<()> {
        let mut write = self.write_as(Uuid::nil()).await?;
        sqlx::query("UPDATE sync_state SET last_error = ? WHERE id = 1")
            .bind(error)
            .execute(write.conn())
            .await?;
        write.commit().await
    }

    /// The sync inbox, newest first.
    pub async fn sync_notices(&self, limit: u32) -> Result<Vec<SyncNotice>> {
        let rows: Vec<(String, String, String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT op_id, op_type, kind, code, detail, created_ms FROM sync_notices
             ORDER BY created_ms DESC, id LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(op_id, op_type, kind, code, detail, created_ms)| {
                Ok(SyncNotice {
                    op_id: crate::ids::parse_uuid(&op_id)?,
                    op_type,
                    kind,
                    code,
                    detail,
                    created_ms: created_ms as u64,
                })
            })
            .collect()
    }
}

/// Applies feed entries inside `write`. The whole batch is tried at once
/// (one savepoint: two statements instead of two per entry); only if an
/// entry fails is the batch rolled back and applied entry by entry, each in
/// its own savepoint, so one that cannot be applied (an op type from a
/// newer build, a record missing a required field) goes to the inbox and
/// the rest go on.
pub(crate) async fn apply_entries(
    write: &mut WriteTx<'_>,
    entries: &[FeedEntry<RawOpEnvelope>],
) -> Result<AppliedPage> {
    if entries.is_empty() {
        return Ok(AppliedPage::default());
    }
    let last_hlc = write.last_hlc();
    sqlx::query("SAVEPOINT apply_batch").execute(write.conn()).await?;
    let mut all_applied = true;
    for entry in entries {
        if apply_entry(write, entry).await.is_err() {
            all_applied = false;
            break;
        }
    }
    if all_applied {
        sqlx::query("RELEASE apply_batch").execute(write.conn()).await?;
        return Ok(AppliedPage {
            applied: entries.len() as u64,
            not_applied: 0,
        });
    }
    sqlx::query("ROLLBACK TO apply_batch").execute(write.conn()).await?;
    sqlx::query("RELEASE apply_batch").execute(write.conn()).await?;
    write.reset_last_hlc(last_hlc);
    let mut report = AppliedPage::default();
    let now_ms = write.now_ms();
    for entry in entries {
        sqlx::query("SAVEPOINT apply_entry").execute(write.conn()).await?;
        match apply_entry(write, entry).await {
            Ok(()) => {
                sqlx::query("RELEASE apply_entry").execute(write.conn()).await?;
                report.applied += 1;
            }
            Err((op_id, op_type, code, detail)) => {
                sqlx::query("ROLLBACK TO apply_entry").execute(write.conn()).await?;
                sqlx::query("RELEASE apply_entry").execute(write.conn()).await?;
                tracing::warn!(%op_id, op_type, code, detail, "feed entry not applied");
                notice(write, op_id, &op_type, "not_applied", code, Some(detail), now_ms).await?;
                report.not_applied += 1;
            }
        }
    }
    Ok(report)
}

/// Why an entry was not applied: its id, type, code and detail.
type NotApplied = (Uuid, String, &'static str, String);

async fn apply_entry(write: &mut WriteTx<'_>, entry: &FeedEntry<RawOpEnvelope>) -> std::result::Result<(), NotApplied> {
    match &entry.change {
        FeedChange::Op(raw) => match raw.decode() {
            Ok(envelope) => {
                write.observe(envelope.hlc);
                let own = envelope.device_id.to_string() == write.device_text;
                write
                    .apply_op(&envelope, own)
                    .await
                    .map_err(|err| (raw.op_id, raw.op.op_type.clone(), err.code(), err.to_string()))
            }
            Err(err) => Err((raw.op_id, raw.op.op_type.clone(), "unknown_op", err.to_string())),
        },
        FeedChange::Row(change) => {
            write.observe(change.hlc);
            match write.apply_row_change(change).await {
                Ok(_) => Ok(()),
                Err(err) => Err((change.row_id, change.entity.clone(), err.code(), err.to_string())),
            }
        }
    }
}

/// Adds an inbox entry; the same (op, kind, code) is kept once.
pub(crate) async fn notice(
    write: &mut WriteTx<'_>,
    op_id: Uuid,
    op_type: &str,
    kind: &str,
    code: &str,
    detail: Option<String>,
    now_ms: u64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sync_notices (id, op_id, op_type, kind, code, detail, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO NOTHING",
    )
    .bind(format!("{op_id}:{kind}:{code}"))
    .bind(op_id.to_string())
    .bind(op_type)
    .bind(kind)
    .bind(code)
    .bind(detail)
    .bind(now_ms as i64)
    .execute(write.conn())
    .await?;
    Ok(())
}
