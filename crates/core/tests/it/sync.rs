//! The device's side of sync without a hub: feed pages built by hand are
//! applied (field last-writer-wins, own writes held until the hub confirms
//! them, ledger facts once), a page whose chain does not follow applies
//! nothing, a user from the hub takes its name from a local one, push
//! answers trim the outbox, a new epoch renumbers it, the user who
//! enrolled the device is refused sign-in while the hub refuses them, and
//! the session token round-trips through the OS keychain.

use stockroom_core::protocol::ops::{Entity, FieldsSet, OrderDecided, OrderDecision, OrderRejectReason, UserSet};
use stockroom_core::protocol::snapshot::{chain_hex, chain_next, GENESIS_CHAIN};
use stockroom_core::protocol::sync::{
    FeedChange, FeedEntry, OpOutcome, OpResult, PullResponse, PushResponse, RawOpEnvelope, RejectCode,
};
use stockroom_core::protocol::{Hlc, Op, OpEnvelope};
use stockroom_core::{Money, NewCustomer, NewUser, OrderStatus, ProductPatch, Qty, Role};
use uuid::Uuid;

use crate::support::{TestStore, START_MS};

const OTHER_DEVICE: Uuid = Uuid::from_u128(0xd0);

fn remote_fields(entity: Entity, row_id: Uuid, hlc_ms: u64, fields: serde_json::Value) -> RawOpEnvelope {
    let envelope = OpEnvelope {
        op_id: Uuid::now_v7(),
        device_id: OTHER_DEVICE,
        epoch: 1,
        seq: 1,
        hlc: Hlc::new(hlc_ms, 0),
        user_id: Uuid::from_u128(0xee),
        type_version: 1,
        op: Op::FieldsSet(FieldsSet {
            entity,
            row_id,
            fields: fields.as_object().cloned().unwrap_or_default(),
        }),
    };
    RawOpEnvelope::from(&envelope)
}

/// A page continuing from `after` with these ops, its chain computed.
fn page(after: u64, start_chain: [u8; 32], ops: Vec<RawOpEnvelope>) -> (PullResponse<RawOpEnvelope>, [u8; 32]) {
    let mut chain = start_chain;
    let changes: Vec<FeedEntry<RawOpEnvelope>> = ops
        .into_iter()
        .enumerate()
        .map(|(index, op)| {
            let entry = FeedEntry {
                position: after + 1 + index as u64,
                change: FeedChange::Op(op),
                scopes: vec!["shared".into()],
            };
            chain = chain_next(&chain, entry.position, &entry.change);
            entry
        })
        .collect();
    let next = format!("1:{}", after + changes.len() as u64);
    (
        PullResponse {
            changes,
            next,
            more: false,
            hub_time_ms: START_MS,
            scopes: [("shared".to_string(), chain_hex(&chain))].into(),
        },
        chain,
    )
}

#[tokio::test]
async fn remote_fields_win_by_stamp_and_new_records_arrive() {
    let t = TestStore::new().await;
    let product = t.product("P-1", 250).await;
    let created_ms = START_MS;
    let older = remote_fields(
        Entity::Product,
        product,
        created_ms - 5_000,
        serde_json::json!({"name": "Old tea"}),
    );
    let newer = remote_fields(
        Entity::Product,
        product,
        created_ms + 5_000,
        serde_json::json!({"price_minor": 300}),
    );
    let fresh_id = Uuid::from_u128(0xabc);
    let created = remote_fields(
        Entity::Product,
        fresh_id,
        created_ms + 6_000,
        serde_json::json!({"sku": "P-2", "name": "Coffee", "unit": "pc", "currency": "EUR", "price_minor": 900,
                           "cost_minor": 0, "tax_rate_bp": 0, "active": true, "brand": null, "category_id": null,
                           "from_a_newer_build": 1}),
    );
    let name_before = t.store.product(product).await.unwrap().name;
    let (first, _) = page(0, GENESIS_CHAIN, vec![older, newer, created]);
    let report = t.store.apply_pull(&first).await.unwrap();
    assert_eq!(report.applied, 3);
    let tea = t.store.product(product).await.unwrap();
    assert_eq!(tea.name, name_before, "an older remote name loses to the local one");
    assert_eq!(tea.price.minor, 300, "a newer remote price wins");
    let coffee = t.store.product(fresh_id).await.unwrap();
    assert_eq!((coffee.sku.as_str(), coffee.price.minor), ("P-2", 900));
    assert_eq!(
        t.store.sync_position().await.unwrap().pull_cursor.as_deref(),
        Some("1:3")
    );

    // Applying the same page again (a retry after a lost answer) changes nothing.
    let before = t.store.replica_rows().await.unwrap();
    t.store.apply_pull(&first).await.unwrap_err();
    assert_eq!(t.store.replica_rows().await.unwrap(), before);
}

