//! Orders are requests the hub decides: each applied `order.submitted` is
//! answered by an `order.decided` op of the tenant's hub device, right after
//! it in the feed, confirmed or rejected with a stable reason, judged on the
//! records as they stand when the push commits.

use serde_json::json;
use stockroom_protocol::ops::{
    Entity, FieldsSet, OrderDecided, OrderDecision, OrderLine, OrderRejectReason, OrderSubmitted,
};
use stockroom_protocol::snapshot::SnapshotItem;
use stockroom_protocol::sync::{OpOutcome, RejectCode};
use stockroom_protocol::{Op, OpEnvelope};
use stockroom_server::policy::Role;
use uuid::Uuid;

use crate::support::{on_both_backends, TestHub};

on_both_backends!(
    every_order_is_answered_right_after_it_in_the_feed,
    records_made_earlier_in_the_same_batch_count,
    a_device_may_not_send_a_decision,
    a_snapshot_carries_the_decisions,
);

const SHOP: &str = "Wholesale Co";

fn record(entity: Entity, row_id: Uuid, fields: serde_json::Value) -> Op {
    let serde_json::Value::Object(fields) = fields else {
        panic!("fields must be an object");
    };
    Op::FieldsSet(FieldsSet { entity, row_id, fields })
}

fn customer(row_id: Uuid, currency: &str, active: bool) -> Op {
    record(
        Entity::Customer,
        row_id,
        json!({ "code": row_id.to_string(), "name": "Customer", "currency": currency, "active": active }),
    )
}

fn product(row_id: Uuid, active: bool) -> Op {
    record(
        Entity::Product,
        row_id,
        json!({ "sku": row_id.to_string(), "name": "Product", "active": active }),
    )
}

fn order(customer_id: Uuid, currency: &str, product_ids: &[Uuid]) -> Op {
    let lines = product_ids
        .iter()
        .enumerate()
        .map(|(index, product_id)| OrderLine {
            id: Uuid::now_v7(),
            line_no: index as u32 + 1,
            product_id: *product_id,
            qty_milli: 2000,
            unit_price_minor: 500,
            total_minor: 1000,
        })
        .collect::<Vec<_>>();
    Op::OrderSubmitted(OrderSubmitted {
        id: Uuid::now_v7(),
        number: "S01-000001".into(),
        customer_id,
        customer_name: Some("Acme".into()),
        salesperson_id: Uuid::nil(),
        price_list_id: None,
        currency: currency.into(),
        total_minor: 1000 * lines.len() as i64,
        note: None,
        lines,
    })
}

fn order_id(op: &Op) -> Uuid {
    match op {
        Op::OrderSubmitted(order) => order.id,
        other => panic!("not an order: {other:?}"),
    }
}

/// The decision right after the order `order_id` in `feed`, checking it
/// sits at the next position.
fn decision_after(feed: &[(u64, OpEnvelope)], order_id: Uuid) -> OrderDecided {
    let index = feed
        .iter()
        .position(|(_, envelope)| matches!(&envelope.op, Op::OrderSubmitted(order) if order.id == order_id))
        .expect("the order is in the feed");
    let (order_position, _) = &feed[index];
    let (answer_position, answer) = feed.get(index + 1).expect("an answer follows the order");
    assert_eq!(*answer_position, order_position + 1);
    assert_eq!(
        answer.seq, *answer_position,
        "the hub device's seq is the feed position"
    );
    match &answer.op {
        Op::OrderDecided(decided) => {
            assert_eq!(decided.order_id, order_id);
            decided.clone()
        }
        other => panic!("expected order.decided after the order, got {other:?}"),
    }
}

