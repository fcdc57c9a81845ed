//! Scopes: each device pulls only the feed of the scopes its user's role
//! covers, in feed order, with each scope's chain; pages are never empty
//! while entries of its scopes remain; a tampered entry fails its scope's
//! chain only; a snapshot holds only the device's scopes; a role change
//! asks for a new snapshot; entries from before scopes get them at start.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::json;
use stockroom_protocol::ops::{Entity, FieldsSet, Movement, MovementKind, OrderLine, OrderSubmitted, StockMoved};
use stockroom_protocol::snapshot::{chain_hex, chain_next, SnapshotItem, GENESIS_CHAIN};
use stockroom_protocol::sync::{PullResponse, RawOpEnvelope};
use stockroom_protocol::{Hlc, Op, OpEnvelope};
use stockroom_server::policy::Role;
use uuid::Uuid;

use crate::snapshot::snapshot_lines;
use crate::support::{on_both_backends, payment, TestDevice, TestHub};

on_both_backends!(
    each_role_pulls_its_scopes_only,
    pages_are_never_empty_while_entries_of_the_scopes_remain,
    a_tampered_entry_fails_its_scopes_chain_only,
    a_snapshot_holds_the_devices_scopes_and_a_role_change_asks_for_a_new_one,
    entries_from_before_scopes_get_them_at_start,
);

const SHOP: &str = "Corner Shop";
pub(crate) const LOCATION_A: Uuid = Uuid::from_u128(0xa);
pub(crate) const LOCATION_B: Uuid = Uuid::from_u128(0xb);

pub(crate) fn received(location: Uuid) -> Op {
    Op::StockMoved(StockMoved {
        movements: vec![Movement {
            id: Uuid::now_v7(),
            kind: MovementKind::Receive,
            product_id: Uuid::from_u128(500),
            location_id: location,
            qty_milli: 5_000,
            hlc: Hlc::new(crate::support::START_MS - 1_000, 0),
            ref_id: None,
            reason: None,
        }],
        transfer: None,
    })
}

/// The customer the orders of [`shop`] name, of whom the hub has no record.
pub(crate) const UNKNOWN_CUSTOMER: Uuid = Uuid::from_u128(77);

/// An order by `salesperson` for `customer`, of one line.
pub(crate) fn order_of(salesperson: Uuid, customer: Uuid) -> Op {
    Op::OrderSubmitted(OrderSubmitted {
        id: Uuid::now_v7(),
        number: "S01-000001".into(),
        customer_id: customer,
        customer_name: Some("Customer".into()),
        salesperson_id: salesperson,
        price_list_id: None,
        currency: "EUR".into(),
        total_minor: 500,
        note: None,
        lines: vec![OrderLine {
            id: Uuid::now_v7(),
            line_no: 1,
            product_id: Uuid::from_u128(500),
            qty_milli: 1_000,
            unit_price_minor: 500,
            total_minor: 500,
        }],
    })
}

fn product(name: &str) -> Op {
    let Some(fields) = json!({"name": name}).as_object().cloned() else {
        unreachable!("an object")
    };
    Op::FieldsSet(FieldsSet {
        entity: Entity::Product,
        row_id: Uuid::now_v7(),
        fields,
    })
}

fn envelopes(device: &TestDevice, first_seq: u64, ops: Vec<Op>) -> Vec<OpEnvelope> {
    ops.into_iter()
        .enumerate()
        .map(|(index, op)| device.envelope(first_seq + index as u64, op))
        .collect()
}

pub(crate) fn op_types(feed: &[(u64, OpEnvelope)]) -> Vec<&'static str> {
    feed.iter().map(|(_, op)| op.op.kind().as_str()).collect()
}

async fn pull_raw(hub: &TestHub, device: &TestDevice, since: &str, limit: u32) -> PullResponse<RawOpEnvelope> {
    let (status, answer) = hub.pull_status(device, since, limit).await;
    assert_eq!(status, StatusCode::OK, "pull: {answer}");
    serde_json::from_value(answer).expect("pull response")
}

/// Pulls everything, recomputing each scope's chain over the entries and
/// comparing it with each page's; returns the scopes that did not match.
async fn check_chains(hub: &TestHub, device: &TestDevice, limit: u32) -> Vec<String> {
    let mut chains: BTreeMap<String, [u8; 32]> = BTreeMap::new();
    let mut failed = Vec::new();
    let mut since = String::new();
    loop {
        let page = pull_raw(hub, device, &since, limit).await;
        for entry in &page.changes {
            for scope in &entry.scopes {
                let chain = chains.entry(scope.clone()).or_insert(GENESIS_CHAIN);
                *chain = chain_next(chain, entry.position, &entry.change);
            }
        }
        for (scope, sent) in &page.scopes {
            if chains.get(scope).map(chain_hex).as_ref() != Some(sent) && !failed.contains(scope) {
                failed.push(scope.clone());
            }
        }
        since = page.next;
        if !page.more {
            return failed;
        }
    }
}

