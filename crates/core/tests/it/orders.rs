//! Wholesale orders: drafts priced from the customer's price list, edited
//! locally with no op, submitted once with one `order.submitted` op, then
//! closed to edits; listing by status; role checks.

use stockroom_core::protocol::Op;
use stockroom_core::{NewCustomer, NewPriceList, OrderStatus, Qty, Role};

use crate::shop::Shop;
use crate::support::eur;

#[tokio::test]
async fn a_draft_is_priced_edited_and_submitted_once() {
    let shop = Shop::new().await;
    let owner = &shop.test.owner;
    let store = &shop.test.store;
    let salesperson = shop.test.user("sam", Role::Salesperson).await;
    let flour = shop.product("FLOUR", 1000, 550, 0).await;
    let sugar = shop.product("SUGAR", 500, 550, 0).await;
    let wholesale = store
        .create_price_list(
            owner,
            &NewPriceList {
                name: "Wholesale".into(),
                currency: eur(0).currency,
                tier: Some("B2B".into()),
                region: None,
            },
        )
        .await
        .unwrap();
    store.set_list_price(owner, wholesale, flour, eur(800)).await.unwrap();
    let bakery = store
        .create_customer(
            &shop.test.owner,
            &NewCustomer {
                code: Some("BAK-1".into()),
                price_list_id: Some(wholesale),
                ..NewCustomer::named("Corner Bakery", eur(0).currency)
            },
        )
        .await
        .unwrap();

    let ops_before = store.outbox_len().await.unwrap();
    let order = store
        .create_order(&salesperson, bakery, Some("deliver Monday"))
        .await
        .unwrap();
    // Flour from the list (8.00), sugar at its own price (5.00).
    let flour_line = store
        .add_order_line(&salesperson, order, flour, Qty::units(10))
        .await
        .unwrap();
    let sugar_line = store
        .add_order_line(&salesperson, order, sugar, Qty::units(3))
        .await
        .unwrap();
    store
        .change_order_line(&salesperson, order, flour_line, Qty::units(12))
        .await
        .unwrap();
    store.remove_order_line(&salesperson, order, sugar_line).await.unwrap();
    store
        .add_order_line(&salesperson, order, sugar, Qty(2500))
        .await
        .unwrap();
    // 12 × 8.00 = 96.00; 2.5 × 5.00 = 12.50; total 108.50 (before tax).
    let draft = store.order(order).await.unwrap();
    assert_eq!(draft.status, OrderStatus::Draft);
    assert_eq!(draft.number, None);
    assert_eq!(draft.customer_name, "Corner Bakery");
    assert_eq!(draft.price_list_id, Some(wholesale));
    assert_eq!(draft.salesperson_id, salesperson.user_id());
    assert_eq!(draft.note.as_deref(), Some("deliver Monday"));
    let lines: Vec<_> = draft
        .lines
        .iter()
        .map(|line| (line.line_no, line.name.as_str(), line.qty, line.unit_price, line.total))
        .collect();
    assert_eq!(
        lines,
        vec![
            (1, "Product FLOUR", Qty::units(12), eur(800), eur(9600)),
            (2, "Product SUGAR", Qty(2500), eur(500), eur(1250)),
        ]
    );
    assert_eq!(draft.total, eur(10_850));
    // Drafts stay on the device.
    assert_eq!(store.outbox_len().await.unwrap(), ops_before);
    assert_eq!(store.orders(Some(OrderStatus::Draft)).await.unwrap().len(), 1);
    assert!(store.orders(Some(OrderStatus::Submitted)).await.unwrap().is_empty());

    let submitted = store.submit_order(&salesperson, order).await.unwrap();
    assert_eq!(submitted.status, OrderStatus::Submitted);
    assert_eq!(submitted.number.as_deref(), Some("D01-O000001"));
    assert!(submitted.submitted_at_ms.is_some());
    assert_eq!(store.outbox_len().await.unwrap(), ops_before + 1);
    let pending = store.outbox_pending(1000).await.unwrap();
    let envelope = pending.last().unwrap();
    assert_eq!(envelope.user_id, salesperson.user_id());
    let Op::OrderSubmitted(op) = &envelope.op else {
        panic!("expected order.submitted, got {:?}", envelope.op);
    };
    assert_eq!(op.id, order);
    assert_eq!(op.number, "D01-O000001");
    assert_eq!(
        (op.customer_id, op.salesperson_id, op.price_list_id),
        (bakery, salesperson.user_id(), Some(wholesale))
    );
    assert_eq!((op.currency.as_str(), op.total_minor), ("EUR", 10_850));
    assert_eq!(op.note.as_deref(), Some("deliver Monday"));
    let op_lines: Vec<_> = op
        .lines
        .iter()
        .map(|line| {
            (
                line.line_no,
                line.product_id,
                line.qty_milli,
                line.unit_price_minor,
                line.total_minor,
            )
        })
        .collect();
    assert_eq!(
        op_lines,
        vec![(1, flour, 12_000, 800, 9600), (2, sugar, 2500, 500, 1250)]
    );

    // A submitted order is closed to edits, and is submitted only once.
    let refused = [
        store
            .add_order_line(&salesperson, order, sugar, Qty::ONE)
            .await
            .map(|_| ()),
        store.change_order_line(&salesperson, order, flour_line, Qty::ONE).await,
        store.remove_order_line(&salesperson, order, flour_line).await,
        store.submit_order(&salesperson, order).await.map(|_| ()),
    ];
    for result in refused {
        assert_eq!(result.unwrap_err().code(), "invalid_input");
    }
    assert_eq!(store.outbox_len().await.unwrap(), ops_before + 1);
    assert_eq!(store.order(order).await.unwrap(), submitted);

    let listed = store.orders(Some(OrderStatus::Submitted)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].id,
            listed[0].number.as_deref(),
            listed[0].total,
            listed[0].n_lines
        ),
        (order, Some("D01-O000001"), eur(10_850), 2)
    );
    assert!(store.orders(Some(OrderStatus::Draft)).await.unwrap().is_empty());
    assert_eq!(store.orders(None).await.unwrap().len(), 1);
}

