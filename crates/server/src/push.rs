//! The push algorithm, written once for both backends over [`PushTx`], the
//! statements a backend runs inside its push transaction.
//!
//! In one transaction: lock the device's cursor; acknowledge `seq <= last`
//! as duplicates (a different op id at a known seq is a divergent outbox and
//! fails the whole push); stop at a gap or an unsupported type version;
//! record each new op, applied or rejected with a code (a rejection still
//! moves the cursor, else the queue would block for ever), merging applied
//! `fields.set` ops into their class-F records; move the cursor; take feed
//! positions from the tenant's counter and append the applied ops to the
//! feed, each with its link of the hash chain and, for each scope it belongs
//! to (`crate::scopes`), its link of that scope's chain. The caller commits,
//! then answers.
//!
//! **One go first, one op at a time if that fails.** Every op's writes
//! belong to that op alone: a failure of one must not lose the others. Doing
//! that with a savepoint per op costs three round trips per op and a
//! subtransaction each; so a push first writes its new ops all together, in
//! a handful of multi-row statements, with no savepoint at all ([`push`]).
//! An op id already in the log is not a failure there (`ON CONFLICT (op_id)
//! DO NOTHING` reports it, and it is answered as before). Only if the
//! database refuses something (a row no op of a healthy device produces, or
//! a failure of the moment) is that transaction rolled back whole and the
//! push run again in a new one, op by op, each op in its own savepoint:
//! there a refusal that belongs to the op's data rejects that op alone
//! (`invalid_payload`), and any other failure fails the push (the device
//! retries). Both ways run the same code ([`record_group`]) over a group of
//! ops, so a batch ends as it would op by op. The common case costs about
//! ten round trips per push, whatever its size.
//!
//! **Locks, always in this order:** the device's cursor row, then the
//! tenant's row (feed head and chain). The tenant row is taken before the
//! first record is read, so the read-merge-write of records is serialised
//! per tenant, and held to commit, so feed positions and the chain follow
//! commit order.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use stockroom_protocol::ops::{Entity, FieldsSet, OrderSubmitted, UserSet};
use stockroom_protocol::snapshot::{canonical_change, chain_link, FieldStamp};
use stockroom_protocol::sync::{
    BatchStop, FeedChange, FlagCode, OpOutcome, OpResult, RawOp, RawOpEnvelope, RejectCode,
};
use stockroom_protocol::{Hlc, Op};
use uuid::Uuid;

use crate::error::HubError;
use crate::policy::{self, Actor, Decision, Role};
use crate::records::Record;
use crate::scopes::{self, OpScopes, ScopeChains};
use crate::store::{DeviceAuth, PushReport, PushRules};

mod accounts;
mod codes;
mod customers;
mod hub_accounts;
mod orders;

pub(crate) use accounts::Account;
use accounts::AccountChange;
pub(crate) use codes::{held_code, CodeKind};
use customers::Assignments;
pub(crate) use customers::{assigned_salesperson, SALESPERSON_FIELD};
pub(crate) use hub_accounts::feed_tenants;
use orders::decide_orders;
pub use orders::hub_device_id;

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

impl<'a> OpLogRow<'a> {
    /// The row of an op the hub writes itself (an order's answer, an
    /// account made on the hub): applied, unflagged, stamped as written.
    fn of_hub(envelope: &'a RawOpEnvelope, tenant_id: Uuid, received_ms: u64) -> Self {
        OpLogRow {
            envelope,
            tenant_id,
            op_type: envelope.op.op_type.clone(),
            payload_json: envelope.op.data.to_string(),
            effective_hlc: envelope.hlc,
            received_ms,
            rejected: None,
            flags_json: flags_json(&[]),
        }
    }
}

/// A class-F record's key.
pub(crate) type RecordKey = (Entity, Uuid);

