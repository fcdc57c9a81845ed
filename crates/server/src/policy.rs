//! What the hub decides about one op, without IO: whether it is a fact (never
//! refused) or a request, which role may make it, whether its shape holds,
//! which type versions are served, and what stamp it settles on.

use std::collections::BTreeSet;

use stockroom_protocol::ops::{
    Entity, MovementKind, OrderDecided, OrderDecision, OrderRejectReason, OrderSubmitted, Payment,
};
use stockroom_protocol::sync::{BatchStop, FlagCode, RawOpEnvelope, RejectCode};
use stockroom_protocol::{Hlc, Op, OpKind};
use uuid::Uuid;

use crate::records::Record;

/// Oldest payload version of any op type the hub still applies.
pub const MIN_OP_VERSION: u32 = 1;

pub use stockroom_protocol::roles::{Permission, Role};

/// Who the hub holds responsible for an op: the hub user with the op's user
/// id or, when the hub does not know that id (a user made on the device),
/// the user who enrolled the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub tenant_id: Uuid,
    pub role: Role,
    pub active: bool,
}

/// The hub's verdict on one op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Apply { flags: Vec<FlagCode> },
    Reject(RejectCode),
}

/// A rule an op breaks: a request is refused for the first one; a fact is
/// accepted and flagged with all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Breach {
    WrongTenant,
    UserInactive,
    RoleNotAllowed,
    InvalidShape,
}

impl Breach {
    fn reject_code(self) -> RejectCode {
        match self {
            Breach::WrongTenant => RejectCode::WrongTenant,
            Breach::UserInactive => RejectCode::UserInactive,
            Breach::RoleNotAllowed => RejectCode::RoleNotAllowed,
            Breach::InvalidShape => RejectCode::InvalidPayload,
        }
    }

    fn flag_code(self) -> FlagCode {
        match self {
            Breach::WrongTenant => FlagCode::WrongTenant,
            Breach::UserInactive => FlagCode::UserInactive,
            Breach::RoleNotAllowed => FlagCode::RoleNotAllowed,
            Breach::InvalidShape => FlagCode::InvalidShape,
        }
    }
}

/// Stops the batch at an op whose type version this hub does not serve. An
/// unknown type is not stopped here: it is rejected by [`decide`].
pub fn check_version(envelope: &RawOpEnvelope) -> Option<BatchStop> {
    let kind = OpKind::parse(&envelope.op.op_type)?;
    let max_version = kind.current_version();
    if (MIN_OP_VERSION..=max_version).contains(&envelope.type_version) {
        None
    } else {
        Some(BatchStop::UnsupportedOpVersion {
            seq: envelope.seq,
            type_version: envelope.type_version,
            min_version: MIN_OP_VERSION,
            max_version,
        })
    }
}

/// Decides one op of a device of `tenant_id`, made by `actor`.
pub fn decide(envelope: &RawOpEnvelope, actor: Actor, tenant_id: Uuid) -> Decision {
    decide_and_decode(envelope, actor, tenant_id).0
}

/// [`decide`], also handing back the op it decoded (none when its type is
/// unknown or its payload does not decode), so it is decoded once.
pub fn decide_and_decode(envelope: &RawOpEnvelope, actor: Actor, tenant_id: Uuid) -> (Decision, Option<Op>) {
    if OpKind::parse(&envelope.op.op_type).is_none() {
        return (Decision::Reject(RejectCode::UnknownOpType), None);
    }
    let Ok(op) = decode_op(&envelope.op.op_type, &envelope.op.data) else {
        return (Decision::Reject(RejectCode::InvalidPayload), None);
    };
    let decision = decide_op(&op, actor, envelope.user_id, tenant_id);
    (decision, Some(op))
}

