//! Count sessions: variance before commit, `count` movements as reset points
//! for the products counted only, one open count per location, cancelling.

use stockroom_core::protocol::ops::MovementKind;
use stockroom_core::{CountStatus, ProductQty, Qty};
use uuid::Uuid;

use super::StockFixture;

#[tokio::test]
async fn variance_is_shown_before_commit_and_kept_after() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    let owner = &fixture.test.owner;
    fixture.receive(fixture.warehouse, fixture.apples, 10).await;
    fixture.receive(fixture.warehouse, fixture.pears, 4).await;

    let ops_before = fixture.outbox_len().await;
    let count = store.start_count(owner, fixture.warehouse).await.unwrap();
    let open = store.open_count_at(fixture.warehouse).await.unwrap().unwrap();
    assert_eq!(open.id, count);
    assert_eq!(open.status, CountStatus::Open);
    assert_eq!(open.started_by, owner.user_id());
    assert_eq!(open.committed_hlc, None);
    store
        .set_count_line(owner, count, fixture.apples, Qty::units(8))
        .await
        .unwrap();
    store
        .set_count_line(owner, count, fixture.apples, Qty::units(7))
        .await
        .unwrap();
    store
        .set_count_line(owner, count, fixture.pears, Qty::units(4))
        .await
        .unwrap();
    assert_eq!(
        fixture.outbox_len().await,
        ops_before,
        "counting is local until committed"
    );
    assert_eq!(fixture.level(fixture.apples, fixture.warehouse).await, 10_000);

    let variance = |lines: &[stockroom_core::CountLine]| -> Vec<(String, Qty, Qty, Qty)> {
        lines
            .iter()
            .map(|line| (line.sku.clone(), line.expected, line.counted, line.variance))
            .collect()
    };
    let before = store.count_lines(count).await.unwrap();
    assert_eq!(
        variance(&before),
        vec![
            ("APL".into(), Qty::units(10), Qty::units(7), Qty::units(-3)),
            ("PER".into(), Qty::units(4), Qty::units(4), Qty(0)),
        ]
    );
    // Two apples arrive after the apples were counted, before the commit:
    // the count is the reset point of the moment it was keyed, so the
    // delivery is kept (7 counted + 2 received) and the variance stands.
    fixture.receive(fixture.warehouse, fixture.apples, 2).await;
    let committed = store.commit_count(owner, count).await.unwrap();
    assert_eq!(
        variance(&committed),
        vec![
            ("APL".into(), Qty::units(10), Qty::units(7), Qty::units(-3)),
            ("PER".into(), Qty::units(4), Qty::units(4), Qty(0)),
        ]
    );
    assert_eq!(fixture.level(fixture.apples, fixture.warehouse).await, 9_000);
    assert_eq!(fixture.level(fixture.pears, fixture.warehouse).await, 4_000);

    let session = store.count_session(count).await.unwrap();
    assert_eq!(session.status, CountStatus::Committed);
    let op = fixture.last_stock_op().await;
    assert_eq!(op.transfer, None);
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
            (MovementKind::Count, fixture.apples, fixture.warehouse, 7_000),
            (MovementKind::Count, fixture.pears, fixture.warehouse, 4_000),
        ]
    );
    // Each count movement carries the stamp of its line, keyed before the commit.
    let keyed_at: Vec<_> = committed.iter().map(|line| line.counted_at).collect();
    assert_eq!(
        op.movements.iter().map(|movement| movement.hlc).collect::<Vec<_>>(),
        keyed_at
    );
    assert!(op
        .movements
        .iter()
        .all(|movement| movement.ref_id == Some(count) && Some(movement.hlc) < session.committed_hlc));
    assert!(store.open_count_at(fixture.warehouse).await.unwrap().is_none());

    // After commit the saved expected quantities stay, whatever moves next.
    fixture.receive(fixture.warehouse, fixture.apples, 1).await;
    assert_eq!(variance(&store.count_lines(count).await.unwrap()), variance(&committed));
    assert_eq!(
        fixture
            .test
            .count("SELECT count(*) FROM count_lines WHERE expected_milli IS NOT NULL")
            .await,
        2
    );

    // A committed count is closed.
    let ops_before = fixture.outbox_len().await;
    for error in [
        store.set_count_line(owner, count, fixture.apples, Qty::ONE).await.err(),
        store.remove_count_line(owner, count, fixture.apples).await.err(),
        store.commit_count(owner, count).await.err(),
        store.cancel_count(owner, count).await.err(),
    ] {
        assert_eq!(error.expect("refused").code(), "invalid_input");
    }
    assert_eq!(fixture.outbox_len().await, ops_before);
}

