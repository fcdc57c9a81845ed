//! The hub's answers to orders (class A): every applied `order.submitted`
//! is decided against the records as the push transaction sees them, and
//! answered by an `order.decided` op of the tenant's hub device, placed
//! right after the order in the feed.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use stockroom_protocol::ops::{Entity, OrderSubmitted};
use stockroom_protocol::sync::{RawOp, RawOpEnvelope};
use stockroom_protocol::Op;
use uuid::Uuid;

use super::{OpLogRow, Pending, PushTx, RecordKey};
use crate::error::HubError;
use crate::policy;
use crate::records::Record;
use crate::store::DeviceAuth;

/// The hub's answer to one applied order: an `order.decided` op of the
/// tenant's hub device, whose seq is its feed position.
pub(super) struct OrderAnswer {
    envelope: RawOpEnvelope,
    received_ms: u64,
}

impl OrderAnswer {
    pub(super) fn row(&self, auth: &DeviceAuth) -> OpLogRow<'_> {
        OpLogRow::of_hub(&self.envelope, auth.tenant_id, self.received_ms)
    }
}

/// The device id under which the hub records its own ops for a tenant:
/// derived from the tenant's id, the same on every hub instance.
pub fn hub_device_id(tenant_id: Uuid) -> Uuid {
    derived_id(b"stockroom hub device", tenant_id)
}

/// A version-8 UUID from a label and an id: the same inputs, the same id.
fn derived_id(label: &[u8], id: Uuid) -> Uuid {
    let digest = Sha256::new().chain_update(label).chain_update(id.as_bytes()).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Decides every applied order among `fed` (the ops about to enter the feed
/// from `first_position` on) against the records as this transaction sees
/// them, after the batch's own `fields.set`s: a customer or product made
/// earlier in the same batch counts. Returns each answer with the index in
/// `fed` of the order it answers, in feed order.
pub(super) async fn decide_orders<T: PushTx>(
    tx: &mut T,
    auth: &DeviceAuth,
    fed: &[&Pending<'_>],
    first_position: u64,
    now_ms: u64,
) -> Result<Vec<(usize, OrderAnswer)>, HubError> {
    let orders: Vec<(usize, &Pending<'_>, &OrderSubmitted)> = fed
        .iter()
        .enumerate()
        .filter_map(|(index, op)| op.order.as_ref().map(|order| (index, *op, order)))
        .collect();
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys: Vec<RecordKey> = Vec::new();
    for (_, _, order) in &orders {
        keys.push((Entity::Customer, order.customer_id));
        keys.extend(order.lines.iter().map(|line| (Entity::Product, line.product_id)));
    }
    keys.sort_by_key(|(entity, row_id)| (crate::records::entity_name(*entity), *row_id));
    keys.dedup();
    let records: HashMap<RecordKey, Record> = tx.load_records(auth.tenant_id, &keys).await?.into_iter().collect();

    let hub_device = hub_device_id(auth.tenant_id);
    let mut decisions = Vec::with_capacity(orders.len());
    for (order_number, (index, op, order)) in orders.into_iter().enumerate() {
        let customer = records.get(&(Entity::Customer, order.customer_id));
        let products: Vec<Option<&Record>> = order
            .lines
            .iter()
            .map(|line| records.get(&(Entity::Product, line.product_id)))
            .collect();
        let decided = policy::decide_order(order, customer, &products);
        // The answer follows its order and every answer before it.
        let position = first_position + index as u64 + order_number as u64 + 1;
        let envelope = RawOpEnvelope {
            op_id: derived_id(b"order.decided", op.row.envelope.op_id),
            device_id: hub_device,
            epoch: 0,
            seq: position,
            hlc: op.row.effective_hlc,
            user_id: Uuid::nil(),
            type_version: 1,
            op: RawOp {
                op_type: "order.decided".to_string(),
                data: Op::OrderDecided(decided).payload_json(),
            },
        };
        decisions.push((
            index,
            OrderAnswer {
                envelope,
                received_ms: now_ms,
            },
        ));
    }
    Ok(decisions)
}