#[tokio::test]
async fn empty_drafts_and_bad_lines_are_refused() {
    let shop = Shop::new().await;
    let store = &shop.test.store;
    let salesperson = shop.test.user("sam", Role::Salesperson).await;
    let flour = shop.product("FLOUR", 1000, 0, 0).await;
    let customer = store
        .create_customer(&salesperson, &NewCustomer::named("Corner Bakery", eur(0).currency))
        .await
        .unwrap();
    let order = store.create_order(&salesperson, customer, None).await.unwrap();
    assert_eq!(
        store.submit_order(&salesperson, order).await.unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(
        store
            .add_order_line(&salesperson, order, flour, Qty(0))
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_eq!(
        store
            .add_order_line(&salesperson, order, uuid::Uuid::nil(), Qty::ONE)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    // A customer buying in dollars cannot be sold a euro-only product.
    let dollar_customer = store
        .create_customer(
            &salesperson,
            &NewCustomer::named("Yankee Diner", "USD".parse().unwrap()),
        )
        .await
        .unwrap();
    let dollar_order = store.create_order(&salesperson, dollar_customer, None).await.unwrap();
    assert_eq!(
        store
            .add_order_line(&salesperson, dollar_order, flour, Qty::ONE)
            .await
            .unwrap_err()
            .code(),
        "currency_mismatch"
    );
    // Archived customers take no new orders.
    store.set_customer_active(&salesperson, customer, false).await.unwrap();
    assert_eq!(
        store
            .create_order(&salesperson, customer, None)
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );
}

#[tokio::test]
async fn cashiers_and_warehouse_staff_take_no_orders() {
    let shop = Shop::new().await;
    let store = &shop.test.store;
    let customer = store
        .create_customer(&shop.cashier, &NewCustomer::named("Walk-in Ltd", eur(0).currency))
        .await
        .unwrap();
    let warehouse = shop.test.user("wanda", Role::Warehouse).await;
    for user in [&shop.cashier, &warehouse] {
        assert_eq!(
            store.create_order(user, customer, None).await.unwrap_err().code(),
            "forbidden"
        );
    }
    let salesperson = shop.test.user("sam", Role::Salesperson).await;
    let order = store.create_order(&salesperson, customer, None).await.unwrap();
    let flour = shop.product("FLOUR", 1000, 0, 0).await;
    assert_eq!(
        store
            .add_order_line(&shop.cashier, order, flour, Qty::ONE)
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        store.submit_order(&shop.cashier, order).await.unwrap_err().code(),
        "forbidden"
    );
}

#[tokio::test]
async fn placing_an_order_is_one_write_all_or_nothing() {
    let shop = Shop::new().await;
    let store = &shop.test.store;
    let salesperson = shop.test.user("sam", Role::Salesperson).await;
    let flour = shop.product("FLOUR", 1000, 550, 0).await;
    let sugar = shop.product("SUGAR", 500, 550, 0).await;
    let customer = store
        .create_customer(&salesperson, &NewCustomer::named("Corner Bakery", eur(0).currency))
        .await
        .unwrap();

    // A line the order cannot take (an unknown product) keeps nothing of it:
    // no draft, no op.
    let ops_before = store.outbox_len().await.unwrap();
    let refused = store
        .place_order(
            &salesperson,
            customer,
            None,
            &[(flour, Qty::units(2)), (uuid::Uuid::nil(), Qty::ONE)],
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "not_found");
    assert!(store.orders(None).await.unwrap().is_empty());
    assert_eq!(store.outbox_len().await.unwrap(), ops_before);

    let placed = store
        .place_order(
            &salesperson,
            customer,
            Some("back door"),
            &[(flour, Qty::units(2)), (sugar, Qty::units(3))],
        )
        .await
        .unwrap();
    assert_eq!(placed.status, OrderStatus::Submitted);
    assert!(placed.number.is_some());
    assert_eq!(placed.lines.len(), 2);
    // 2 × 10.00 + 3 × 5.00
    assert_eq!(placed.total.minor, 3500);
    assert_eq!(store.outbox_len().await.unwrap(), ops_before + 1);
    let listed = store.orders(None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].customer_id, customer);
}
