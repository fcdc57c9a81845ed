//! Who the customers a push touches are assigned to: the customer scope of
//! each applied op that concerns customers (`crate::scopes`), which
//! salespersons gained or lost a customer (their grants change, so their
//! devices take new snapshots), and the rule that only those who may assign
//! customers move an existing one (a salesperson's own new customer is
//! theirs from the start, which the policy checks without the records).

use std::collections::{BTreeSet, HashMap};

use stockroom_protocol::ops::{Entity, FieldsSet};
use stockroom_protocol::sync::RejectCode;
use uuid::Uuid;

use super::{flags_json, Pending, PushTx, RecordKey, TenantLock};
use crate::error::HubError;
use crate::records::Record;
use crate::scopes::{Grant, OpScopes, Scope};
use crate::store::DeviceAuth;

/// The field of a customer record naming the salesperson it is assigned to.
pub(crate) const SALESPERSON_FIELD: &str = "salesperson_id";

/// The salesperson a record is assigned to, stored beside it
/// (`records.salesperson_id`): a customer's `salesperson_id` when it is a
/// UUID; none for other records.
pub(crate) fn assigned_salesperson(entity: Entity, record: &Record) -> Option<Uuid> {
    if entity != Entity::Customer {
        return None;
    }
    record
        .fields
        .get(SALESPERSON_FIELD)
        .and_then(|value| value.as_str())
        .and_then(|text| Uuid::parse_str(text).ok())
}

/// The customers of one push as the hub holds them, moved along op by op
/// in feed order.
#[derive(Default)]
pub(super) struct Assignments {
    /// Each customer the push's ops concern that the hub has a record of.
    records: HashMap<Uuid, Record>,
    /// Salespersons who gained or lost a customer.
    moved: BTreeSet<Uuid>,
}

impl Assignments {
    /// Reads the records of the customers the applied ops of `pending`
    /// concern, under the tenant's lock (a concurrent push waits for it, so
    /// nothing moves them before this push commits), and rejects each
    /// change to an existing customer's salesperson by someone who may not
    /// assign customers (`role_not_allowed`).
    pub(super) async fn load<T: PushTx>(
        tx: &mut T,
        auth: &DeviceAuth,
        pending: &mut [Pending<'_>],
        resent: &[OpScopes],
        tenant: &mut TenantLock,
    ) -> Result<Assignments, HubError> {
        let mut keys: Vec<RecordKey> = pending
            .iter()
            .filter(|op| op.row.rejected.is_none())
            .map(|op| &op.scopes)
            .chain(resent)
            .flat_map(|scopes| scopes.named.iter().map(|id| (Entity::Customer, *id)))
            .collect();
        keys.sort_by_key(|(_, id)| *id);
        keys.dedup();
        if keys.is_empty() {
            return Ok(Assignments::default());
        }
        tenant.take(tx, auth.tenant_id).await?;
        let records: HashMap<Uuid, Record> = tx
            .load_records(auth.tenant_id, &keys)
            .await?
            .into_iter()
            .map(|((_, id), record)| (id, record))
            .collect();
        reject_unallowed_moves(pending, records.clone());
        Ok(Assignments {
            records,
            moved: BTreeSet::new(),
        })
    }

    /// The feed scopes of an applied op, with each customer in its
    /// salesperson's scope as of this op. A change to a customer record
    /// that moves it belongs to both salespersons' scopes (and the move is
    /// remembered); a new customer to its first salesperson's.
    pub(super) fn scopes(&mut self, op: &Pending<'_>) -> Vec<Scope> {
        if let Some(set) = op.fields_set.as_ref().filter(|set| set.entity == Entity::Customer) {
            let existed = self.records.contains_key(&set.row_id);
            let record = self.records.entry(set.row_id).or_default();
            let (before, after) = merge_assignment(record, set, op);
            let mut scopes = vec![Scope::of_customer(after)];
            if existed && before != after {
                self.moved.extend(before.into_iter().chain(after));
                scopes.push(Scope::of_customer(before));
                scopes.sort();
            }
            return scopes;
        }
        op.scopes.resolve(|customer| self.salesperson_of(customer))
    }

    /// Whether an op of `scopes` names a customer that, as the push has
    /// them so far, is in no scope of `grant`: an order a salesperson took
    /// for a customer given to someone else before the order arrived. A
    /// customer the hub has no record of counts as assigned to no one.
    pub(super) fn names_outside(&self, scopes: &OpScopes, grant: &Grant) -> bool {
        scopes
            .named
            .iter()
            .any(|customer| !grant.covers(&Scope::of_customer(self.salesperson_of(*customer))))
    }

    /// Whether an applied op of `scopes`, as the push leaves the customers,
    /// is outside every scope of `grant` or names a customer outside them.
    pub(super) fn outside(&self, scopes: &OpScopes, grant: &Grant) -> bool {
        let resolved = scopes.resolve(|customer| self.salesperson_of(customer));
        !resolved.iter().any(|scope| grant.covers(scope)) || self.names_outside(scopes, grant)
    }

    fn salesperson_of(&self, customer: Uuid) -> Option<Uuid> {
        self.records
            .get(&customer)
            .and_then(|record| assigned_salesperson(Entity::Customer, record))
    }

    /// The salespersons who gained or lost a customer in this push.
    pub(super) fn moved(&self) -> Vec<Uuid> {
        self.moved.iter().copied().collect()
    }
}

/// Rejects, in `pending` and in order, each change of an existing
/// customer's salesperson made by someone who may not assign customers;
/// `records` are the customers as the push found them.
fn reject_unallowed_moves(pending: &mut [Pending<'_>], mut records: HashMap<Uuid, Record>) {
    for op in pending.iter_mut().filter(|op| op.row.rejected.is_none()) {
        let Some(set) = op.fields_set.as_ref().filter(|set| set.entity == Entity::Customer) else {
            continue;
        };
        let moves = match records.get(&set.row_id) {
            Some(held) if !op.assigns_customers && set.fields.contains_key(SALESPERSON_FIELD) => {
                let (before, after) = merge_assignment(&mut held.clone(), set, op);
                before != after
            }
            _ => false,
        };
        if moves {
            op.row.rejected = Some(RejectCode::RoleNotAllowed);
            op.row.flags_json = flags_json(&[]);
            op.flags.clear();
            op.fields_set = None;
            continue;
        }
        records.entry(set.row_id).or_default().merge(&set.fields, op.stamp());
    }
}

/// Merges a customer change from `op` into `record`; returns the
/// salesperson it was assigned to before and after.
fn merge_assignment(record: &mut Record, set: &FieldsSet, op: &Pending<'_>) -> (Option<Uuid>, Option<Uuid>) {
    let before = assigned_salesperson(Entity::Customer, record);
    record.merge(&set.fields, op.stamp());
    (before, assigned_salesperson(Entity::Customer, record))
}