#[tokio::test]
async fn a_count_resets_only_the_products_counted() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    let owner = &fixture.test.owner;
    fixture.receive(fixture.shop, fixture.apples, 5).await;
    fixture.receive(fixture.shop, fixture.pears, 5).await;
    store
        .adjust_stock(owner, fixture.shop, fixture.apples, Qty::units(-1), "eaten")
        .await
        .unwrap();

    let count = store.start_count(owner, fixture.shop).await.unwrap();
    store
        .set_count_line(owner, count, fixture.apples, Qty::units(10))
        .await
        .unwrap();
    store.commit_count(owner, count).await.unwrap();
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 10_000);
    assert_eq!(
        fixture.level(fixture.pears, fixture.shop).await,
        5_000,
        "pears were not counted"
    );

    // Movements after the count add to it: level = count + later movements.
    fixture.receive(fixture.shop, fixture.apples, 3).await;
    store
        .adjust_stock(owner, fixture.shop, fixture.apples, Qty(-2_500), "spoiled")
        .await
        .unwrap();
    fixture.receive(fixture.warehouse, fixture.apples, 1).await;
    let sent = store
        .transfer_out(
            owner,
            fixture.warehouse,
            fixture.shop,
            &[ProductQty::new(fixture.apples, Qty::ONE)],
        )
        .await
        .unwrap();
    store.transfer_in(owner, sent.id, None).await.unwrap();
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 11_500);

    let history = store
        .movement_history(fixture.apples, Some(fixture.shop), 100)
        .await
        .unwrap();
    let kinds: Vec<_> = history.iter().map(|movement| movement.kind).collect();
    assert_eq!(
        kinds,
        vec![
            MovementKind::TransferIn,
            MovementKind::Adjustment,
            MovementKind::Receive,
            MovementKind::Count,
            MovementKind::Adjustment,
            MovementKind::Receive,
        ]
    );
    let count_row = &history[3];
    assert_eq!(count_row.qty, Qty::units(10));
    assert_eq!(count_row.ref_id, Some(count));

    // A second count resets again, to zero if the shelf is empty.
    let recount = store.start_count(owner, fixture.shop).await.unwrap();
    store
        .set_count_line(owner, recount, fixture.apples, Qty(0))
        .await
        .unwrap();
    store.commit_count(owner, recount).await.unwrap();
    assert_eq!(fixture.level(fixture.apples, fixture.shop).await, 0);
    assert_eq!(fixture.level(fixture.pears, fixture.shop).await, 5_000);
}

#[tokio::test]
async fn one_open_count_per_location_and_cancelling() {
    let fixture = StockFixture::new().await;
    let store = &fixture.test.store;
    let owner = &fixture.test.owner;
    fixture.receive(fixture.warehouse, fixture.apples, 4).await;
    let ops_before = fixture.outbox_len().await;

    let first = store.start_count(owner, fixture.warehouse).await.unwrap();
    assert_eq!(
        store.start_count(owner, fixture.warehouse).await.unwrap_err().code(),
        "conflict"
    );
    let elsewhere = store.start_count(owner, fixture.shop).await.unwrap();
    assert_ne!(first, elsewhere);
    assert_eq!(
        store.start_count(owner, Uuid::nil()).await.unwrap_err().code(),
        "not_found"
    );

    // Lines: bad input, removal.
    assert_eq!(
        store.commit_count(owner, first).await.unwrap_err().code(),
        "invalid_input",
        "nothing counted yet"
    );
    assert_eq!(
        store
            .set_count_line(owner, first, fixture.apples, Qty(-1))
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_eq!(
        store
            .set_count_line(owner, first, Uuid::nil(), Qty::ONE)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert_eq!(
        store
            .set_count_line(owner, Uuid::nil(), fixture.apples, Qty::ONE)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    store
        .set_count_line(owner, first, fixture.apples, Qty::units(9))
        .await
        .unwrap();
    store
        .set_count_line(owner, first, fixture.pears, Qty::units(9))
        .await
        .unwrap();
    store.remove_count_line(owner, first, fixture.pears).await.unwrap();
    assert_eq!(
        store
            .remove_count_line(owner, first, fixture.pears)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert_eq!(store.count_lines(first).await.unwrap().len(), 1);

    // Cancelling leaves the ledger alone and frees the location.
    store.cancel_count(owner, first).await.unwrap();
    assert_eq!(store.count_session(first).await.unwrap().status, CountStatus::Cancelled);
    assert!(store.open_count_at(fixture.warehouse).await.unwrap().is_none());
    assert_eq!(fixture.level(fixture.apples, fixture.warehouse).await, 4_000);
    assert_eq!(fixture.outbox_len().await, ops_before);
    assert_eq!(
        fixture
            .test
            .count("SELECT count(*) FROM stock_movements WHERE kind = 'count'")
            .await,
        0
    );
    assert_eq!(
        store.commit_count(owner, first).await.unwrap_err().code(),
        "invalid_input"
    );
    let again = store.start_count(owner, fixture.warehouse).await.unwrap();
    assert_eq!(store.open_count_at(fixture.warehouse).await.unwrap().unwrap().id, again);
    assert_eq!(store.count_lines(Uuid::nil()).await.unwrap_err().code(), "not_found");
}
