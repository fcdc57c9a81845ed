//! A salesperson's customers: each salesperson's devices receive the
//! customers assigned to them (records, payments, sales on account) and no
//! one else's; a customer moved to another salesperson asks both for new
//! snapshots, and the new one of the salesperson it went to holds its whole
//! history; only a manager moves a customer to someone else; the entries a
//! hub wrote before this learn their customers from its migration.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::{json, Value};
use stockroom_protocol::ops::{AccountEntry, AccountEntryKind, Entity, FieldsSet, PaymentMethod};
use stockroom_protocol::snapshot::SnapshotItem;
use stockroom_protocol::sync::{OpOutcome, RawOpEnvelope, RejectCode};
use stockroom_protocol::{Op, OpEnvelope};
use uuid::Uuid;

use crate::scopes::{order_of, shop, Shop};
use crate::snapshot::snapshot_lines;
use crate::support::{on_both_backends, sale, TestDevice, TestHub};

on_both_backends!(
    a_salesperson_holds_their_own_customers_only,
    a_moved_customer_takes_its_history_to_the_new_salesperson,
    only_a_manager_gives_a_customer_to_someone_else,
    an_order_stays_with_its_salesperson_when_its_customer_is_given_away,
    entries_from_before_assignments_get_their_customers,
);

const ACME: Uuid = Uuid::from_u128(0xac);
const BRAVO: Uuid = Uuid::from_u128(0xb0);
const WALK_IN: Uuid = Uuid::from_u128(0xa1);

fn customer(id: Uuid, fields: Value) -> Op {
    let Value::Object(fields) = fields else {
        panic!("fields are an object");
    };
    Op::FieldsSet(FieldsSet {
        entity: Entity::Customer,
        row_id: id,
        fields,
    })
}

fn payment_of(customer_id: Uuid, amount_minor: i64) -> Op {
    Op::PaymentReceived(AccountEntry {
        id: Uuid::now_v7(),
        customer_id,
        kind: AccountEntryKind::Payment,
        amount_minor: -amount_minor,
        currency: "EUR".into(),
        ref_id: None,
        method: Some(PaymentMethod::Cash),
    })
}

fn envelopes(device: &TestDevice, first_seq: u64, ops: Vec<Op>) -> Vec<OpEnvelope> {
    ops.into_iter()
        .enumerate()
        .map(|(index, op)| device.envelope(first_seq + index as u64, op))
        .collect()
}

/// The shop of `scopes`, whose owner then adds Acme (Sami's), Bravo
/// (Sara's) and a walk-in customer (no one's), and a payment from each.
async fn shop_with_customers(hub: &TestHub) -> Shop {
    let shop = shop(hub).await;
    let ops = vec![
        customer(
            ACME,
            json!({"name": "Acme", "currency": "EUR", "salesperson_id": shop.sami.user_id}),
        ),
        customer(
            BRAVO,
            json!({"name": "Bravo", "currency": "EUR", "salesperson_id": shop.sara.user_id}),
        ),
        customer(
            WALK_IN,
            json!({"name": "Walk-in", "currency": "EUR", "salesperson_id": null}),
        ),
        payment_of(ACME, 100),
        payment_of(BRAVO, 200),
        payment_of(WALK_IN, 300),
    ];
    // The owner's device sent four ops in `shop`.
    let pushed = hub.push(&shop.owner, &envelopes(&shop.owner, 5, ops)).await;
    assert!(pushed
        .results
        .iter()
        .all(|result| matches!(result.outcome, OpOutcome::Applied { .. })));
    shop
}

/// The customers named by the customer records and payments of a feed.
fn customers_in<'a>(ops: impl IntoIterator<Item = &'a Op>) -> BTreeSet<Uuid> {
    ops.into_iter()
        .filter_map(|op| match op {
            Op::FieldsSet(set) if set.entity == Entity::Customer => Some(set.row_id),
            Op::PaymentReceived(entry) => Some(entry.customer_id),
            _ => None,
        })
        .collect()
}

async fn pulled_customers(hub: &TestHub, device: &TestDevice) -> BTreeSet<Uuid> {
    let feed = hub.pull_all(device, 3).await;
    customers_in(feed.iter().map(|(_, envelope)| &envelope.op))
}