#[tokio::test]
async fn a_page_that_does_not_follow_the_chain_applies_nothing() {
    let t = TestStore::new().await;
    let product = t.product("P-1", 250).await;
    let op = remote_fields(
        Entity::Product,
        product,
        START_MS + 9_000,
        serde_json::json!({"name": "Changed"}),
    );
    let (mut bad, _) = page(0, GENESIS_CHAIN, vec![op]);
    bad.scopes.insert("shared".into(), chain_hex(&[7; 32]));
    let name_before = t.store.product(product).await.unwrap().name;
    let err = t.store.apply_pull(&bad).await.unwrap_err();
    assert_eq!(err.code(), "feed_chain_mismatch");
    assert_eq!(t.store.product(product).await.unwrap().name, name_before);
    assert_eq!(t.store.sync_position().await.unwrap().pull_cursor, None);
}

#[tokio::test]
async fn each_scope_is_chained_on_its_own_across_pages() {
    let t = TestStore::new().await;
    let product = t.product("P-1", 250).await;
    let edit = |ms: u64, name: &str| {
        remote_fields(
            Entity::Product,
            product,
            START_MS + ms,
            serde_json::json!({"name": name}),
        )
    };
    // Positions 1 and 3 are in `shared`, 2 in `shared` and `stock:x`; 4 is
    // skipped (another device's scope); 5 is in `stock:x`.
    let entries = [
        (1, edit(1_000, "A"), vec!["shared"]),
        (2, edit(2_000, "B"), vec!["shared", "stock:x"]),
        (3, edit(3_000, "C"), vec!["shared"]),
        (5, edit(5_000, "E"), vec!["stock:x"]),
    ];
    let mut chains: std::collections::BTreeMap<String, [u8; 32]> = Default::default();
    let mut pages = Vec::new();
    for chunk in entries.chunks(2) {
        let mut changes = Vec::new();
        let mut named = std::collections::BTreeMap::new();
        for (position, op, scopes) in chunk {
            let entry = FeedEntry {
                position: *position,
                change: FeedChange::Op(op.clone()),
                scopes: scopes.iter().map(|scope| scope.to_string()).collect(),
            };
            for scope in &entry.scopes {
                let chain = chains.entry(scope.clone()).or_insert(GENESIS_CHAIN);
                *chain = chain_next(chain, entry.position, &entry.change);
                named.insert(scope.clone(), chain_hex(chain));
            }
            changes.push(entry);
        }
        let last = changes.last().map_or(0, |entry| entry.position);
        pages.push(PullResponse {
            changes,
            next: format!("2:{last}:ab"),
            more: false,
            hub_time_ms: START_MS,
            scopes: named,
        });
    }
    // An entry whose scope has no chain on the page is refused, as is one
    // naming no scope.
    let mut unchained = pages[0].clone();
    unchained.scopes.remove("stock:x");
    assert_eq!(
        t.store.apply_pull(&unchained).await.unwrap_err().code(),
        "feed_chain_mismatch"
    );
    let mut unscoped = pages[0].clone();
    unscoped.changes[0].scopes.clear();
    assert_eq!(
        t.store.apply_pull(&unscoped).await.unwrap_err().code(),
        "feed_chain_mismatch"
    );
    t.store.apply_pull(&pages[0]).await.unwrap();
    // The second page: `stock:x` tampered (its op edited) fails, `shared` alone would not.
    let mut tampered = pages[1].clone();
    tampered.changes[1] = FeedEntry {
        change: FeedChange::Op(edit(5_000, "Evil")),
        ..tampered.changes[1].clone()
    };
    assert_eq!(
        t.store.apply_pull(&tampered).await.unwrap_err().code(),
        "feed_chain_mismatch"
    );
    t.store.apply_pull(&pages[1]).await.unwrap();
    assert_eq!(t.store.product(product).await.unwrap().name, "E");
    let stored = t.store.scope_chains().await.unwrap();
    assert_eq!(stored["shared"], chain_hex(&chains["shared"]));
    assert_eq!(stored["stock:x"], chain_hex(&chains["stock:x"]));
}

