//! What the app reads and keeps beside the ledger: till shifts and their
//! cash-up, paged search with totals, device settings, the dashboard's
//! figures, the inbox, and role changes.

use stockroom_core::{CoreError, Money, Qty, ReturnLineRequest, ReturnRequest, Role, SaleLineRequest};

use crate::shop::{card, cash, usd, Shop};
use crate::support::{eur, TestStore};

#[tokio::test]
async fn a_shift_expects_float_plus_cash_taken_minus_change_and_refunds() {
    let shop = Shop::new().await;
    let store = &shop.test.store;
    let soap = shop.product("SOAP", 500, 0, 0).await;
    assert!(store.current_shift().await.unwrap().is_none());
    let opened = store.open_shift(&shop.cashier, shop.till, eur(10_000)).await.unwrap();
    assert_eq!(opened.expected, eur(10_000));
    let again = store.open_shift(&shop.cashier, shop.till, eur(10_000)).await;
    assert!(matches!(again, Err(CoreError::Conflict { .. })), "{again:?}");

    // 10.00 due: 20.00 cash, 10.00 change. Another paid by card only.
    let receipt = store
        .record_sale(
            &shop.cashier,
            &shop.sale(vec![SaleLineRequest::new(soap, Qty::units(2))], vec![cash(eur(2000))]),
        )
        .await
        .unwrap();
    assert_eq!(receipt.change, eur(1000));
    store
        .record_sale(
            &shop.cashier,
            &shop.sale(vec![SaleLineRequest::new(soap, Qty::units(1))], vec![card(eur(500))]),
        )
        .await
        .unwrap();
    // One returned for cash: 5.00 out of the drawer.
    let request = ReturnRequest {
        sale_id: receipt.sale_id,
        lines: vec![ReturnLineRequest {
            sale_line_id: receipt.lines[0].line_id,
            qty: Qty::units(1),
        }],
        refund_method: Some(stockroom_core::PaymentMethod::Cash),
        reason: None,
    };
    store.record_return(&shop.cashier, &request).await.unwrap();
    let expected = 10_000 + 2000 - 1000 - 500;
    assert_eq!(store.current_shift().await.unwrap().unwrap().expected, eur(expected));

    let wrong_currency = store.close_shift(&shop.cashier, Money::zero(usd())).await;
    assert!(matches!(wrong_currency, Err(CoreError::CurrencyMismatch { .. })));
    let closed = store.close_shift(&shop.cashier, eur(expected + 20)).await.unwrap();
    assert_eq!(closed.expected, eur(expected));
    assert_eq!(closed.counted, Some(eur(expected + 20)));
    assert_eq!(closed.variance, Some(eur(20)));
    assert!(closed.closed_ms.is_some());
    assert!(store.current_shift().await.unwrap().is_none());
    let none_open = store.close_shift(&shop.cashier, eur(0)).await;
    assert!(matches!(none_open, Err(CoreError::NotFound { .. })));
    // Closed shifts keep their figures after a restart.
    assert_eq!(store.shift(closed.id).await.unwrap(), closed);
}

#[tokio::test]
async fn search_pages_carry_the_total_and_follow_one_order() {
    let test = TestStore::new().await;
    for index in 0..30 {
        test.product(&format!("TEA-{index:02}"), 100 + index).await;
    }
    test.product("COFFEE", 300).await;
    let store = &test.store;
    let first = store.search_product_page("tea", 0, 20).await.unwrap();
    let second = store.search_product_page("tea", 20, 20).await.unwrap();
    assert_eq!((first.total, second.total), (30, 30));
    assert_eq!((first.products.len(), second.products.len()), (20, 10));
    let mut seen: Vec<_> = first.products.iter().chain(&second.products).map(|p| p.id).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 30);
    let exact = store.search_product_page("TEA-07", 0, 5).await.unwrap();
    assert_eq!(exact.products[0].sku, "TEA-07");
    let everything = store.search_product_page("  ", 25, 10).await.unwrap();
    assert_eq!((everything.total, everything.products.len()), (31, 6));
    let nothing = store.search_product_page("zzz", 0, 10).await.unwrap();
    assert_eq!((nothing.total, nothing.products.len()), (0, 0));
}

#[tokio::test]
async fn settings_persist_and_bad_ones_are_refused() {
    let test = TestStore::new().await;
    assert_eq!(test.store.setting("app.locale").await.unwrap(), None);
    test.store.set_setting("app.locale", "ar").await.unwrap();
    test.store.set_setting("app.locale", "en").await.unwrap();
    assert!(matches!(
        test.store.set_setting("", "x").await,
        Err(CoreError::Invalid { .. })
    ));
    let test = test.reopen().await;
    assert_eq!(test.store.setting("app.locale").await.unwrap().as_deref(), Some("en"));
}

#[tokio::test]
async fn the_dashboard_counts_sales_and_low_stock_and_the_inbox_dismisses_flags() {
    let shop = Shop::new().await;
    let store = &shop.test.store;
    let soap = shop.product("SOAP", 500, 0, 0).await;
    store
        .record_sale(
            &shop.cashier,
            &shop.sale(vec![SaleLineRequest::new(soap, Qty::units(1))], vec![cash(eur(500))]),
        )
        .await
        .unwrap();
    let totals = store.sales_since(0).await.unwrap();
    assert_eq!((totals[0].n_sales, totals[0].total), (1, eur(500)));
    assert!(store.sales_since(u64::MAX >> 20).await.unwrap().is_empty());
    // Sold from empty shelves: negative stock, low and flagged.
    let low = store.low_stock(Qty::units(5), 10).await.unwrap();
    assert_eq!((low[0].product_id, low[0].qty), (soap, Qty::units(-1)));
    let inbox = store.inbox(50).await.unwrap();
    let flag = inbox
        .iter()
        .find(|item| item.code == "negative_stock")
        .expect("flag in the inbox");
    let refused = store.dismiss_inbox_item(&shop.cashier, &flag.id).await;
    assert!(matches!(refused, Err(CoreError::Forbidden { .. })));
    store.dismiss_inbox_item(&shop.test.owner, &flag.id).await.unwrap();
    assert!(store.inbox(50).await.unwrap().iter().all(|item| item.id != flag.id));
    let unknown = store.dismiss_inbox_item(&shop.test.owner, "no-such-item").await;
    assert!(matches!(unknown, Err(CoreError::NotFound { .. })));
}

#[tokio::test]
async fn managers_change_roles_but_only_owners_make_owners() {
    let test = TestStore::new().await;
    let manager = test.user("max", Role::Manager).await;
    let cashier = test.user("cara", Role::Cashier).await;
    test.store
        .set_user_role(&manager, cashier.user_id(), Role::Warehouse)
        .await
        .unwrap();
    let forbidden = test.store.set_user_role(&manager, cashier.user_id(), Role::Owner).await;
    assert!(matches!(forbidden, Err(CoreError::Forbidden { .. })));
    test.store
        .set_user_role(&test.owner, cashier.user_id(), Role::Owner)
        .await
        .unwrap();
    let users = test.store.users().await.unwrap();
    assert_eq!(users.iter().find(|u| u.username == "cara").unwrap().role, Role::Owner);
    // The old session of the user whose role changed no longer writes.
    let stale = test.store.open_shift(&cashier, uuid::Uuid::nil(), eur(0)).await;
    assert!(matches!(stale, Err(CoreError::SessionExpired)), "{stale:?}");
}