/// An op from its type name and payload, read in place (no copy of the
/// payload): the same as `Op::from_parts`, which needs the payload owned.
pub fn decode_op(op_type: &str, data: &serde_json::Value) -> Result<Op, serde_json::Error> {
    use serde::de::Error as _;
    use serde::Deserialize as _;
    use stockroom_protocol::ops::{
        AccountEntry, FieldsSet, OrderDecided, OrderSubmitted, ReturnCompleted, SaleCompleted, StockMoved, UserSet,
    };
    Ok(match OpKind::parse(op_type) {
        Some(OpKind::FieldsSet) => Op::FieldsSet(FieldsSet::deserialize(data)?),
        Some(OpKind::StockMoved) => Op::StockMoved(StockMoved::deserialize(data)?),
        Some(OpKind::SaleCompleted) => Op::SaleCompleted(SaleCompleted::deserialize(data)?),
        Some(OpKind::ReturnCompleted) => Op::ReturnCompleted(ReturnCompleted::deserialize(data)?),
        Some(OpKind::PaymentReceived) => Op::PaymentReceived(AccountEntry::deserialize(data)?),
        Some(OpKind::OrderSubmitted) => Op::OrderSubmitted(OrderSubmitted::deserialize(data)?),
        Some(OpKind::UserSet) => Op::UserSet(UserSet::deserialize(data)?),
        Some(OpKind::OrderDecided) => Op::OrderDecided(OrderDecided::deserialize(data)?),
        None => return Err(serde_json::Error::custom(format!("unknown op type {op_type:?}"))),
    })
}

fn decide_op(op: &Op, actor: Actor, user_id: Uuid, tenant_id: Uuid) -> Decision {
    let mut breaches = Vec::new();
    if actor.tenant_id != tenant_id {
        breaches.push(Breach::WrongTenant);
    }
    if !actor.active {
        breaches.push(Breach::UserInactive);
    }
    if !role_may_make(actor.role, op) || !may_assign(actor.role, user_id, op) {
        breaches.push(Breach::RoleNotAllowed);
    }
    if !shape_holds(op) {
        breaches.push(Breach::InvalidShape);
    }
    match breaches.first() {
        None => Decision::Apply { flags: Vec::new() },
        Some(_) if is_fact(op) => Decision::Apply {
            flags: breaches.into_iter().map(Breach::flag_code).collect(),
        },
        Some(first) => Decision::Reject(first.reject_code()),
    }
}

/// Facts happened in the world and are never refused: a completed sale, a
/// return, a payment, goods received.
pub fn is_fact(op: &Op) -> bool {
    match op {
        Op::SaleCompleted(_) | Op::ReturnCompleted(_) | Op::PaymentReceived(_) => true,
        Op::StockMoved(moved) => {
            !moved.movements.is_empty()
                && moved
                    .movements
                    .iter()
                    .all(|movement| movement.kind == MovementKind::Receive)
        }
        Op::FieldsSet(_) | Op::OrderSubmitted(_) | Op::UserSet(_) | Op::OrderDecided(_) => false,
    }
}

/// The permissions making `op` needs.
pub fn required_permissions(op: &Op) -> BTreeSet<Permission> {
    let mut needed = BTreeSet::new();
    match op {
        Op::FieldsSet(set) => {
            needed.insert(match set.entity {
                Entity::Product | Entity::Category | Entity::Barcode | Entity::PriceList | Entity::PriceListEntry => {
                    Permission::ManageCatalog
                }
                Entity::Location => Permission::ManageLocations,
                Entity::Customer => Permission::ManageCustomers,
            });
        }
        Op::StockMoved(moved) => {
            needed.extend(moved.movements.iter().map(|movement| match movement.kind {
                MovementKind::Receive => Permission::ReceiveStock,
                MovementKind::Adjustment => Permission::AdjustStock,
                MovementKind::TransferOut | MovementKind::TransferIn => Permission::TransferStock,
                MovementKind::Count => Permission::CountStock,
                MovementKind::Sale => Permission::Sell,
                MovementKind::Return => Permission::Refund,
            }));
        }
        Op::SaleCompleted(_) => {
            needed.insert(Permission::Sell);
        }
        Op::ReturnCompleted(_) => {
            needed.insert(Permission::Refund);
        }
        Op::PaymentReceived(_) => {
            needed.insert(Permission::CollectPayments);
        }
        Op::OrderSubmitted(_) => {
            needed.insert(Permission::TakeOrders);
        }
        Op::UserSet(_) => {
            needed.insert(Permission::ManageUsers);
        }
        // Made by the hub alone: no role may send one (see `role_may_make`).
        Op::OrderDecided(_) => {}
    }
    needed
}

fn role_may_make(role: Role, op: &Op) -> bool {
    let permitted = required_permissions(op)
        .into_iter()
        .all(|permission| role.allows(permission));
    // Only an owner may make or change an owner.
    let owner_rule = match op {
        Op::UserSet(user) => user.role != Role::Owner.as_str() || role == Role::Owner,
        Op::OrderDecided(_) => false,
        _ => true,
    };
    permitted && owner_rule
}

