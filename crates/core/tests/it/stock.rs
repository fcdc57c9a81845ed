//! Stock ledger commands on a real database: receiving, adjustments, stock
//! queries, history, flags and role checks (this file); transfers and count
//! sessions in the submodules. Each write is checked for its outbox op.

mod counts;
mod transfers;

use stockroom_core::protocol::ops::{MovementKind, StockMoved};
use stockroom_core::protocol::Op;
use stockroom_core::{FlagCode, LocationKind, ProductQty, Qty, Role};
use uuid::Uuid;

use crate::support::TestStore;

/// A test store with two locations and two products.
pub(crate) struct StockFixture {
    pub test: TestStore,
    pub warehouse: Uuid,
    pub shop: Uuid,
    pub apples: Uuid,
    pub pears: Uuid,
}

impl StockFixture {
    pub(crate) async fn new() -> StockFixture {
        let test = TestStore::new().await;
        let warehouse = test
            .store
            .create_location(&test.owner, "Warehouse", LocationKind::Warehouse, None)
            .await
            .unwrap();
        let shop = test
            .store
            .create_location(&test.owner, "Shop", LocationKind::Store, None)
            .await
            .unwrap();
        let apples = test.product("APL", 120).await;
        let pears = test.product("PER", 150).await;
        StockFixture {
            test,
            warehouse,
            shop,
            apples,
            pears,
        }
    }

    pub(crate) async fn level(&self, product: Uuid, location: Uuid) -> i64 {
        let derived = self.test.store.stock_level(product, location).await.unwrap();
        let from_ledger = self
            .test
            .store
            .stock_level_from_ledger(product, location)
            .await
            .unwrap();
        assert_eq!(derived, from_ledger, "derived level drifted from the ledger");
        derived
    }

    pub(crate) async fn receive(&self, location: Uuid, product: Uuid, units: i64) {
        self.test
            .store
            .receive_goods(
                &self.test.owner,
                location,
                &[ProductQty::new(product, Qty::units(units))],
                None,
            )
            .await
            .unwrap();
    }

    pub(crate) async fn outbox_len(&self) -> u64 {
        self.test.store.outbox_len().await.unwrap()
    }