async fn every_order_is_answered_right_after_it_in_the_feed(hub: TestHub) {
    hub.add_user(SHOP, "mona", Role::Manager).await;
    hub.add_user(SHOP, "sami", Role::Salesperson).await;
    let manager = hub.enrol("mona").await;
    let salesperson = hub.enrol("sami").await;

    let (active_customer, closed_customer) = (Uuid::now_v7(), Uuid::now_v7());
    let (active_product, archived_product) = (Uuid::now_v7(), Uuid::now_v7());
    let catalog = [
        customer(active_customer, "EUR", true),
        customer(closed_customer, "EUR", false),
        product(active_product, true),
        product(archived_product, false),
    ];
    let catalog: Vec<OpEnvelope> = catalog
        .into_iter()
        .enumerate()
        .map(|(index, op)| manager.envelope(index as u64 + 1, op))
        .collect();
    hub.push(&manager, &catalog).await;

    let cases = [
        (order(active_customer, "EUR", &[active_product]), None),
        (
            order(Uuid::now_v7(), "EUR", &[active_product]),
            Some(OrderRejectReason::UnknownCustomer),
        ),
        (
            order(closed_customer, "EUR", &[active_product]),
            Some(OrderRejectReason::CustomerInactive),
        ),
        (
            order(active_customer, "USD", &[active_product]),
            Some(OrderRejectReason::WrongCurrency),
        ),
        (
            order(active_customer, "EUR", &[active_product, Uuid::now_v7()]),
            Some(OrderRejectReason::UnknownProduct),
        ),
        (
            order(active_customer, "EUR", &[archived_product]),
            Some(OrderRejectReason::ProductInactive),
        ),
    ];
    let orders: Vec<OpEnvelope> = cases
        .iter()
        .enumerate()
        .map(|(index, (op, _))| salesperson.envelope(index as u64 + 1, op.clone()))
        .collect();
    let answer = hub.push(&salesperson, &orders).await;
    assert!(answer
        .results
        .iter()
        .all(|result| matches!(result.outcome, OpOutcome::Applied { .. })));

    // The manager sees every order (the orders here name no salesperson).
    let feed = hub.pull_all(&manager, 3).await;
    let positions: Vec<u64> = feed.iter().map(|(position, _)| *position).collect();
    assert_eq!(
        positions,
        (1..=feed.len() as u64).collect::<Vec<_>>(),
        "no gaps in the feed"
    );
    assert_eq!(feed.len(), catalog.len() + 2 * cases.len());
    for (op, reason) in &cases {
        let decided = decision_after(&feed, order_id(op));
        let status = if reason.is_some() {
            OrderDecision::Rejected
        } else {
            OrderDecision::Confirmed
        };
        assert_eq!((decided.status, decided.reason), (status, *reason));
    }

    // The same order sent again (a lost acknowledgement) is not decided twice.
    let again = hub.push(&salesperson, &orders[..1]).await;
    assert!(matches!(again.results[0].outcome, OpOutcome::Duplicate { .. }));
    assert_eq!(hub.pull_all(&manager, 100).await.len(), feed.len());
}

async fn records_made_earlier_in_the_same_batch_count(hub: TestHub) {
    // A manager may both add a customer and take an order.
    hub.add_user(SHOP, "mona", Role::Manager).await;
    let device = hub.enrol("mona").await;
    let (customer_id, product_id) = (Uuid::now_v7(), Uuid::now_v7());
    let placed = order(customer_id, "EUR", &[product_id]);
    let batch = [
        device.envelope(1, product(product_id, true)),
        device.envelope(2, customer(customer_id, "EUR", true)),
        device.envelope(3, placed.clone()),
    ];
    hub.push(&device, &batch).await;
    let feed = hub.pull_all(&device, 100).await;
    assert_eq!(
        decision_after(&feed, order_id(&placed)).status,
        OrderDecision::Confirmed
    );
}

async fn a_device_may_not_send_a_decision(hub: TestHub) {
    hub.add_user(SHOP, "olga", Role::Owner).await;
    let device = hub.enrol("olga").await;
    let forged = Op::OrderDecided(OrderDecided {
        order_id: Uuid::now_v7(),
        status: OrderDecision::Confirmed,
        reason: None,
    });
    let answer = hub.push(&device, &[device.envelope(1, forged)]).await;
    assert_eq!(
        answer.results[0].outcome,
        OpOutcome::Rejected {
            code: RejectCode::RoleNotAllowed
        }
    );
    assert!(hub.pull_all(&device, 100).await.is_empty());
}

async fn a_snapshot_carries_the_decisions(hub: TestHub) {
    hub.add_user(SHOP, "mona", Role::Manager).await;
    let device = hub.enrol("mona").await;
    let placed = order(Uuid::now_v7(), "EUR", &[Uuid::now_v7()]);
    hub.push(&device, &[device.envelope(1, placed.clone())]).await;
    let items = crate::snapshot::snapshot_lines(&hub, &device).await;
    let decided: Vec<OrderDecided> = items
        .iter()
        .filter_map(|item| match item {
            SnapshotItem::Op { op, .. } => match op.decode().expect("a decodable op").op {
                Op::OrderDecided(decided) => Some(decided),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].order_id, order_id(&placed));
    assert_eq!(decided[0].reason, Some(OrderRejectReason::UnknownCustomer));
}