/// A shop with an owner, two salespeople, a warehouse and a cashier, each
/// with a device; the owner's device wrote a product, stock at two
/// locations, and a payment; each salesperson an order.
pub(crate) struct Shop {
    pub owner: TestDevice,
    pub sami: TestDevice,
    pub sara: TestDevice,
    pub warehouse: TestDevice,
    pub cashier: TestDevice,
}

pub(crate) async fn shop(hub: &TestHub) -> Shop {
    hub.add_user(SHOP, "olive", Role::Owner).await;
    hub.add_user(SHOP, "sami", Role::Salesperson).await;
    hub.add_user(SHOP, "sara", Role::Salesperson).await;
    hub.add_user(SHOP, "wade", Role::Warehouse).await;
    hub.add_user(SHOP, "cass", Role::Cashier).await;
    let shop = Shop {
        owner: hub.enrol("olive").await,
        sami: hub.enrol("sami").await,
        sara: hub.enrol("sara").await,
        warehouse: hub.enrol("wade").await,
        cashier: hub.enrol("cass").await,
    };
    let owner_ops = vec![product("Tea"), received(LOCATION_A), received(LOCATION_B), payment(5)];
    hub.push(&shop.owner, &envelopes(&shop.owner, 1, owner_ops)).await;
    hub.push(
        &shop.sami,
        &envelopes(&shop.sami, 1, vec![order_of(shop.sami.user_id, UNKNOWN_CUSTOMER)]),
    )
    .await;
    hub.push(
        &shop.sara,
        &envelopes(&shop.sara, 1, vec![order_of(shop.sara.user_id, UNKNOWN_CUSTOMER)]),
    )
    .await;
    shop
}

async fn each_role_pulls_its_scopes_only(hub: TestHub) {
    let shop = shop(&hub).await;
    let everything = hub.pull_all(&shop.owner, 100).await;
    assert_eq!(
        op_types(&everything),
        [
            "fields.set",
            "stock.moved",
            "stock.moved",
            "payment.received",
            "order.submitted",
            "order.decided",
            "order.submitted",
            "order.decided"
        ]
    );
    // A salesperson: the catalog, their own order and its answer; not the
    // other's order, not stock, not a customer assigned to no one (see
    // `customer_scopes` for their own customers).
    let sami = hub.pull_all(&shop.sami, 100).await;
    assert_eq!(op_types(&sami), ["fields.set", "order.submitted", "order.decided"]);
    assert_eq!(
        sami.iter().map(|(position, _)| *position).collect::<Vec<_>>(),
        [1, 5, 6]
    );
    assert!(sami.iter().all(|(_, op)| match &op.op {
        Op::OrderSubmitted(order) => order.salesperson_id == shop.sami.user_id,
        _ => true,
    }));
    let sara = hub.pull_all(&shop.sara, 100).await;
    assert_eq!(
        sara.iter().map(|(position, _)| *position).collect::<Vec<_>>(),
        [1, 7, 8]
    );
    // The warehouse: everything (stock, and every order with its customers).
    assert_eq!(hub.pull_all(&shop.warehouse, 100).await, everything);
    // The cashier: the catalog, stock, customers; no orders.
    let cashier = hub.pull_all(&shop.cashier, 100).await;
    assert_eq!(
        op_types(&cashier),
        ["fields.set", "stock.moved", "stock.moved", "payment.received"]
    );
    // Each entry names the device's scopes it is in.
    let page = pull_raw(&hub, &shop.sami, "", 100).await;
    let scopes: Vec<Vec<String>> = page.changes.iter().map(|entry| entry.scopes.clone()).collect();
    let own_orders = format!("orders:{}", shop.sami.user_id);
    assert_eq!(
        scopes,
        [
            vec!["shared".to_string()],
            vec![own_orders.clone()],
            vec![own_orders.clone()]
        ]
    );
    assert_eq!(
        page.scopes.keys().cloned().collect::<Vec<_>>(),
        [own_orders, "shared".to_string()]
    );
    for device in [&shop.owner, &shop.sami, &shop.warehouse, &shop.cashier] {
        assert!(check_chains(&hub, device, 1).await.is_empty());
    }
}

async fn pages_are_never_empty_while_entries_of_the_scopes_remain(hub: TestHub) {
    let shop = shop(&hub).await;
    // Many entries a salesperson does not see, then one they do.
    let stock: Vec<Op> = (0..30)
        .map(|index| received(if index % 2 == 0 { LOCATION_A } else { LOCATION_B }))
        .collect();
    hub.push(&shop.owner, &envelopes(&shop.owner, 5, stock)).await;
    hub.push(&shop.owner, &envelopes(&shop.owner, 35, vec![product("Mint")]))
        .await;
    let mut since = String::new();
    let mut positions = Vec::new();
    loop {
        let page = pull_raw(&hub, &shop.sami, &since, 1).await;
        if page.more {
            assert_eq!(page.changes.len(), 1, "a page with more to come is full");
        }
        positions.extend(page.changes.iter().map(|entry| entry.position));
        since = page.next;
        if !page.more {
            break;
        }
    }
    assert_eq!(positions, [1, 5, 6, 39]);
    // At the end, the cursor stands at the head: nothing is read twice.
    let end = pull_raw(&hub, &shop.sami, &since, 1).await;
    assert!(end.changes.is_empty() && !end.more);
    assert_eq!(end.next, since);
    assert!(since.starts_with("2:39:"), "{since}");
}