/// A feed entry to append: the op and the chain after it, and each scope
/// it belongs to with that scope's chain after it.
pub(crate) struct FeedRow {
    pub op_id: Uuid,
    pub chain: [u8; 32],
    pub scopes: Vec<(String, [u8; 32])>,
    /// The customers whose scopes the entry takes (`feed_customers`).
    pub customers: Vec<Uuid>,
}

/// The tenant row as a push holds it: the feed head, the chain there, and
/// the chain at the head of each scope.
#[derive(Clone, Debug, Default)]
pub(crate) struct TenantHead {
    pub head: u64,
    pub chain: [u8; 32],
    pub scopes: ScopeChains,
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

    fn savepoint(&mut self, name: &'static str) -> impl Future<Output = Result<(), HubError>> + Send;

    fn release_savepoint(&mut self, name: &'static str) -> impl Future<Output = Result<(), HubError>> + Send;

    fn rollback_to_savepoint(&mut self, name: &'static str) -> impl Future<Output = Result<(), HubError>> + Send;

    /// Inserts op_log rows in one go, skipping those whose op id is taken
    /// (also by an earlier row of the same call); returns the seqs inserted.
    fn insert_ops(&mut self, rows: &[&OpLogRow<'_>]) -> impl Future<Output = Result<HashSet<u64>, HubError>> + Send;

    fn insert_repeated(
        &mut self,
        envelope: &RawOpEnvelope,
        received_ms: u64,
        rejected: Option<RejectCode>,
    ) -> impl Future<Output = Result<(), HubError>> + Send;

    /// Locks the tenant's row until commit; returns its feed head and the
    /// chains there.
    fn lock_tenant(&mut self, tenant_id: Uuid) -> impl Future<Output = Result<TenantHead, HubError>> + Send;

    /// The accounts with any of these ids or (folded) usernames.
    fn accounts(
        &mut self,
        ids: &[Uuid],
        folded_usernames: &[String],
    ) -> impl Future<Output = Result<Vec<Account>, HubError>> + Send;

    /// Makes or updates the account of an applied `user.set` (a new one
    /// has no password).
    fn save_account(
        &mut self,
        tenant_id: Uuid,
        user: &UserSet,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), HubError>> + Send;

    /// The tenant's accounts not yet fed, as `user.set`s, oldest first.
    fn unfed_accounts(&mut self, tenant_id: Uuid) -> impl Future<Output = Result<Vec<UserSet>, HubError>> + Send;

    /// Notes these accounts as fed.
    fn mark_fed(&mut self, ids: &[Uuid]) -> impl Future<Output = Result<(), HubError>> + Send;

    /// The stored records with these keys (missing ones are left out).
    fn load_records(
        &mut self,
        tenant_id: Uuid,
        keys: &[RecordKey],
    ) -> impl Future<Output = Result<Vec<(RecordKey, Record)>, HubError>> + Send;

    /// The active records holding any of `codes` (a product's SKU or a
    /// barcode's code): `(code, row_id)` pairs.
    fn code_holders(
        &mut self,
        tenant_id: Uuid,
        kind: CodeKind,
        codes: &[String],
    ) -> impl Future<Output = Result<Vec<(String, Uuid)>, HubError>> + Send;

    /// Writes these records whole, inserting or replacing.
    fn save_records(
        &mut self,
        tenant_id: Uuid,
        records: &[(RecordKey, Record)],
    ) -> impl Future<Output = Result<(), HubError>> + Send;

    /// Ends the push's writes: moves the device's cursor, appends the feed
    /// entries and moves the tenant's head and chain, records the skew.
    fn finish(&mut self, end: &PushEnd<'_>) -> impl Future<Output = Result<(), HubError>> + Send;

    /// Makes the tenant's hub device (under which the hub records its own
    /// ops) unless it exists.
    fn ensure_hub_device(
        &mut self,
        tenant_id: Uuid,
        device_id: Uuid,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), HubError>> + Send;

    /// Commits the transaction.
    fn commit(self) -> impl Future<Output = Result<(), HubError>> + Send;

    /// Whether the database refused a statement because of the data in it
    /// (a constraint, a value it cannot store): the op's fault, for good.
    fn is_data_error(error: &sqlx::Error) -> bool;
}

/// The writes that end a push, each only when it has something to do.
pub(crate) struct PushEnd<'a> {
    pub device_id: Uuid,
    pub epoch: u32,
    pub tenant_id: Uuid,
    /// The device's new cursor, when it moved.
    pub last_seq: Option<u64>,
    /// Feed entries from `first_position` on, then the new head and chain.
    pub first_position: u64,
    pub feed: &'a [FeedRow],
    pub head: Option<(u64, [u8; 32])>,
    /// With a new head: the chains at the head of each scope, as stored.
    pub scope_chains_json: Option<String>,
    /// How far ahead of hub time the device's newest stamp was, and when.
    pub skew: Option<(u64, u64)>,
    /// Salespersons who gained or lost a customer: their
    /// `customers_version` goes up by one.
    pub moved: &'a [Uuid],
}

/// How a push writes its new ops (see the module's doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    AllAtOnce,
    OpByOp,
}

/// Runs a push: all at once in one transaction from `begin`, or, if the
/// database refuses that, op by op in a second one. Commits before
/// answering; a failed commit is an error (the device retries).
pub(crate) async fn push<T, F, Fut>(
    mut begin: F,
    auth: &DeviceAuth,
    ops: &[RawOpEnvelope],
    rules: PushRules,
) -> Result<PushReport, HubError>
where
    T: PushTx,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, HubError>>,
{
    let mut tx = begin().await?;
    match push_batch(&mut tx, auth, ops, rules, Mode::AllAtOnce).await {
        Ok(report) => {
            tx.commit().await?;
            return Ok(report);
        }
        Err(HubError::Database(error)) => {
            tracing::warn!(device_id = %auth.device_id, %error, "a push goes again, op by op");
            // Dropping it rolls it back.
            drop(tx);
        }
        Err(other) => return Err(other),
    }
    let mut tx = begin().await?;
    let report = push_batch(&mut tx, auth, ops, rules, Mode::OpByOp).await?;
    tx.commit().await?;
    Ok(report)
}

/// A new op on its way into the log.
struct Pending<'a> {
    row: OpLogRow<'a>,
    flags: Vec<FlagCode>,
    /// The record change of an applied `fields.set`.
    fields_set: Option<FieldsSet>,
    /// An applied `order.submitted`, which the hub answers.
    order: Option<OrderSubmitted>,
    /// An applied `user.set`, which changes a hub account.
    account: Option<AccountChange>,
    /// The feed scopes it belongs to, if applied (its answer's too), before
    /// its customers are looked up.
    scopes: OpScopes,
    /// Whether its maker may move customers between salespersons.
    assigns_customers: bool,
}

impl Pending<'_> {
    /// The stamp its fields are merged with: the hub's settled HLC and the
    /// device.
    fn stamp(&self) -> FieldStamp {
        FieldStamp {
            hlc: self.row.effective_hlc,
            device_id: self.row.envelope.device_id,
        }
    }
}

/// What became of a pending op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Written {
    /// In the log (applied or rejected as decided).
    Logged,
    /// Its op id was already in the log.
    OpIdTaken,
    /// The database refused its data: logged as rejected instead.
    Refused,
}

/// The transaction's hold on the tenant row, once taken.
#[derive(Default)]
struct TenantLock(Option<TenantHead>);

impl TenantLock {
    async fn take<T: PushTx>(&mut self, tx: &mut T, tenant_id: Uuid) -> Result<TenantHead, HubError> {
        if let Some(held) = &self.0 {
            return Ok(held.clone());
        }
        let held = tx.lock_tenant(tenant_id).await?;
        self.0 = Some(held.clone());
        Ok(held)
    }
}

/// Runs a push inside `tx`, writing new ops as `mode` says.
async fn push_batch<T: PushTx>(
    tx: &mut T,
    auth: &DeviceAuth,
    ops: &[RawOpEnvelope],
    rules: PushRules,
    mode: Mode,
) -> Result<PushReport, HubError> {
    let first_seq = tx.lock_cursor(auth.device_id, auth.epoch).await?;
    let mut last_seq = first_seq;
    // Every op looked at: its result now (duplicates), or later (new ops).
    let mut results: Vec<Option<OpResult>> = Vec::with_capacity(ops.len());
    let mut pending: Vec<Pending<'_>> = Vec::new();
    // The scopes of applied ops sent again (their answer was lost): the
    // device may still hold what they wrote outside its scopes.
    let mut resent: Vec<OpScopes> = Vec::new();
    let mut stopped = None;
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
            if recorded.rejected.is_none() {
                resent.push(scopes::scopes_of(envelope.decode().ok().map(|sent| sent.op).as_ref()));
            }
            results.push(Some(result(
                envelope,
                OpOutcome::Duplicate {
                    rejected: recorded.rejected,
                },
            )));
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

        let (decision, decoded) = policy::decide_and_decode(envelope, actor, auth.tenant_id);
        let (rejected, flags) = match decision {
            Decision::Apply { mut flags } => {
                if clamped {
                    flags.push(FlagCode::ClockClamped);
                }
                (None, flags)
            }
            Decision::Reject(code) => (Some(code), Vec::new()),
        };
        let scopes = match rejected {
            None => scopes::scopes_of(decoded.as_ref()),
            Some(_) => OpScopes::default(),
        };
        let (mut fields_set, mut order, mut account) = (None, None, None);
        match (rejected, decoded) {
            (None, Some(Op::FieldsSet(set))) => fields_set = Some(set),
            (None, Some(Op::OrderSubmitted(submitted))) => order = Some(submitted),
            (None, Some(Op::UserSet(user))) => {
                account = Some(AccountChange {
                    user,
                    sent_by: actor.role,
                })
            }
            _ => {}
        }
        pending.push(Pending {
            row: OpLogRow {
                envelope,
                tenant_id: auth.tenant_id,
                op_type: policy::storable_op_type(&envelope.op.op_type),
                payload_json: envelope.op.data.to_string(),
                effective_hlc,
                received_ms: rules.now_ms,
                rejected,
                flags_json: flags_json(&flags),
            },
            flags,
            fields_set,
            order,
            account,
            scopes,
            assigns_customers: actor.role.allows(policy::Permission::AssignCustomers),
        });
        results.push(None);
        last_seq = envelope.seq;
    }