#[tokio::test]
async fn an_own_edit_is_held_until_the_hub_confirms_and_a_refusal_reverts_it() {
    let t = TestStore::new().await;
    let product = t.product("P-1", 250).await;
    // Everything so far reached the hub.
    let next_seq = t.store.device_info().await.unwrap().next_seq;
    t.store
        .record_push_result(next_seq - 1, &acked(next_seq - 1, vec![]))
        .await
        .unwrap();

    t.clock.advance(1_000);
    let patch = ProductPatch {
        price: Some(Money::new(275, "EUR".parse().unwrap())),
        ..ProductPatch::default()
    };
    t.store.update_product(&t.owner, product, &patch).await.unwrap();
    let edit = t.store.outbox_pending(10).await.unwrap().pop().unwrap();
    // Meanwhile another device set a price, stamped before this edit: it
    // does not show, but it is what stands if the hub refuses the edit.
    let remote = remote_fields(
        Entity::Product,
        product,
        START_MS + 500,
        serde_json::json!({"price_minor": 260}),
    );
    let (first, _) = page(0, GENESIS_CHAIN, vec![remote]);
    t.store.apply_pull(&first).await.unwrap();
    assert_eq!(t.store.product(product).await.unwrap().price.minor, 275);

    let refusal = acked(
        edit.seq,
        vec![OpResult {
            seq: edit.seq,
            op_id: edit.op_id,
            outcome: OpOutcome::Rejected {
                code: RejectCode::RoleNotAllowed,
            },
        }],
    );
    t.store.record_push_result(edit.seq, &refusal).await.unwrap();
    assert_eq!(t.store.product(product).await.unwrap().price.minor, 260);
    assert_eq!(t.store.outbox_len().await.unwrap(), 0);
    let notices = t.store.sync_notices(10).await.unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        (notices[0].kind.as_str(), notices[0].code.as_str()),
        ("rejected", "role_not_allowed")
    );
}