async fn a_tampered_entry_fails_its_scopes_chain_only(hub: TestHub) {
    let shop = shop(&hub).await;
    assert!(check_chains(&hub, &shop.owner, 3).await.is_empty());
    // The receipt at location B (position 3) is edited behind the hub's back.
    hub.execute(
        "UPDATE op_log SET payload = CAST(replace(CAST(payload AS TEXT), '5000', '9000') AS json)
         WHERE op_type = 'stock.moved' AND op_id IN (SELECT op_id FROM feed WHERE position = 3)",
    )
    .await;
    let failed = check_chains(&hub, &shop.owner, 3).await;
    assert_eq!(failed, [format!("stock:{LOCATION_B}")]);
    // A salesperson does not see that scope: their chains all hold.
    assert!(check_chains(&hub, &shop.sami, 3).await.is_empty());
}

async fn a_snapshot_holds_the_devices_scopes_and_a_role_change_asks_for_a_new_one(hub: TestHub) {
    let shop = shop(&hub).await;
    let lines = snapshot_lines(&hub, &shop.sami).await;
    let SnapshotItem::Header {
        position,
        scopes,
        cursor,
        ..
    } = &lines[0]
    else {
        panic!("a header first");
    };
    assert_eq!(*position, 8, "{lines:?}");
    let own_orders = format!("orders:{}", shop.sami.user_id);
    assert_eq!(
        scopes.keys().cloned().collect::<Vec<_>>(),
        [own_orders, "shared".to_string()]
    );
    let ops: Vec<&str> = lines
        .iter()
        .filter_map(|line| match line {
            SnapshotItem::Op { op, .. } => Some(op.op.op_type.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ops, ["order.submitted", "order.decided"]);
    // Each scope's chain in the header is where the feed's entries take it.
    let page = pull_raw(&hub, &shop.sami, "", 100).await;
    for (scope, chain) in scopes {
        assert_eq!(page.scopes.get(scope), Some(chain), "{scope}");
    }
    // Pulling on from the snapshot works while the role stays.
    assert_eq!(pull_raw(&hub, &shop.sami, cursor, 100).await.changes.len(), 0);
    // The salesperson becomes a cashier: the cursor names the old scopes.
    hub.execute("UPDATE users SET role = 'cashier' WHERE username = 'sami'")
        .await;
    let (status, answer) = hub.pull_status(&shop.sami, cursor, 100).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["code"], "scopes_changed");
    // The new snapshot has the cashier's scopes: stock, no orders.
    let lines = snapshot_lines(&hub, &shop.sami).await;
    let SnapshotItem::Header { scopes, cursor, .. } = &lines[0] else {
        panic!("a header first");
    };
    assert_eq!(
        scopes.keys().cloned().collect::<Vec<_>>(),
        [
            "customers".to_string(),
            "shared".to_string(),
            format!("stock:{LOCATION_A}"),
            format!("stock:{LOCATION_B}")
        ]
    );
    assert!(pull_raw(&hub, &shop.sami, cursor, 100).await.changes.is_empty());
}

async fn entries_from_before_scopes_get_them_at_start(hub: TestHub) {
    let shop = shop(&hub).await;
    let before: Vec<PullResponse<RawOpEnvelope>> = {
        let mut pages = Vec::new();
        for device in [&shop.owner, &shop.sami, &shop.cashier] {
            pages.push(pull_raw(&hub, device, "", 100).await);
        }
        pages
    };
    // As a hub of the last build left them: no scopes.
    hub.execute("DELETE FROM feed_scopes").await;
    hub.execute("UPDATE tenants SET scope_chains = NULL").await;
    let reopened = stockroom_server::open(&hub.url).await.expect("reopen");
    let mut again = hub;
    again.state.store = reopened.clone();
    again.app = stockroom_server::router(again.state.clone());
    for (device, page) in [&shop.owner, &shop.sami, &shop.cashier].into_iter().zip(before) {
        let mut now = pull_raw(&again, device, "", 100).await;
        now.hub_time_ms = page.hub_time_ms;
        assert_eq!(now, page);
    }
    // And pushes go on from the chains it rebuilt.
    again
        .push(
            &shop.sami,
            &envelopes(&shop.sami, 2, vec![order_of(shop.sami.user_id, UNKNOWN_CUSTOMER)]),
        )
        .await;
    assert!(check_chains(&again, &shop.sami, 2).await.is_empty());
    let _ = reopened.close().await;
}