    let mut tenant = TenantLock::default();
    codes::reject_taken_codes(tx, auth, &mut pending, &mut tenant).await?;
    accounts::reject_account_clashes(tx, auth, &mut pending, &mut tenant).await?;
    let mut assignments = Assignments::load(tx, auth, &mut pending, &resent, &mut tenant).await?;
    let written = match mode {
        Mode::AllAtOnce => record_group(tx, auth, &pending, &mut tenant).await?,
        Mode::OpByOp => write_one_by_one(tx, auth, &pending, &mut tenant).await?,
    };

    // Answers for the new ops, and the applied ones for the feed.
    let mut fed: Vec<&Pending<'_>> = Vec::new();
    let mut new_ops = pending.iter().zip(&written);
    for slot in results.iter_mut().filter(|slot| slot.is_none()) {
        let (op, written) = new_ops
            .next()
            .ok_or_else(|| HubError::corrupt("push results out of step"))?;
        let envelope = op.row.envelope;
        let outcome = match (written, op.row.rejected) {
            (Written::Logged, Some(code)) => OpOutcome::Rejected { code },
            (Written::Logged, None) => {
                fed.push(op);
                OpOutcome::Applied {
                    flags: op.flags.clone(),
                }
            }
            (Written::Refused, _) => OpOutcome::Rejected {
                code: RejectCode::InvalidPayload,
            },
            (Written::OpIdTaken, _) => {
                let outcome = repeated_op(tx, auth, envelope, rules.now_ms).await?;
                // (Its customers were loaded unless this push rejected it.)
                if outcome == (OpOutcome::Duplicate { rejected: None }) && op.row.rejected.is_none() {
                    resent.push(op.scopes.clone());
                }
                outcome
            }
        };
        *slot = Some(result(envelope, outcome));
    }