#[tokio::test]
async fn acknowledgements_never_drop_more_than_was_sent_and_a_new_epoch_renumbers() {
    let t = TestStore::new().await;
    // The first owner's op reached the hub already.
    t.store.record_push_result(1, &acked(1, vec![])).await.unwrap();
    for n in 0..5 {
        t.product(&format!("P-{n}"), 100).await;
    }
    let waiting = t.store.outbox_pending(100).await.unwrap();
    assert_eq!(waiting.len(), 5);
    // The hub claims more than was sent: only what was sent leaves.
    t.store.record_push_result(3, &acked(9, vec![])).await.unwrap();
    assert_eq!(t.store.outbox_len().await.unwrap(), 3);

    let device = t.store.device_info().await.unwrap();
    t.store
        .record_enrolment("http://hub", Uuid::from_u128(1), device.device_id, 2, START_MS)
        .await
        .unwrap();
    let renumbered = t.store.outbox_pending(100).await.unwrap();
    assert_eq!(renumbered.iter().map(|op| op.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(
        renumbered.iter().map(|op| op.op_id).collect::<Vec<_>>(),
        waiting[2..].iter().map(|op| op.op_id).collect::<Vec<_>>()
    );
    let state = t.store.sync_state().await.unwrap();
    assert_eq!((state.acked_through_seq, state.next_local_seq), (0, 4));
    assert_eq!(t.store.device_info().await.unwrap().epoch, 2);
}

#[test]
fn the_session_token_round_trips_through_the_keychain() {
    use stockroom_core::sync::secrets;
    crate::support::join_session_keyring();
    let device = Uuid::now_v7();
    assert_eq!(secrets::load_token(device).unwrap_err().code(), "not_enrolled");
    secrets::save_token(device, "token-1").unwrap();
    assert_eq!(secrets::load_token(device).unwrap(), "token-1");
    secrets::save_token(device, "token-2").unwrap();
    assert_eq!(secrets::load_token(device).unwrap(), "token-2");
    secrets::forget_token(device).unwrap();
    assert_eq!(secrets::load_token(device).unwrap_err().code(), "not_enrolled");
}

fn acked(through: u64, results: Vec<OpResult>) -> PushResponse {
    PushResponse {
        acked_through_seq: through,
        results,
        stopped: None,
        hub_time_ms: START_MS,
        outside_scopes: false,
    }
}

fn snapshot_body(with_end: bool) -> Vec<u8> {
    use stockroom_core::protocol::snapshot::{FieldStamp, SnapshotItem, SnapshotRow};
    let stamp = FieldStamp {
        hlc: Hlc::new(START_MS - 60_000, 0),
        device_id: OTHER_DEVICE,
    };
    let row = |entity: Entity, id: u128, fields: serde_json::Value| {
        let fields = fields.as_object().cloned().unwrap_or_default();
        let stamps = fields.keys().map(|name| (name.clone(), stamp)).collect();
        SnapshotItem::<RawOpEnvelope>::Row(SnapshotRow {
            entity,
            row_id: Uuid::from_u128(id),
            fields,
            stamps,
        })
    };
    let code = stockroom_core::demo::demo_ean13(77);
    let mut lines = vec![
        SnapshotItem::Header {
            cursor: "1:40".into(),
            position: 40,
            scopes: [("shared".to_string(), chain_hex(&[3; 32]))].into(),
            hub_time_ms: START_MS,
        },
        // A barcode before its product: references are checked at the end.
        row(
            Entity::Barcode,
            2,
            serde_json::json!({"code": code, "product_id": Uuid::from_u128(1), "pack_qty_milli": 1000, "active": true}),
        ),
        row(
            Entity::Product,
            1,
            serde_json::json!({"sku": "S-1", "name": "Snapshot soap", "brand": null, "unit": "pc", "category_id": null,
                               "currency": "EUR", "cost_minor": 10, "price_minor": 99, "tax_rate_bp": 0, "active": true}),
        ),
    ];
    if with_end {
        lines.push(SnapshotItem::End { rows: 2, ops: 0 });
    }
    lines
        .iter()
        .map(|line| serde_json::to_string(line).unwrap() + "\n")
        .collect::<String>()
        .into_bytes()
}

#[tokio::test]
async fn a_snapshot_loads_whole_or_not_at_all() {
    let t = TestStore::new().await;
    let cut = t.store.load_snapshot(&snapshot_body(false)[..]).await.unwrap_err();
    assert_eq!(cut.code(), "import_failed");
    assert_eq!(t.store.sync_position().await.unwrap().pull_cursor, None);
    let code = stockroom_core::demo::demo_ean13(77);
    assert!(t.store.lookup_barcode(&code).await.unwrap().is_none());

    let loaded = t.store.load_snapshot(&snapshot_body(true)[..]).await.unwrap();
    assert_eq!((loaded.position, loaded.rows, loaded.ops), (40, 2, 0));
    let hit = t
        .store
        .lookup_barcode(&code)
        .await
        .unwrap()
        .expect("the barcode resolves");
    assert_eq!(hit.product.name, "Snapshot soap");
    let position = t.store.sync_position().await.unwrap();
    assert_eq!(position.pull_cursor.as_deref(), Some("1:40"));
    assert_eq!(
        t.store.scope_chains().await.unwrap(),
        [("shared".to_string(), chain_hex(&[3; 32]))].into()
    );
}

/// The hub's answer to an order, as its hub device sends it.
fn hub_decision(order_id: Uuid, decided: OrderDecision, reason: Option<OrderRejectReason>) -> RawOpEnvelope {
    let envelope = OpEnvelope {
        op_id: Uuid::now_v7(),
        device_id: Uuid::from_u128(0x4b),
        epoch: 0,
        seq: 2,
        hlc: Hlc::new(START_MS, 0),
        user_id: Uuid::nil(),
        type_version: 1,
        op: Op::OrderDecided(OrderDecided {
            order_id,
            status: decided,
            reason,
        }),
    };
    RawOpEnvelope::from(&envelope)
}

#[tokio::test]
async fn the_hubs_answer_settles_an_order_and_a_rejection_reaches_the_inbox() {
    let t = TestStore::new().await;
    let product = t.product("TEA", 450).await;
    let customer = t
        .store
        .create_customer(&t.owner, &NewCustomer::named("Hotel", crate::support::eur(0).currency))
        .await
        .unwrap();
    let mut orders = Vec::new();
    for _ in 0..2 {
        let order = t.store.create_order(&t.owner, customer, None).await.unwrap();
        t.store
            .add_order_line(&t.owner, order, product, Qty::units(4))
            .await
            .unwrap();
        orders.push(t.store.submit_order(&t.owner, order).await.unwrap());
    }
    assert!(orders.iter().all(|order| order.status == OrderStatus::Submitted));

    let (answers, _) = page(
        0,
        GENESIS_CHAIN,
        vec![
            hub_decision(orders[0].id, OrderDecision::Confirmed, None),
            hub_decision(
                orders[1].id,
                OrderDecision::Rejected,
                Some(OrderRejectReason::ProductInactive),
            ),
            // An answer to an order this device never saw changes nothing.
            hub_decision(
                Uuid::now_v7(),
                OrderDecision::Rejected,
                Some(OrderRejectReason::UnknownCustomer),
            ),
        ],
    );
    let report = t.store.apply_pull(&answers).await.unwrap();
    assert_eq!(report.not_applied, 0);
    assert_eq!(
        t.store.order(orders[0].id).await.unwrap().status,
        OrderStatus::Confirmed
    );
    assert_eq!(t.store.order(orders[1].id).await.unwrap().status, OrderStatus::Rejected);

    let notices = t.store.sync_notices(10).await.unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].op_id, orders[1].id);
    assert_eq!(
        (notices[0].kind.as_str(), notices[0].code.as_str()),
        ("rejected", "product_inactive")
    );
    let number = orders[1].number.clone().unwrap();
    assert_eq!(notices[0].detail.as_deref(), Some(format!("order {number}").as_str()));
}

