//! The push algorithm, written once for both backends over [`PushTx`], the
//! statements a backend runs inside its push transaction.
//!
//! In one transaction: lock the device's cursor; acknowledge `seq <= last`
//! as duplicates (a different op id at a known seq is a divergent outbox and
//! fails the whole push); stop at a gap or an unsupported type version;
//! record each new op in a savepoint, applied or rejected with a code (a
//! rejection still moves the cursor, else the queue would block for ever);
//! move the cursor; take feed positions from the tenant's counter and append
//! the applied ops to the feed. The caller commits, then answers.

use std::collections::HashMap;
use std::future::Future;

use stockroom_protocol::sync::{BatchStop, FlagCode, OpOutcome, OpResult, RawOpEnvelope, RejectCode};
use stockroom_protocol::Hlc;
use uuid::Uuid;

use crate::error::HubError;
use crate::policy::{self, Actor, Decision, Role};
use crate::store::{DeviceAuth, PushReport, PushRules};

/// An op already recorded at a (device, epoch, seq).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub op_id: Uuid,
    /// Set when the op was rejected the first time.
    pub rejected: Option<RejectCode>,
}

/// An op id already in the log, wherever it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KnownOp {
    pub tenant_id: Uuid,
    pub rejected: Option<RejectCode>,
}

/// A hub user as the push sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HubUser {
    pub tenant_id: Uuid,
    pub role: Role,
    pub active: bool,
}

/// One op_log row to write.
#[derive(Clone, Debug)]
pub(crate) struct OpLogRow<'a> {
    pub envelope: &'a RawOpEnvelope,
    pub tenant_id: Uuid,
    pub op_type: String,
    pub payload_json: String,
    pub effective_hlc: Hlc,
    pub received_ms: u64,
    pub rejected: Option<RejectCode>,
    pub flags_json: String,
}

/// Whether an op_log insert went in, or found its op id taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    Yes,
    OpIdTaken,
}

/// The statements a backend runs inside its push transaction.
pub(crate) trait PushTx: Send {
    /// Locks the (device, epoch) cursor row for the rest of the transaction
    /// and returns the last acknowledged seq.
    fn lock_cursor(&mut self, device_id: Uuid, epoch: u32) -> impl Future<Output = Result<u64, HubError>> + Send;

    fn recorded_at(
        &mut self,
        device_id: Uuid,
        epoch: u32,
        seq: u64,
    ) -> impl Future<Output = Result<Option<Recorded>, HubError>> + Send;

    fn known_op(&mut self, op_id: Uuid) -> impl Future<Output = Result<Option<KnownOp>, HubError>> + Send;

    fn user(&mut self, user_id: Uuid) -> impl Future<Output = Result<Option<HubUser>, HubError>> + Send;

    fn savepoint(&mut self) -> impl Future<Output = Result<(), HubError>> + Send;

    fn release_savepoint(&mut self) -> impl Future<Output = Result<(), HubError>> + Send;

    fn rollback_to_savepoint(&mut self) -> impl Future<Output = Result<(), HubError>> + Send;