    let mut feed = Vec::new();
    let grant = auth.grant();
    // An applied op outside every scope of the device, or naming a customer
    // outside them, whether new (below) or sent again (after them).
    let mut outside_scopes = false;
    let mut first_position = 0;
    let mut head = None;
    let mut scope_chains_json = None;
    if !fed.is_empty() {
        let TenantHead {
            head: start,
            mut chain,
            scopes: mut scope_chains,
        } = tenant.take(tx, auth.tenant_id).await?;
        first_position = start + 1;
        // Each applied order is answered right after it in the feed.
        let decisions = decide_orders(tx, auth, &fed, first_position, rules.now_ms).await?;
        let decision_rows: Vec<OpLogRow<'_>> = decisions.iter().map(|(_, decision)| decision.row(auth)).collect();
        if !decision_rows.is_empty() {
            tx.ensure_hub_device(auth.tenant_id, hub_device_id(auth.tenant_id), rules.now_ms)
                .await?;
            let rows: Vec<&OpLogRow<'_>> = decision_rows.iter().collect();
            tx.insert_ops(&rows).await?;
        }
        let mut answers = decisions.iter().map(|(index, _)| *index).zip(&decision_rows).peekable();
        for (index, op) in fed.iter().enumerate() {
            let op_scopes = assignments.scopes(op);
            outside_scopes |=
                !op_scopes.iter().any(|scope| grant.covers(scope)) || assignments.names_outside(&op.scopes, &grant);
            let mut rows = vec![(&op.row, op.scopes.customers.clone())];
            if let Some((_, answer)) = answers.next_if(|(answered, _)| *answered == index) {
                rows.push((answer, Vec::new()));
            }
            for (row, customers) in rows {
                let position = first_position + feed.len() as u64;
                let canonical = canonical_as_fed(row);
                chain = chain_link(&chain, position, &canonical);
                feed.push(FeedRow {
                    op_id: row.envelope.op_id,
                    chain,
                    scopes: scopes::link(&mut scope_chains, &op_scopes, position, &canonical),
                    customers,
                });
            }
        }
        head = Some((start + feed.len() as u64, chain));
        scope_chains_json = Some(scopes::scope_chains_json(&scope_chains));
    }
    outside_scopes |= resent.iter().any(|op| assignments.outside(op, &grant));
    tx.finish(&PushEnd {
        device_id: auth.device_id,
        epoch: auth.epoch,
        tenant_id: auth.tenant_id,
        last_seq: (last_seq > first_seq).then_some(last_seq),
        first_position,
        feed: &feed,
        head,
        scope_chains_json,
        skew: skew_ms.map(|skew_ms| (skew_ms, rules.now_ms)),
        moved: &assignments.moved(),
    })
    .await?;
    Ok(PushReport {
        acked_through_seq: last_seq,
        results: results.into_iter().flatten().collect(),
        stopped,
        outside_scopes,
    })
}

