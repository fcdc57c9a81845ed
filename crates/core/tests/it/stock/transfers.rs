//! Transfers as two facts: the header and `transfer_out` at the source, one
//! or more `transfer_in` at the destination, goods in transit derived.

use stockroom_core::protocol::ops::{MovementKind, TransferHeader};
use stockroom_core::{FlagCode, LocationKind, ProductQty, Qty};
use uuid::Uuid;

use super::StockFixture;

#[tokio::test]
async fn sending_writes_the_header_and_negative_movements_at_the_source() {
    let fixture = StockFixture::new().await;
    fixture.receive(fixture.warehouse, fixture.apples, 10).await;
    fixture.receive(fixture.warehouse, fixture.pears, 5).await;
    let ops_before = fixture.outbox_len().await;
    let transfer = fixture
        .test
        .store
        .transfer_out(
            &fixture.test.owner,
            fixture.warehouse,
            fixture.shop,
            &[
                ProductQty::new(fixture.pears, Qty::units(2)),
                ProductQty::new(fixture.apples, Qty(3_500)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(transfer.number, "D01-T000001");
    assert_eq!(transfer.from_location_id, fixture.warehouse);
    assert_eq!(transfer.to_location_id, fixture.shop);
    assert!(transfer.is_open());
    let lines: Vec<_> = transfer
        .lines
        .iter()
        .map(|line| (line.sku.as_str(), line.sent, line.received, line.in_transit))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("APL", Qty(3_500), Qty(0), Qty(3_500)),
            ("PER", Qty::units(2), Qty(0), Qty::units(2)),
        ]
    );
    assert_eq!(fixture.level(fixture.apples, fixture.warehouse).await, 6_500);
    assert_eq!(fixture.level(fixture.pears, fixture.warehouse).await, 3_000);
    assert_eq!(
        fixture.level(fixture.apples, fixture.shop).await,
        0,
        "in transit, not arrived"
    );

    assert_eq!(fixture.outbox_len().await, ops_before + 1);
    let op = fixture.last_stock_op().await;
    assert_eq!(
        op.transfer,
        Some(TransferHeader {
            id: transfer.id,
            from_location_id: fixture.warehouse,
            to_location_id: fixture.shop,
            number: "D01-T000001".into(),
        })
    );
    let movements: Vec<_> = op
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
        movements,
        vec![
            (MovementKind::TransferOut, fixture.pears, fixture.warehouse, -2_000),
            (MovementKind::TransferOut, fixture.apples, fixture.warehouse, -3_500),
        ]
    );
    assert!(op.movements.iter().all(|movement| movement.ref_id == Some(transfer.id)));
    assert_eq!(transfer.sent_hlc, op.movements[0].hlc);

    let open = fixture.test.store.open_transfers_to(fixture.shop).await.unwrap();
    assert_eq!(open, vec![transfer.clone()]);
    assert!(fixture
        .test
        .store
        .open_transfers_to(fixture.warehouse)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(fixture.test.store.transfer(transfer.id).await.unwrap(), transfer);
    assert_eq!(
        fixture.test.store.transfer(Uuid::nil()).await.unwrap_err().code(),
        "not_found"
    );
}

#[tokio::test]
async fn partial_receipt_then_the_remainder_by_default() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    let owner = &fixture.test.owner;
    fixture.receive(fixture.warehouse, fixture.apples, 10).await;
    fixture.receive(fixture.warehouse, fixture.pears, 10).await;
    let sent = store
        .transfer_out(
            owner,
            fixture.warehouse,
            fixture.shop,
            &[
                ProductQty::new(fixture.apples, Qty::units(6)),
                ProductQty::new(fixture.pears, Qty::units(4)),
            ],
        )
        .await
        .unwrap();

    // Part of the apples arrive first.
    let after_first = store
        .transfer_in(owner, sent.id, Some(&[ProductQty::new(fixture.apples, Qty(2_500))][..]))
        .await
        .unwrap();
    let op = fixture.last_stock_op().await;
    assert_eq!(op.transfer.as_ref().map(|header| header.id), Some(sent.id));
    let movements: Vec<_> = op
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
        movements,
        vec![(MovementKind::TransferIn, fixture.apples, fixture.shop, 2_500)]
    );
    assert_eq!(op.movements[0].ref_id, Some(sent.id));
    let transit: Vec<_> = after_first
        .lines
        .iter()
        .map(|line| (line.product_id, line.sent, line.received, line.in_transit))
        .collect();
    assert_eq!(
        transit,
        vec![
            (fixture.apples, Qty::units(6), Qty(2_500), Qty(3_500)),
            (fixture.pears, Qty::units(4), Qty(0), Qty::units(4)),
        ]
    );
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 2_500);
    assert_eq!(store.open_transfers_to(fixture.shop).await.unwrap(), vec![after_first]);

    // The rest arrives: everything still in transit, by default.
    let ops_before = fixture.outbox_len().await;
    let done = store.transfer_in(owner, sent.id, None).await.unwrap();
    assert_eq!(fixture.outbox_len().await, ops_before + 1);
    let op = fixture.last_stock_op().await;
    let mut arrived: Vec<_> = op
        .movements
        .iter()
        .map(|movement| (movement.product_id, movement.qty_milli))
        .collect();
    arrived.sort();
    let mut expected_arrivals = vec![(fixture.apples, 3_500), (fixture.pears, 4_000)];
    expected_arrivals.sort();
    assert_eq!(arrived, expected_arrivals);
    assert!(!done.is_open());
    assert!(done.lines.iter().all(|line| line.in_transit == Qty(0)));
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 6_000);
    assert_eq!(fixture.level(fixture.pears, fixture.shop).await, 4_000);
    assert_eq!(fixture.level(fixture.apples, fixture.warehouse).await, 4_000);
    assert_eq!(fixture.level(fixture.pears, fixture.warehouse).await, 6_000);
    assert!(store.open_transfers_to(fixture.shop).await.unwrap().is_empty());

    // Nothing left to receive.
    assert_eq!(
        store.transfer_in(owner, sent.id, None).await.unwrap_err().code(),
        "invalid_input"
    );
}