    /// Inserts into op_log; a taken op id is reported, not an error (the
    /// transaction is then unusable until the savepoint is rolled back).
    fn insert_op(&mut self, row: &OpLogRow<'_>) -> impl Future<Output = Result<Inserted, HubError>> + Send;

    fn insert_repeated(
        &mut self,
        envelope: &RawOpEnvelope,
        received_ms: u64,
        rejected: Option<RejectCode>,
    ) -> impl Future<Output = Result<(), HubError>> + Send;

    fn set_cursor(
        &mut self,
        device_id: Uuid,
        epoch: u32,
        last_seq: u64,
    ) -> impl Future<Output = Result<(), HubError>> + Send;

    /// Moves the tenant's feed head on by `count` (locking it until commit)
    /// and returns the new head.
    fn take_positions(&mut self, tenant_id: Uuid, count: u64) -> impl Future<Output = Result<u64, HubError>> + Send;

    fn append_feed(
        &mut self,
        tenant_id: Uuid,
        first_position: u64,
        op_ids: &[Uuid],
    ) -> impl Future<Output = Result<(), HubError>> + Send;

    fn record_skew(
        &mut self,
        device_id: Uuid,
        skew_ms: u64,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), HubError>> + Send;
}

/// Runs a push inside `tx`. The caller begins the transaction (SQLite:
/// `BEGIN IMMEDIATE`) and commits it after this returns `Ok`.
pub(crate) async fn push_batch<T: PushTx>(
    tx: &mut T,
    auth: &DeviceAuth,
    ops: &[RawOpEnvelope],
    rules: PushRules,
) -> Result<PushReport, HubError> {
    let first_seq = tx.lock_cursor(auth.device_id, auth.epoch).await?;
    let mut last_seq = first_seq;
    let mut results = Vec::with_capacity(ops.len());
    let mut stopped = None;
    let mut applied_ids = Vec::new();
    let mut actors: HashMap<Uuid, Actor> = HashMap::new();
    let mut previous_stamp: Option<Hlc> = None;
    let mut skew_ms: Option<u64> = None;

    for envelope in ops {
        if envelope.seq <= last_seq {
            let recorded = tx
                .recorded_at(auth.device_id, auth.epoch, envelope.seq)
                .await?
                .ok_or_else(|| {
                    HubError::corrupt(format!(
                        "device {} epoch {} acknowledged seq {} but has no record of it",
                        auth.device_id, auth.epoch, envelope.seq
                    ))
                })?;
            if recorded.op_id != envelope.op_id {
                return Err(HubError::DivergentOutbox {
                    device_id: auth.device_id,
                    epoch: auth.epoch,
                    seq: envelope.seq,
                    recorded_op_id: recorded.op_id,
                    sent_op_id: envelope.op_id,
                });
            }
            results.push(result(
                envelope,
                OpOutcome::Duplicate {
                    rejected: recorded.rejected,
                },
            ));
            continue;
        }
        if envelope.seq != last_seq + 1 {
            stopped = Some(BatchStop::Gap {
                seq: envelope.seq,
                expected_seq: last_seq + 1,
            });
            break;
        }
        if let Some(stop) = policy::check_version(envelope) {
            stopped = Some(stop);
            break;
        }

        let actor = actor_of(tx, &mut actors, auth, envelope.user_id).await?;
        let (effective_hlc, clamped) =
            policy::settle_stamp(envelope.hlc, previous_stamp, rules.now_ms, rules.max_future_ms);
        previous_stamp = Some(effective_hlc);
        let ahead_ms = envelope.hlc.millis().saturating_sub(rules.now_ms);
        skew_ms = Some(skew_ms.unwrap_or(0).max(ahead_ms));

        let (rejected, flags) = match policy::decide(envelope, actor, auth.tenant_id) {
            Decision::Apply { mut flags } => {
                if clamped {
                    flags.push(FlagCode::ClockClamped);
                }
                (None, flags)
            }
            Decision::Reject(code) => (Some(code), Vec::new()),
        };
        let row = OpLogRow {
            envelope,
            tenant_id: auth.tenant_id,
            op_type: policy::storable_op_type(&envelope.op.op_type),
            payload_json: envelope.op.data.to_string(),
            effective_hlc,
            received_ms: rules.now_ms,
            rejected,
            flags_json: flags_json(&flags),
        };

        // The op's writes run in a savepoint: a failure that belongs to this
        // op alone rolls back only its writes, and the batch goes on.
        tx.savepoint().await?;
        let outcome = match tx.insert_op(&row).await? {
            Inserted::Yes => {
                tx.release_savepoint().await?;
                match rejected {
                    Some(code) => OpOutcome::Rejected { code },
                    None => {
                        applied_ids.push(envelope.op_id);
                        OpOutcome::Applied { flags }
                    }
                }
            }
            Inserted::OpIdTaken => {
                tx.rollback_to_savepoint().await?;
                tx.release_savepoint().await?;
                repeated_op(tx, auth, envelope, rules.now_ms).await?
            }
        };
        results.push(result(envelope, outcome));
        last_seq = envelope.seq;
    }

    if last_seq > first_seq {
        tx.set_cursor(auth.device_id, auth.epoch, last_seq).await?;
    }
    if !applied_ids.is_empty() {
        let count = applied_ids.len() as u64;
        let head = tx.take_positions(auth.tenant_id, count).await?;
        tx.append_feed(auth.tenant_id, head - count + 1, &applied_ids).await?;
    }
    if let Some(skew_ms) = skew_ms {
        tx.record_skew(auth.device_id, skew_ms, rules.now_ms).await?;
    }
    Ok(PushReport {
        acked_through_seq: last_seq,
        results,
        stopped,
    })
}

/// An op whose id is already in the log under another (device, epoch, seq):
/// the same tenant's op is a duplicate (e.g. re-sent after a re-enrolment
/// renumbered the outbox); another tenant's is refused.
async fn repeated_op<T: PushTx>(
    tx: &mut T,
    auth: &DeviceAuth,
    envelope: &RawOpEnvelope,
    now_ms: u64,
) -> Result<OpOutcome, HubError> {
    let known = tx
        .known_op(envelope.op_id)
        .await?
        .ok_or_else(|| HubError::corrupt(format!("op {} conflicted but is not in the log", envelope.op_id)))?;
    if known.tenant_id == auth.tenant_id {
        tx.insert_repeated(envelope, now_ms, known.rejected).await?;
        Ok(OpOutcome::Duplicate {
            rejected: known.rejected,
        })
    } else {
        let code = RejectCode::OpIdConflict;
        tx.insert_repeated(envelope, now_ms, Some(code)).await?;
        Ok(OpOutcome::Rejected { code })
    }
}

async fn actor_of<T: PushTx>(
    tx: &mut T,
    actors: &mut HashMap<Uuid, Actor>,
    auth: &DeviceAuth,
    user_id: Uuid,
) -> Result<Actor, HubError> {
    if let Some(actor) = actors.get(&user_id) {
        return Ok(*actor);
    }
    let actor = match tx.user(user_id).await? {
        Some(user) => Actor {
            tenant_id: user.tenant_id,
            role: user.role,
            active: user.active,
        },
        None => Actor {
            tenant_id: auth.tenant_id,
            role: auth.enrolled_by_role,
            active: true,
        },
    };
    actors.insert(user_id, actor);
    Ok(actor)
}

fn result(envelope: &RawOpEnvelope, outcome: OpOutcome) -> OpResult {
    OpResult {
        seq: envelope.seq,
        op_id: envelope.op_id,
        outcome,
    }
}

fn flags_json(flags: &[FlagCode]) -> String {
    let codes: Vec<&str> = flags.iter().map(|flag| flag.as_str()).collect();
    serde_json::Value::from(codes).to_string()
}