/// A snapshot's customer records (id and salesperson), the customers its
/// payments name and its orders.
struct SnapshotCustomers {
    records: Vec<(Uuid, Value)>,
    paid_by: BTreeSet<Uuid>,
    orders: BTreeSet<Uuid>,
    cursor: String,
}

async fn snapshot_customers(hub: &TestHub, device: &TestDevice) -> SnapshotCustomers {
    let lines = snapshot_lines(hub, device).await;
    let mut found = SnapshotCustomers {
        records: Vec::new(),
        paid_by: BTreeSet::new(),
        orders: BTreeSet::new(),
        cursor: String::new(),
    };
    for line in lines {
        match line {
            SnapshotItem::Header { cursor, .. } => found.cursor = cursor,
            SnapshotItem::Row(row) if row.entity == Entity::Customer => {
                let salesperson = row.fields.get("salesperson_id").cloned().unwrap_or(Value::Null);
                found.records.push((row.row_id, salesperson));
            }
            SnapshotItem::Op { op, .. } => {
                let op: RawOpEnvelope = op;
                if let Ok(decoded) = op.decode() {
                    found.paid_by.extend(customers_in([&decoded.op]));
                    if let Op::OrderSubmitted(order) = &decoded.op {
                        found.orders.insert(order.id);
                    }
                }
            }
            _ => {}
        }
    }
    found
}

async fn a_salesperson_holds_their_own_customers_only(hub: TestHub) {
    let shop = shop_with_customers(&hub).await;
    assert_eq!(pulled_customers(&hub, &shop.sami).await, BTreeSet::from([ACME]));
    assert_eq!(pulled_customers(&hub, &shop.sara).await, BTreeSet::from([BRAVO]));
    let everyone = BTreeSet::from([ACME, BRAVO, WALK_IN, Uuid::from_u128(77)]);
    for device in [&shop.owner, &shop.cashier, &shop.warehouse] {
        assert_eq!(pulled_customers(&hub, device).await, everyone);
    }
    // Each entry names the salesperson's scope of its customer.
    let page = hub.pull(&shop.sami, "", 100).await;
    let own = format!("customers:{}", shop.sami.user_id);
    assert!(page.scopes.contains_key(&own), "{:?}", page.scopes);
    assert!(!page.scopes.contains_key("customers"));
    // The snapshot: Sami's customer and its payment only.
    let snapshot = snapshot_customers(&hub, &shop.sami).await;
    assert_eq!(snapshot.records, [(ACME, json!(shop.sami.user_id))]);
    assert_eq!(snapshot.paid_by, BTreeSet::from([ACME]));
    // Everyone else's snapshot holds every customer.
    let owner = snapshot_customers(&hub, &shop.owner).await;
    assert_eq!(owner.records.len(), 3);
    assert_eq!(owner.paid_by, everyone);
}

async fn a_moved_customer_takes_its_history_to_the_new_salesperson(hub: TestHub) {
    let shop = shop_with_customers(&hub).await;
    let sami_before = snapshot_customers(&hub, &shop.sami).await;
    let sara_before = snapshot_customers(&hub, &shop.sara).await;
    let cashier_before = snapshot_customers(&hub, &shop.cashier).await;
    // The manager gives Acme to Sara.
    let moved = customer(ACME, json!({"salesperson_id": shop.sara.user_id}));
    hub.push(&shop.owner, &envelopes(&shop.owner, 11, vec![moved])).await;
    // Both salespersons' devices are told to take new snapshots; the
    // cashier's goes on pulling.
    for device in [&shop.sami, &shop.sara] {
        let cursor = if device.user_id == shop.sami.user_id {
            &sami_before.cursor
        } else {
            &sara_before.cursor
        };
        let (status, answer) = hub.pull_status(device, cursor, 100).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["code"], "scopes_changed");
    }
    let cashier = hub.pull(&shop.cashier, &cashier_before.cursor, 100).await;
    assert_eq!(cashier.changes.len(), 1);
    // Sara's new snapshot holds Acme and the payment it made while Sami's.
    let sara = snapshot_customers(&hub, &shop.sara).await;
    let sara_id = json!(shop.sara.user_id);
    assert_eq!(sara.records, [(ACME, sara_id.clone()), (BRAVO, sara_id)]);
    assert_eq!(sara.paid_by, BTreeSet::from([ACME, BRAVO]));
    // Sami's holds neither any more.
    let sami = snapshot_customers(&hub, &shop.sami).await;
    assert!(sami.records.is_empty(), "{:?}", sami.records);
    assert!(sami.paid_by.is_empty());
    // A payment Sami's device took before it heard goes to Sara's devices.
    let late = payment_of(ACME, 50);
    hub.push(&shop.sami, &envelopes(&shop.sami, 2, vec![late])).await;
    let sara_after = hub.pull(&shop.sara, &sara.cursor, 100).await;
    assert_eq!(sara_after.changes.len(), 1);
    assert!(hub.pull(&shop.sami, &sami.cursor, 100).await.changes.is_empty());
    // Moving it back asks again.
    let back = customer(ACME, json!({"salesperson_id": shop.sami.user_id}));
    hub.push(&shop.owner, &envelopes(&shop.owner, 12, vec![back])).await;
    let (status, _) = hub.pull_status(&shop.sami, &sami.cursor, 100).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let sami = snapshot_customers(&hub, &shop.sami).await;
    assert_eq!(sami.records, [(ACME, json!(shop.sami.user_id))]);
    assert_eq!(sami.paid_by, BTreeSet::from([ACME]));
    assert_eq!(
        hub.count("SELECT count(*) FROM feed_customers").await,
        // Three records, their three payments, two moves, the late payment;
        // from `shop`, a payment (orders name no customer there).
        3 + 3 + 2 + 1 + 1
    );
}