/// The salesperson a customer change assigns the customer to, if it names
/// one: `Some(None)` for no one, `Some(Some(id))`; a value that is neither
/// null nor a UUID is `Err`.
fn assigned_by(op: &Op) -> Option<Result<Option<Uuid>, ()>> {
    let Op::FieldsSet(set) = op else { return None };
    if set.entity != Entity::Customer {
        return None;
    }
    let value = set.fields.get(crate::push::SALESPERSON_FIELD)?;
    Some(match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(text) => Uuid::parse_str(text).map(Some).map_err(|_| ()),
        _ => Err(()),
    })
}

/// Only those who may assign customers move a customer to a salesperson;
/// anyone else who manages customers may leave it with no one or take it
/// themselves (a salesperson's new customer is their own).
fn may_assign(role: Role, user_id: Uuid, op: &Op) -> bool {
    match assigned_by(op) {
        Some(Ok(Some(salesperson))) => role.allows(Permission::AssignCustomers) || salesperson == user_id,
        _ => true,
    }
}

fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|byte| byte.is_ascii_uppercase())
}

fn payments_hold(payments: &[Payment]) -> bool {
    payments.iter().all(|payment| is_currency_code(&payment.currency))
}

/// The rules a payload of the right type must still keep.
fn shape_holds(op: &Op) -> bool {
    match op {
        Op::FieldsSet(set) => !set.fields.is_empty() && !matches!(assigned_by(op), Some(Err(()))),
        Op::StockMoved(moved) => !moved.movements.is_empty(),
        Op::SaleCompleted(sale) => {
            !sale.lines.is_empty() && is_currency_code(&sale.currency) && payments_hold(&sale.payments)
        }
        Op::ReturnCompleted(ret) => {
            !ret.lines.is_empty() && is_currency_code(&ret.currency) && payments_hold(&ret.refunds)
        }
        Op::PaymentReceived(entry) => is_currency_code(&entry.currency),
        Op::OrderSubmitted(order) => !order.lines.is_empty() && is_currency_code(&order.currency),
        // A username a hub account can hold.
        Op::UserSet(user) => {
            crate::accounts::check_name("username", user.username.trim()).is_ok() && Role::parse(&user.role).is_some()
        }
        Op::OrderDecided(_) => true,
    }
}

/// The hub's decision on a submitted order, from the records it holds when
/// the order's push commits: the customer (`None`: the hub has no such
/// record) and each line's product, in line order. The first rule broken
/// rejects the order; an order breaking none is confirmed. A record counts
/// as inactive only when its `active` field is `false`.
pub fn decide_order(order: &OrderSubmitted, customer: Option<&Record>, products: &[Option<&Record>]) -> OrderDecided {
    let reason = order_breach(order, customer, products);
    OrderDecided {
        order_id: order.id,
        status: if reason.is_some() {
            OrderDecision::Rejected
        } else {
            OrderDecision::Confirmed
        },
        reason,
    }
}

fn order_breach(
    order: &OrderSubmitted,
    customer: Option<&Record>,
    products: &[Option<&Record>],
) -> Option<OrderRejectReason> {
    let Some(customer) = customer else {
        return Some(OrderRejectReason::UnknownCustomer);
    };
    if !is_active(customer) {
        return Some(OrderRejectReason::CustomerInactive);
    }
    let currency = customer.fields.get("currency").and_then(|currency| currency.as_str());
    if currency.is_some_and(|currency| currency != order.currency) {
        return Some(OrderRejectReason::WrongCurrency);
    }
    for product in products {
        match product {
            None => return Some(OrderRejectReason::UnknownProduct),
            Some(product) if !is_active(product) => return Some(OrderRejectReason::ProductInactive),
            Some(_) => {}
        }
    }
    None
}

fn is_active(record: &Record) -> bool {
    record.fields.get("active") != Some(&serde_json::Value::Bool(false))
}

/// The stamp the hub records for an op sent with `sent`: unchanged unless it
/// is more than `max_future_ms` ahead of `now_ms`, then clamped to that limit
/// and kept strictly after the batch's previous stamp (`previous`). Returns
/// the stamp and whether it was clamped.
pub fn settle_stamp(sent: Hlc, previous: Option<Hlc>, now_ms: u64, max_future_ms: u64) -> (Hlc, bool) {
    let limit_ms = now_ms.saturating_add(max_future_ms);
    if sent.millis() <= limit_ms {
        return (sent, false);
    }
    let clamped = match previous {
        Some(previous) => previous.tick(limit_ms),
        None => Hlc::new(limit_ms, 0),
    };
    (clamped, true)
}