#[tokio::test]
async fn receiving_more_than_is_in_transit_is_refused() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    let owner = &fixture.test.owner;
    fixture.receive(fixture.warehouse, fixture.apples, 10).await;
    let sent = store
        .transfer_out(
            owner,
            fixture.warehouse,
            fixture.shop,
            &[ProductQty::new(fixture.apples, Qty::units(5))],
        )
        .await
        .unwrap();
    store
        .transfer_in(
            owner,
            sent.id,
            Some(&[ProductQty::new(fixture.apples, Qty::units(3))][..]),
        )
        .await
        .unwrap();
    let ops_before = fixture.outbox_len().await;
    let refusals = [
        // 3 of 5 already arrived: 2.001 is too many.
        vec![ProductQty::new(fixture.apples, Qty(2_001))],
        // Split over two lines, still too many.
        vec![
            ProductQty::new(fixture.apples, Qty::units(1)),
            ProductQty::new(fixture.apples, Qty(1_500)),
        ],
        // Pears were never sent.
        vec![ProductQty::new(fixture.pears, Qty::ONE)],
        vec![ProductQty::new(fixture.apples, Qty(0))],
        vec![],
    ];
    for lines in refusals {
        let err = store
            .transfer_in(owner, sent.id, Some(lines.as_slice()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{lines:?}");
    }
    assert_eq!(
        store.transfer_in(owner, Uuid::nil(), None).await.unwrap_err().code(),
        "not_found"
    );
    assert_eq!(fixture.outbox_len().await, ops_before);
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 3_000);
    // Exactly the remainder is fine.
    store
        .transfer_in(
            owner,
            sent.id,
            Some(&[ProductQty::new(fixture.apples, Qty::units(2))][..]),
        )
        .await
        .unwrap();
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 5_000);
}

#[tokio::test]
async fn bad_transfers_are_refused_and_short_sources_flagged() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    let owner = &fixture.test.owner;
    let line = [ProductQty::new(fixture.apples, Qty::ONE)];
    assert_eq!(
        store
            .transfer_out(owner, fixture.shop, fixture.shop, &line)
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_eq!(
        store
            .transfer_out(owner, fixture.shop, Uuid::nil(), &line)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert_eq!(
        store
            .transfer_out(owner, fixture.warehouse, fixture.shop, &[])
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_eq!(fixture.test.count("SELECT count(*) FROM transfers").await, 0);

    // Sending what the books say is not there: allowed, and flagged.
    let van = store
        .create_location(owner, "Van 1", LocationKind::Van, None)
        .await
        .unwrap();
    let first = store.transfer_out(owner, fixture.warehouse, van, &line).await.unwrap();
    let second = store.transfer_out(owner, fixture.warehouse, van, &line).await.unwrap();
    assert_eq!(first.number, "D01-T000001");
    assert_eq!(second.number, "D01-T000002");
    assert_eq!(fixture.level(fixture.apples, fixture.warehouse).await, -2_000);
    let flags = store.flags(true).await.unwrap();
    assert_eq!(flags.len(), 2);
    assert!(flags.iter().all(|flag| flag.code == FlagCode::NegativeStock));
    let open: Vec<_> = store
        .open_transfers_to(van)
        .await
        .unwrap()
        .into_iter()
        .map(|transfer| transfer.number)
        .collect();
    assert_eq!(open, vec!["D01-T000001", "D01-T000002"]);
}