    /// The newest outbox op, which must be `stock.moved`.
    pub(crate) async fn last_stock_op(&self) -> StockMoved {
        let pending = self.test.store.outbox_pending(10_000).await.unwrap();
        match &pending.last().expect("an op").op {
            Op::StockMoved(moved) => {
                let hlc = pending.last().unwrap().hlc;
                // Receipts and transfers share the op's stamp; a count's
                // lines keep the earlier moments they were keyed.
                assert!(
                    moved.movements.iter().all(|movement| movement.hlc <= hlc),
                    "no movement is stamped after its op"
                );
                moved.clone()
            }
            other => panic!("expected stock.moved, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn receiving_adds_stock_with_one_op() {
    let fixture = StockFixture::new().await;
    let ops_before = fixture.outbox_len().await;
    let receipt = fixture
        .test
        .store
        .receive_goods(
            &fixture.test.owner,
            fixture.warehouse,
            &[
                ProductQty::new(fixture.apples, Qty(2_500)),
                ProductQty::new(fixture.pears, Qty::units(4)),
                ProductQty::new(fixture.apples, Qty(500)),
            ],
            Some("  Delivery note DN-881 "),
        )
        .await
        .unwrap();
    assert_eq!(fixture.level(fixture.apples, fixture.warehouse).await, 3_000);
    assert_eq!(fixture.level(fixture.pears, fixture.warehouse).await, 4_000);
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 0);

    assert_eq!(fixture.outbox_len().await, ops_before + 1);
    let op = fixture.last_stock_op().await;
    assert_eq!(op.transfer, None);
    let lines: Vec<_> = op
        .movements
        .iter()
        .map(|movement| {
            (
                movement.kind,
                movement.product_id,
                movement.location_id,
                movement.qty_milli,
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (MovementKind::Receive, fixture.apples, fixture.warehouse, 3_000),
            (MovementKind::Receive, fixture.pears, fixture.warehouse, 4_000),
        ]
    );
    assert!(op.movements.iter().all(|movement| movement.ref_id == Some(receipt)));
    assert!(op
        .movements
        .iter()
        .all(|movement| movement.reason.as_deref() == Some("Delivery note DN-881")));

    let stock = fixture.test.store.stock_at_location(fixture.warehouse).await.unwrap();
    let shown: Vec<_> = stock
        .iter()
        .map(|line| (line.sku.as_str(), line.name.as_str(), line.unit.as_str(), line.qty))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("APL", "Product APL", "pc", Qty(3_000)),
            ("PER", "Product PER", "pc", Qty(4_000)),
        ]
    );
}

#[tokio::test]
async fn bad_receipts_are_refused_and_leave_nothing() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    let owner = &fixture.test.owner;
    let ops_before = fixture.outbox_len().await;
    let apples = |qty| [ProductQty::new(fixture.apples, qty)];
    let cases = [
        (
            store.receive_goods(owner, fixture.warehouse, &[], None).await,
            "invalid_input",
        ),
        (
            store
                .receive_goods(owner, fixture.warehouse, &apples(Qty(0)), None)
                .await,
            "invalid_input",
        ),
        (
            store
                .receive_goods(owner, fixture.warehouse, &apples(Qty(-5)), None)
                .await,
            "invalid_input",
        ),
        (
            store.receive_goods(owner, Uuid::nil(), &apples(Qty::ONE), None).await,
            "not_found",
        ),
        (
            store
                .receive_goods(
                    owner,
                    fixture.warehouse,
                    &[ProductQty::new(Uuid::nil(), Qty::ONE)],
                    None,
                )
                .await,
            "not_found",
        ),
    ];
    for (result, code) in cases {
        assert_eq!(result.unwrap_err().code(), code);
    }
    store.set_location_active(owner, fixture.shop, false).await.unwrap();
    let ops_before_archived = fixture.outbox_len().await;
    assert_eq!(
        store
            .receive_goods(owner, fixture.shop, &apples(Qty::ONE), None)
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_eq!(fixture.outbox_len().await, ops_before_archived);
    assert_eq!(ops_before_archived, ops_before + 1, "only the archiving wrote an op");
    assert_eq!(fixture.test.count("SELECT count(*) FROM stock_movements").await, 0);
}

#[tokio::test]
async fn adjustments_need_a_reason_and_carry_it() {
    let fixture = StockFixture::new().await;
    fixture.receive(fixture.shop, fixture.apples, 10).await;
    let store = &fixture.test.store;
    let owner = &fixture.test.owner;
    let movement_id = store
        .adjust_stock(owner, fixture.shop, fixture.apples, Qty(-1_250), " dropped crate ")
        .await
        .unwrap();
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 8_750);
    let op = fixture.last_stock_op().await;
    assert_eq!(op.movements.len(), 1);
    let movement = &op.movements[0];
    assert_eq!(movement.id, movement_id);
    assert_eq!(movement.kind, MovementKind::Adjustment);
    assert_eq!(movement.qty_milli, -1_250);
    assert_eq!(movement.reason.as_deref(), Some("dropped crate"));

    store
        .adjust_stock(owner, fixture.shop, fixture.apples, Qty::units(2), "found behind shelf")
        .await
        .unwrap();
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 10_750);

    let ops_before = fixture.outbox_len().await;
    for (delta, reason) in [(Qty(-1), "  "), (Qty(0), "nothing")] {
        let err = store
            .adjust_stock(owner, fixture.shop, fixture.apples, delta, reason)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input");
    }
    assert_eq!(fixture.outbox_len().await, ops_before);
}

#[tokio::test]
async fn negative_stock_is_allowed_and_flagged_for_a_manager() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    fixture.receive(fixture.shop, fixture.apples, 1).await;
    assert!(store.flags(true).await.unwrap().is_empty());
    store
        .adjust_stock(
            &fixture.test.owner,
            fixture.shop,
            fixture.apples,
            Qty::units(-3),
            "theft",
        )
        .await
        .unwrap();
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, -2_000);
    let flags = store.flags(true).await.unwrap();
    assert_eq!(flags.len(), 1);
    let flag = &flags[0];
    assert_eq!(flag.code, FlagCode::NegativeStock);
    assert_eq!(flag.entity_id, Some(fixture.apples));
    assert!(!flag.resolved);

    // Only managers and owners resolve flags.
    let clerk = fixture.test.user("wes", Role::Warehouse).await;
    assert_eq!(
        store.resolve_flag(&clerk, flag.id).await.unwrap_err().code(),
        "forbidden"
    );
    let manager = fixture.test.user("max", Role::Manager).await;
    assert_eq!(
        store.resolve_flag(&manager, Uuid::nil()).await.unwrap_err().code(),
        "not_found"
    );
    store.resolve_flag(&manager, flag.id).await.unwrap();
    store.resolve_flag(&fixture.test.owner, flag.id).await.unwrap();
    assert!(store.flags(true).await.unwrap().is_empty());
    let all = store.flags(false).await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].resolved);
    assert_eq!(
        all[0].resolved_by,
        Some(manager.user_id()),
        "the first resolution stands"
    );

    // Going further below zero flags again; coming back up does not.
    store
        .adjust_stock(
            &fixture.test.owner,
            fixture.shop,
            fixture.apples,
            Qty::units(-1),
            "theft",
        )
        .await
        .unwrap();
    fixture.receive(fixture.shop, fixture.apples, 1).await;
    assert_eq!(store.flags(true).await.unwrap().len(), 1);
}