async fn only_a_manager_gives_a_customer_to_someone_else(hub: TestHub) {
    let shop = shop_with_customers(&hub).await;
    let new = |salesperson: Value| customer(Uuid::now_v7(), json!({"name": "New", "salesperson_id": salesperson}));
    let ops = vec![
        // Sami gives a new customer to Sara, takes one himself, leaves one
        // with no one, and names someone with no id; then takes Bravo, an
        // existing customer, from Sara.
        new(json!(shop.sara.user_id)),
        new(json!(shop.sami.user_id)),
        new(Value::Null),
        new(json!("not an id")),
        customer(BRAVO, json!({"salesperson_id": shop.sami.user_id})),
    ];
    let pushed = hub.push(&shop.sami, &envelopes(&shop.sami, 2, ops)).await;
    let outcomes: Vec<OpOutcome> = pushed.results.iter().map(|result| result.outcome.clone()).collect();
    let applied = OpOutcome::Applied { flags: Vec::new() };
    assert_eq!(
        outcomes,
        [
            OpOutcome::Rejected {
                code: RejectCode::RoleNotAllowed
            },
            applied.clone(),
            applied,
            OpOutcome::Rejected {
                code: RejectCode::InvalidPayload
            },
            OpOutcome::Rejected {
                code: RejectCode::RoleNotAllowed
            },
        ]
    );
    assert!(!pulled_customers(&hub, &shop.sami).await.contains(&BRAVO));
    // The manager may give one to anyone.
    let given = customer(WALK_IN, json!({"salesperson_id": shop.sara.user_id}));
    let pushed = hub.push(&shop.owner, &envelopes(&shop.owner, 11, vec![given])).await;
    assert!(matches!(pushed.results[0].outcome, OpOutcome::Applied { .. }));
    assert!(pulled_customers(&hub, &shop.sara).await.contains(&WALK_IN));
}