fn remote_user(id: Uuid, username: &str, role: &str) -> RawOpEnvelope {
    let envelope = OpEnvelope {
        op_id: Uuid::now_v7(),
        device_id: OTHER_DEVICE,
        epoch: 1,
        seq: 1,
        hlc: Hlc::new(START_MS, 0),
        user_id: Uuid::from_u128(0xee),
        type_version: 1,
        op: Op::UserSet(UserSet {
            id,
            username: username.to_string(),
            display_name: username.to_string(),
            role: role.to_string(),
            active: true,
        }),
    };
    RawOpEnvelope::from(&envelope)
}

#[tokio::test]
async fn a_hub_user_takes_its_name_from_a_local_user_of_the_same_name() {
    let t = TestStore::new().await;
    let new_user = NewUser {
        username: "Anna".into(),
        display_name: "Anna here".into(),
        role: Role::Cashier,
        pin: "2468".into(),
    };
    let local = t.store.create_user(&t.owner, &new_user).await.unwrap();
    assert!(t.store.user_unsent(local).await.unwrap(), "made here, not sent yet");
    assert!(!t.store.user_unsent(Uuid::now_v7()).await.unwrap());

    // The hub's Anna, another user, arrives: applying does not stop on the name.
    let hubs = Uuid::now_v7();
    let (users, _) = page(0, GENESIS_CHAIN, vec![remote_user(hubs, "anna", "manager")]);
    let report = t.store.apply_pull(&users).await.unwrap();
    assert_eq!((report.applied, report.not_applied), (1, 0));
    let users = t.store.users().await.unwrap();
    let hub_anna = users.iter().find(|user| user.id == hubs).unwrap();
    assert_eq!((hub_anna.username.as_str(), hub_anna.role), ("anna", Role::Manager));
    let ours = users.iter().find(|user| user.id == local).unwrap();
    let expected = format!("Anna~{}", &local.to_string()[..4]);
    assert_eq!(ours.username, expected);
    // Ours still signs in here with its PIN, under its new name.
    t.store.sign_in(&expected, "2468").await.unwrap();
}

#[tokio::test]
async fn the_enrolling_user_refused_by_the_hub_signs_in_again_once_it_serves_the_device() {
    let t = TestStore::new().await;
    let cass = Uuid::from_u128(0xca55);
    t.store
        .adopt_hub_user(cass, "cass", Role::Cashier, Some("2468"))
        .await
        .unwrap();
    let open = t.store.sign_in("cass", "2468").await.unwrap();
    // The hub refused the device: Cass is switched off there.
    assert!(t.store.refuse_enrolled_user().await.unwrap());
    assert!(!t.store.refuse_enrolled_user().await.unwrap(), "noted once");
    assert!(t.store.sign_in("cass", "2468").await.is_err());
    // Her open session goes on; the owner, who did not enrol it, signs in.
    t.store
        .create_customer(&open, &NewCustomer::named("Kept", "EUR".parse().unwrap()))
        .await
        .unwrap();
    assert!(t.store.sign_in("owner", "1234").await.is_ok());
    // Switched on again, the hub serves the device a page: she signs in.
    let (served, _) = page(0, GENESIS_CHAIN, Vec::new());
    t.store.apply_pull(&served).await.unwrap();
    assert!(t.store.sign_in("cass", "2468").await.is_ok());
    // Enrolled anew by someone else, the mark is theirs to lose, not hers.
    assert!(t.store.refuse_enrolled_user().await.unwrap());
    t.store
        .adopt_hub_user(Uuid::from_u128(0xda), "dana", Role::Cashier, Some("1357"))
        .await
        .unwrap();
    assert!(t.store.sign_in("cass", "2468").await.is_ok());
    assert!(t.store.sign_in("dana", "1357").await.is_ok());
}