#[tokio::test]
async fn roles_decide_who_moves_stock() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    let line = [ProductQty::new(fixture.apples, Qty::ONE)];
    let cashier = fixture.test.user("cara", Role::Cashier).await;
    let salesperson = fixture.test.user("sal", Role::Salesperson).await;
    for seller in [&cashier, &salesperson] {
        let refused = [
            store.receive_goods(seller, fixture.warehouse, &line, None).await.err(),
            store
                .adjust_stock(seller, fixture.warehouse, fixture.apples, Qty::ONE, "x")
                .await
                .err(),
            store
                .transfer_out(seller, fixture.warehouse, fixture.shop, &line)
                .await
                .err(),
            store.start_count(seller, fixture.warehouse).await.err(),
        ];
        for error in refused {
            assert_eq!(error.expect("refused").code(), "forbidden");
        }
    }
    let warehouse_hand = fixture.test.user("wes", Role::Warehouse).await;
    store
        .receive_goods(&warehouse_hand, fixture.warehouse, &line, None)
        .await
        .unwrap();
    store
        .adjust_stock(&warehouse_hand, fixture.warehouse, fixture.apples, Qty::ONE, "found")
        .await
        .unwrap();
    let transfer = store
        .transfer_out(&warehouse_hand, fixture.warehouse, fixture.shop, &line)
        .await
        .unwrap();
    store.transfer_in(&warehouse_hand, transfer.id, None).await.unwrap();
    let count = store.start_count(&warehouse_hand, fixture.warehouse).await.unwrap();
    store
        .set_count_line(&warehouse_hand, count, fixture.apples, Qty::units(5))
        .await
        .unwrap();
    store.commit_count(&warehouse_hand, count).await.unwrap();
    assert_eq!(fixture.level(fixture.apples, fixture.warehouse).await, 5_000);
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 1_000);
    // The ops carry who made them.
    let pending = store.outbox_pending(10_000).await.unwrap();
    let by_hand = pending
        .iter()
        .filter(|op| op.user_id == warehouse_hand.user_id())
        .count();
    assert_eq!(by_hand, 5);
}

#[tokio::test]
async fn stock_of_a_product_across_locations_and_its_history() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    let owner = &fixture.test.owner;
    fixture.receive(fixture.warehouse, fixture.apples, 20).await;
    fixture.receive(fixture.shop, fixture.apples, 3).await;
    fixture.receive(fixture.shop, fixture.pears, 7).await;
    store
        .adjust_stock(owner, fixture.shop, fixture.apples, Qty::units(-1), "bruised")
        .await
        .unwrap();

    let across = store.stock_of_product(fixture.apples).await.unwrap();
    let shown: Vec<_> = across
        .iter()
        .map(|line| (line.location_id, line.location_name.as_str(), line.qty))
        .collect();
    assert_eq!(
        shown,
        vec![
            (fixture.shop, "Shop", Qty::units(2)),
            (fixture.warehouse, "Warehouse", Qty::units(20)),
        ]
    );

    let history = store.movement_history(fixture.apples, None, 10).await.unwrap();
    let kinds: Vec<_> = history
        .iter()
        .map(|movement| (movement.kind, movement.location_id, movement.qty))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (MovementKind::Adjustment, fixture.shop, Qty::units(-1)),
            (MovementKind::Receive, fixture.shop, Qty::units(3)),
            (MovementKind::Receive, fixture.warehouse, Qty::units(20)),
        ]
    );
    assert!(history.windows(2).all(|pair| pair[0].hlc > pair[1].hlc));
    let device = store.device_info().await.unwrap().device_id;
    assert!(history
        .iter()
        .all(|movement| movement.device_id == device && movement.user_id == owner.user_id()));
    assert_eq!(history[0].reason.as_deref(), Some("bruised"));

    let at_shop = store
        .movement_history(fixture.apples, Some(fixture.shop), 10)
        .await
        .unwrap();
    assert_eq!(at_shop.len(), 2);
    let latest = store.movement_history(fixture.apples, None, 1).await.unwrap();
    assert_eq!(latest, history[..1].to_vec());
    assert!(store.movement_history(Uuid::nil(), None, 10).await.unwrap().is_empty());
}