async fn an_order_stays_with_its_salesperson_when_its_customer_is_given_away(hub: TestHub) {
    let shop = shop_with_customers(&hub).await;
    let order_id = |op: &Op| match op {
        Op::OrderSubmitted(order) => order.id,
        _ => unreachable!("an order"),
    };
    // Sami's order for Acme, his customer: inside his scopes.
    let first = order_of(shop.sami.user_id, ACME);
    let pushed = hub
        .push(&shop.sami, &envelopes(&shop.sami, 2, vec![first.clone()]))
        .await;
    assert!(matches!(pushed.results[0].outcome, OpOutcome::Applied { .. }));
    assert!(!pushed.outside_scopes, "{pushed:?}");
    // The manager gives Acme to Sara.
    let moved = customer(ACME, json!({"salesperson_id": shop.sara.user_id}));
    hub.push(&shop.owner, &envelopes(&shop.owner, 11, vec![moved])).await;
    // Sami's device took a second order for Acme before it heard: taken,
    // and the answer tells the device it names a customer outside its
    // scopes (whose record it still holds).
    let second = envelopes(&shop.sami, 3, vec![order_of(shop.sami.user_id, ACME)]);
    let pushed = hub.push(&shop.sami, &second).await;
    assert!(matches!(pushed.results[0].outcome, OpOutcome::Applied { .. }));
    assert!(pushed.outside_scopes, "{pushed:?}");
    // Sent again (the answer was lost): a duplicate, and still said.
    let again = hub.push(&shop.sami, &second).await;
    assert_eq!(again.results[0].outcome, OpOutcome::Duplicate { rejected: None });
    assert!(again.outside_scopes, "{again:?}");
    let second = second[0].op.clone();
    // Sami keeps both orders (and his order of `shop`), without Acme's
    // record.
    let sami = snapshot_customers(&hub, &shop.sami).await;
    assert!(sami.orders.contains(&order_id(&first)) && sami.orders.contains(&order_id(&second)));
    assert_eq!(sami.orders.len(), 3);
    assert!(sami.records.is_empty(), "{:?}", sami.records);
    // Sara gets Acme, none of Sami's orders (her own of `shop` only).
    let sara = snapshot_customers(&hub, &shop.sara).await;
    assert!(sara.records.iter().any(|(id, _)| *id == ACME));
    assert!(sara.orders.is_disjoint(&sami.orders), "{:?}", sara.orders);
    assert_eq!(sara.orders.len(), 1);
    // The owner sees both orders and every customer.
    let owner = snapshot_customers(&hub, &shop.owner).await;
    assert!(owner.orders.is_superset(&sami.orders));
    assert_eq!(owner.records.len(), 3);
}

/// The statements of the migrations that give the entries written before
/// them their customers (`feed_customers`): the backfill, then the one that
/// takes orders' customers out again.
fn backfill_statements(hub: &TestHub) -> [&'static str; 2] {
    let (assignments, orders) = match hub.state.store.backend() {
        stockroom_server::Backend::Postgres => (
            include_str!("../../../../migrations/hub/postgres/20261203090000_customer_assignments.sql"),
            include_str!("../../../../migrations/hub/postgres/20261204090000_orders_stand_alone.sql"),
        ),
        stockroom_server::Backend::Sqlite => (
            include_str!("../../../../migrations/hub/sqlite/20261203090000_customer_assignments.sql"),
            include_str!("../../../../migrations/hub/sqlite/20261204090000_orders_stand_alone.sql"),
        ),
    };
    let start = assignments.find("INSERT").expect("the backfill statement");
    [&assignments[start..], orders]
}

async fn entries_from_before_assignments_get_their_customers(hub: TestHub) {
    let shop = shop_with_customers(&hub).await;
    // A sale to the walk-in customer, on Bravo's account.
    let mut on_account = sale("EUR");
    if let Op::SaleCompleted(sale) = &mut on_account {
        sale.customer_id = Some(WALK_IN);
        sale.account_entries.push(AccountEntry {
            id: Uuid::now_v7(),
            customer_id: BRAVO,
            kind: AccountEntryKind::Charge,
            amount_minor: 250,
            currency: "EUR".into(),
            ref_id: Some(sale.id),
            method: None,
        });
    }
    hub.push(&shop.owner, &envelopes(&shop.owner, 11, vec![on_account]))
        .await;
    let per_customer = |customer: Uuid| format!("SELECT count(*) FROM feed_customers WHERE customer_id = '{customer}'");
    let customers = [ACME, BRAVO, WALK_IN, Uuid::from_u128(77)];
    let mut written = Vec::new();
    for customer in customers {
        written.push(hub.count(&per_customer(customer)).await);
    }
    // Records, payments, the sale (both customers), and the payment of
    // `shop` (its orders name no customer there).
    assert_eq!(written, [2, 3, 3, 1]);
    // As a hub of the last build left them: no customers for any entry.
    hub.execute("DELETE FROM feed_customers").await;
    for statement in backfill_statements(&hub) {
        hub.execute(statement).await;
    }
    for (customer, expected) in customers.into_iter().zip(written) {
        assert_eq!(hub.count(&per_customer(customer)).await, expected, "{customer}");
    }
}