/// Writes the new ops one by one, each in its own savepoint; an op whose
/// data the database refuses is logged as rejected instead.
async fn write_one_by_one<T: PushTx>(
    tx: &mut T,
    auth: &DeviceAuth,
    pending: &[Pending<'_>],
    tenant: &mut TenantLock,
) -> Result<Vec<Written>, HubError> {
    let mut written = Vec::with_capacity(pending.len());
    for (index, op) in pending.iter().enumerate() {
        tx.savepoint("op").await?;
        match record_group(tx, auth, &pending[index..=index], tenant).await {
            Ok(one) => {
                tx.release_savepoint("op").await?;
                written.extend(one);
            }
            Err(HubError::Database(error)) if T::is_data_error(&error) => {
                tracing::warn!(op_id = %op.row.envelope.op_id, %error, "the database refused an op");
                tx.rollback_to_savepoint("op").await?;
                tx.release_savepoint("op").await?;
                // A row lock taken after a savepoint goes with its rollback.
                *tenant = TenantLock::default();
                let refused = OpLogRow {
                    rejected: Some(RejectCode::InvalidPayload),
                    flags_json: flags_json(&[]),
                    ..op.row.clone()
                };
                let inserted = tx.insert_ops(&[&refused]).await?;
                written.push(if inserted.is_empty() {
                    Written::OpIdTaken
                } else {
                    Written::Refused
                });
            }
            Err(other) => return Err(other),
        }
    }
    Ok(written)
}

/// Writes a group of new ops: their op_log rows, the accounts their applied
/// `user.set`s change, then the records their applied `fields.set`s
/// change, each field merged by [`Record::merge`].
async fn record_group<T: PushTx>(
    tx: &mut T,
    auth: &DeviceAuth,
    group: &[Pending<'_>],
    tenant: &mut TenantLock,
) -> Result<Vec<Written>, HubError> {
    if group.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<&OpLogRow<'_>> = group.iter().map(|op| &op.row).collect();
    let inserted = tx.insert_ops(&rows).await?;
    let written: Vec<Written> = group
        .iter()
        .map(|op| {
            if inserted.contains(&op.row.envelope.seq) {
                Written::Logged
            } else {
                Written::OpIdTaken
            }
        })
        .collect();
    for (op, written) in group.iter().zip(&written) {
        if let (Some(change), Written::Logged) = (&op.account, written) {
            tx.save_account(auth.tenant_id, &change.user, op.row.received_ms)
                .await?;
        }
    }

    let sets: Vec<(&FieldsSet, FieldStamp)> = group
        .iter()
        .zip(&written)
        .filter(|(_, written)| **written == Written::Logged)
        .filter_map(|(op, _)| op.fields_set.as_ref().map(|set| (set, op.stamp())))
        .collect();
    if !sets.is_empty() {
        tenant.take(tx, auth.tenant_id).await?;
        let mut keys: Vec<RecordKey> = sets.iter().map(|(set, _)| (set.entity, set.row_id)).collect();
        keys.sort_by_key(|(entity, row_id)| (crate::records::entity_name(*entity), *row_id));
        keys.dedup();
        let mut records: HashMap<RecordKey, Record> =
            tx.load_records(auth.tenant_id, &keys).await?.into_iter().collect();
        let mut changed: HashSet<RecordKey> = HashSet::new();
        for (set, stamp) in sets {
            let key = (set.entity, set.row_id);
            if records.entry(key).or_default().merge(&set.fields, stamp) {
                changed.insert(key);
            }
        }
        let to_save: Vec<(RecordKey, Record)> = keys
            .into_iter()
            .filter(|key| changed.contains(key))
            .filter_map(|key| records.remove(&key).map(|record| (key, record)))
            .collect();
        if !to_save.is_empty() {
            tx.save_records(auth.tenant_id, &to_save).await?;
        }
    }
    Ok(written)
}

/// The bytes the chains hash for the op of `row`: the op exactly as a pull
/// returns it (with the hub's settled stamp and stored type). Borrowed as
/// sent when those are the same, as they nearly always are.
fn canonical_as_fed(row: &OpLogRow<'_>) -> Vec<u8> {
    let envelope = row.envelope;
    if envelope.hlc == row.effective_hlc && envelope.op.op_type == row.op_type {
        return canonical_change(&FeedChange::Op(envelope));
    }
    let as_fed = RawOpEnvelope {
        op_id: envelope.op_id,
        device_id: envelope.device_id,
        epoch: envelope.epoch,
        seq: envelope.seq,
        hlc: row.effective_hlc,
        user_id: envelope.user_id,
        type_version: envelope.type_version,
        op: RawOp {
            op_type: row.op_type.clone(),
            data: envelope.op.data.clone(),
        },
    };
    canonical_change(&FeedChange::Op(as_fed))
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