/// The op type as stored: NULs (which PostgreSQL text refuses) replaced, and
/// cut to a sane length. Only an unknown type can need either.
pub fn storable_op_type(op_type: &str) -> String {
    op_type
        .chars()
        .take(100)
        .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use stockroom_protocol::ops::{AccountEntry, AccountEntryKind, FieldsSet, Movement, StockMoved, UserSet};
    use stockroom_protocol::sync::RawOp;

    const TENANT: Uuid = Uuid::from_u128(1);

    fn envelope(op: &Op) -> RawOpEnvelope {
        RawOpEnvelope {
            op_id: Uuid::from_u128(10),
            device_id: Uuid::from_u128(2),
            epoch: 1,
            seq: 1,
            hlc: Hlc::new(1_000, 0),
            user_id: Uuid::from_u128(3),
            type_version: 1,
            op: RawOp {
                op_type: op.kind().as_str().to_string(),
                data: op.payload_json(),
            },
        }
    }

    fn movement(kind: MovementKind) -> Movement {
        Movement {
            id: Uuid::from_u128(20),
            kind,
            product_id: Uuid::from_u128(21),
            location_id: Uuid::from_u128(22),
            qty_milli: 1000,
            hlc: Hlc::new(1_000, 0),
            ref_id: None,
            reason: None,
        }
    }

    fn stock(kinds: &[MovementKind]) -> Op {
        Op::StockMoved(StockMoved {
            movements: kinds.iter().map(|kind| movement(*kind)).collect(),
            transfer: None,
        })
    }

    fn payment(currency: &str) -> Op {
        Op::PaymentReceived(AccountEntry {
            id: Uuid::from_u128(30),
            customer_id: Uuid::from_u128(31),
            kind: AccountEntryKind::Payment,
            amount_minor: -100,
            currency: currency.into(),
            ref_id: None,
            method: None,
        })
    }

    fn product_edit() -> Op {
        let mut fields = serde_json::Map::new();
        fields.insert("name".into(), "Tea".into());
        Op::FieldsSet(FieldsSet {
            entity: Entity::Product,
            row_id: Uuid::from_u128(40),
            fields,
        })
    }

    fn user_set(role: &str) -> Op {
        Op::UserSet(UserSet {
            id: Uuid::from_u128(50),
            username: "ana".into(),
            display_name: "Ana".into(),
            role: role.into(),
            active: true,
        })
    }

    fn actor(role: Role) -> Actor {
        Actor {
            tenant_id: TENANT,
            role,
            active: true,
        }
    }

    fn check(op: &Op, actor: Actor, expected: Decision) {
        assert_eq!(decide(&envelope(op), actor, TENANT), expected, "{op:?} by {actor:?}");
    }

    fn applied(flags: &[FlagCode]) -> Decision {
        Decision::Apply { flags: flags.to_vec() }
    }

    #[test]
    fn requests_are_refused_for_their_first_breach_and_facts_only_flagged() {
        use MovementKind::*;
        let other_tenant = Actor {
            tenant_id: Uuid::from_u128(99),
            ..actor(Role::Manager)
        };
        let inactive = Actor {
            active: false,
            ..actor(Role::Cashier)
        };
        check(&product_edit(), actor(Role::Manager), applied(&[]));
        check(
            &product_edit(),
            actor(Role::Cashier),
            Decision::Reject(RejectCode::RoleNotAllowed),
        );
        check(&product_edit(), other_tenant, Decision::Reject(RejectCode::WrongTenant));
        check(&stock(&[Adjustment]), actor(Role::Warehouse), applied(&[]));
        check(
            &stock(&[Adjustment]),
            actor(Role::Cashier),
            Decision::Reject(RejectCode::RoleNotAllowed),
        );
        check(
            &stock(&[Receive, Count]),
            actor(Role::Cashier),
            Decision::Reject(RejectCode::RoleNotAllowed),
        );
        check(
            &stock(&[Receive]),
            actor(Role::Cashier),
            applied(&[FlagCode::RoleNotAllowed]),
        );
        check(
            &payment("EUR"),
            actor(Role::Warehouse),
            applied(&[FlagCode::RoleNotAllowed]),
        );
        check(
            &payment("eur"),
            inactive,
            applied(&[FlagCode::UserInactive, FlagCode::InvalidShape]),
        );
        check(&payment("EUR"), other_tenant, applied(&[FlagCode::WrongTenant]));
        check(&user_set("cashier"), actor(Role::Manager), applied(&[]));
        check(
            &user_set("owner"),
            actor(Role::Manager),
            Decision::Reject(RejectCode::RoleNotAllowed),
        );
        check(&user_set("owner"), actor(Role::Owner), applied(&[]));
        check(
            &user_set("wizard"),
            actor(Role::Owner),
            Decision::Reject(RejectCode::InvalidPayload),
        );
        // A username no hub account could hold.
        for username in ["  ", "a\tb", &"x".repeat(101)] {
            let mut op = user_set("cashier");
            if let Op::UserSet(user) = &mut op {
                user.username = username.to_string();
            }
            check(&op, actor(Role::Owner), Decision::Reject(RejectCode::InvalidPayload));
        }
        check(
            &stock(&[]),
            actor(Role::Owner),
            Decision::Reject(RejectCode::InvalidPayload),
        );
    }

    #[test]
    fn ops_decode_in_place_as_from_their_parts() {
        let ops = [
            product_edit(),
            payment("EUR"),
            stock(&[MovementKind::Receive]),
            user_set("cashier"),
        ];
        for op in ops {
            let raw = envelope(&op);
            let in_place = decode_op(&raw.op.op_type, &raw.op.data).unwrap();
            assert_eq!(in_place, Op::from_parts(&raw.op.op_type, raw.op.data.clone()).unwrap());
            assert_eq!(in_place, op);
        }
        assert!(decode_op("sale.voided", &serde_json::json!({})).is_err());
        assert!(decode_op("payment.received", &serde_json::json!({"id": 1})).is_err());
    }

    #[test]
    fn unknown_types_and_broken_payloads_are_rejected() {
        let mut unknown = envelope(&payment("EUR"));
        unknown.op.op_type = "sale.voided".into();
        assert_eq!(
            decide(&unknown, actor(Role::Owner), TENANT),
            Decision::Reject(RejectCode::UnknownOpType)
        );
        let mut broken = envelope(&payment("EUR"));
        broken.op.data = serde_json::json!({"id": "not a uuid"});
        assert_eq!(
            decide(&broken, actor(Role::Owner), TENANT),
            Decision::Reject(RejectCode::InvalidPayload)
        );
    }

    #[test]
    fn facts_are_sales_returns_payments_and_receipts_only() {
        use MovementKind::*;
        assert!(is_fact(&payment("EUR")));
        assert!(is_fact(&stock(&[Receive, Receive])));
        assert!(!is_fact(&stock(&[Receive, Adjustment])));
        assert!(!is_fact(&stock(&[TransferIn])));
        assert!(!is_fact(&stock(&[])));
        assert!(!is_fact(&product_edit()));
        assert!(!is_fact(&user_set("cashier")));
    }

    #[test]
    fn versions_outside_the_window_stop_the_batch() {
        let mut op = envelope(&payment("EUR"));
        assert_eq!(check_version(&op), None);
        op.type_version = 2;
        assert_eq!(
            check_version(&op),
            Some(BatchStop::UnsupportedOpVersion {
                seq: 1,
                type_version: 2,
                min_version: 1,
                max_version: 1
            })
        );
        op.type_version = 0;
        assert!(check_version(&op).is_some());
        op.op.op_type = "sale.voided".into();
        assert_eq!(check_version(&op), None, "unknown types are rejected, not stopped");
    }

    #[test]
    fn stamps_far_ahead_are_clamped_and_stay_in_order() {
        let now = 1_000_000;
        let allowance = 600_000;
        let near = Hlc::new(now + allowance, 7);
        assert_eq!(settle_stamp(near, None, now, allowance), (near, false));
        let far = Hlc::new(now + 365 * 86_400_000, 3);
        let (first, clamped) = settle_stamp(far, None, now, allowance);
        assert!(clamped);
        assert_eq!(first, Hlc::new(now + allowance, 0));
        let (second, _) = settle_stamp(Hlc::new(far.millis() + 1, 0), Some(first), now, allowance);
        assert!(second > first);
        let past = Hlc::new(10, 0);
        assert_eq!(settle_stamp(past, Some(second), now, allowance), (past, false));
    }

    #[test]
    fn stored_op_types_have_no_nul() {
        assert_eq!(storable_op_type("a\0b"), "a\u{fffd}b");
        assert_eq!(storable_op_type(&"x".repeat(500)).len(), 100);
    }
}
