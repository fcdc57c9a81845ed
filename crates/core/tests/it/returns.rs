//! Returns against a sale: exact refunds across partial returns, over-returns
//! refused with nothing written, stock back at the till, refunds as negative
//! payments or account credits, one `return.completed` op, role checks.

use stockroom_core::protocol::ops::{AccountEntryKind, MovementKind};
use stockroom_core::{
    NewCustomer, PaymentMethod, PaymentRequest, Qty, Receipt, ReturnLineRequest, ReturnRequest, Role, SaleLineRequest,
};
use uuid::Uuid;

use crate::shop::{cash, Shop};
use crate::support::eur;

/// Sells 3 × 3.33 (20 % tax) and 1 × 2.50 (no tax) for cash.
async fn sold(shop: &Shop) -> (Receipt, Uuid, Uuid) {
    let plate = shop.product("PLATE", 333, 2000, 0).await;
    let cup = shop.product("CUP", 250, 0, 0).await;
    let request = shop.sale(
        vec![
            SaleLineRequest::new(plate, Qty::units(3)),
            SaleLineRequest::new(cup, Qty::ONE),
        ],
        vec![cash(eur(1500))],
    );
    let receipt = shop.test.store.record_sale(&shop.cashier, &request).await.unwrap();
    (receipt, plate, cup)
}

fn return_of(receipt: &Receipt, lines: &[(usize, Qty)]) -> ReturnRequest {
    ReturnRequest {
        sale_id: receipt.sale_id,
        lines: lines
            .iter()
            .map(|(line_idx, qty)| ReturnLineRequest {
                sale_line_id: receipt.lines[*line_idx].line_id,
                qty: *qty,
            })
            .collect(),
        refund_method: None,
        reason: Some("chipped".into()),
    }
}

#[tokio::test]
async fn a_partial_return_then_the_rest_refunds_exactly_the_sale_total() {
    let shop = Shop::new().await;
    let (receipt, plate, cup) = sold(&shop).await;
    // Plates: 3 × 3.33 = 9.99, tax 1.998 → 2.00, line total 11.99. Cup 2.50. Total 14.49.
    assert_eq!(receipt.total, eur(1449));
    assert_eq!(receipt.change, eur(51));
    assert_eq!(shop.test.store.stock_level(plate, shop.till).await.unwrap(), -3000);

    // One plate: 11.99 / 3 = 3.9967 → 4.00.
    let first = shop
        .test
        .store
        .record_return(&shop.cashier, &return_of(&receipt, &[(0, Qty::ONE)]))
        .await
        .unwrap();
    assert_eq!(first.number, "D01-R000001");
    assert_eq!(first.total, eur(400));
    assert_eq!(first.refund_method, Some(PaymentMethod::Cash));
    assert_eq!(first.sale_number, receipt.number);
    assert_eq!(first.reason.as_deref(), Some("chipped"));
    assert_eq!(first.lines.len(), 1);
    assert_eq!(first.lines[0].name, "Product PLATE");
    assert_eq!(shop.test.store.stock_level(plate, shop.till).await.unwrap(), -2000);

    // More plates than are left (2) is refused, and nothing is written.
    let before = shop.ledger_counts().await;
    let err = shop
        .test
        .store
        .record_return(&shop.cashier, &return_of(&receipt, &[(0, Qty::units(3))]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    // Two mentions of the same line add up: 1 + 2 is also too many.
    let err = shop
        .test
        .store
        .record_return(
            &shop.cashier,
            &return_of(&receipt, &[(0, Qty::ONE), (1, Qty::ONE), (0, Qty::units(2))]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(shop.ledger_counts().await, before);

    // The rest: plates 11.99 − 4.00 = 7.99, cup 2.50: 10.49; 4.00 + 10.49 = 14.49.
    let rest = shop
        .test
        .store
        .record_return(
            &shop.cashier,
            &return_of(&receipt, &[(0, Qty::units(2)), (1, Qty::ONE)]),
        )
        .await
        .unwrap();
    assert_eq!(rest.number, "D01-R000002");
    assert_eq!(rest.total, eur(1049));
    let refunds: Vec<_> = rest
        .lines
        .iter()
        .map(|line| (line.product_id, line.qty, line.refund))
        .collect();
    assert_eq!(
        refunds,
        vec![(plate, Qty::units(2), eur(799)), (cup, Qty::ONE, eur(250))]
    );
    assert_eq!(first.total.minor + rest.total.minor, receipt.total.minor);
    assert_eq!(shop.test.store.stock_level(plate, shop.till).await.unwrap(), 0);
    assert_eq!(shop.test.store.stock_level(cup, shop.till).await.unwrap(), 0);

    let reprinted = shop.test.store.receipt(receipt.sale_id).await.unwrap();
    assert_eq!(reprinted.refunded, receipt.total);
    assert_eq!(
        reprinted.lines.iter().map(|line| line.returned).collect::<Vec<_>>(),
        vec![Qty::units(3), Qty::ONE]
    );
    assert_eq!(
        shop.test
            .count(&format!(
                "SELECT coalesce(sum(doc_amount_minor), 0) FROM payments WHERE doc_id IN ('{}', '{}')",
                first.return_id, rest.return_id
            ))
            .await,
        -1449
    );
    // Nothing is left to return.
    let err = shop
        .test
        .store
        .record_return(&shop.cashier, &return_of(&receipt, &[(1, Qty(1))]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");

    // One op per return, carrying lines, refunds and movements.
    let ops = shop.return_ops().await;
    assert_eq!(ops.len(), 2);
    let op = &ops[1];
    assert_eq!(
        (op.id, op.sale_id, op.total_minor),
        (rest.return_id, receipt.sale_id, 1049)
    );
    assert_eq!(op.lines.len(), 2);
    assert_eq!(op.refunds.len(), 1);
    assert_eq!(
        (
            op.refunds[0].method,
            op.refunds[0].amount_minor,
            op.refunds[0].doc_amount_minor
        ),
        (PaymentMethod::Cash, -1049, -1049)
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
            (MovementKind::Return, plate, shop.till, 2000),
            (MovementKind::Return, cup, shop.till, 1000),
        ]
    );
    assert!(op.account_entries.is_empty());
}

#[tokio::test]
async fn a_refund_can_go_back_on_another_method() {
    let shop = Shop::new().await;
    let (receipt, _, _) = sold(&shop).await;
    let mut request = return_of(&receipt, &[(1, Qty::ONE)]);
    request.refund_method = Some(PaymentMethod::Card);
    let returned = shop.test.store.record_return(&shop.cashier, &request).await.unwrap();
    assert_eq!(returned.refund_method, Some(PaymentMethod::Card));
    assert_eq!(
        shop.test
            .count("SELECT count(*) FROM payments WHERE method = 'card' AND amount_minor = -250")
            .await,
        1
    );
    // A walk-in sale has no account to credit.
    request.refund_method = Some(PaymentMethod::Account);
    request.lines[0].sale_line_id = receipt.lines[0].line_id;
    let err = shop
        .test
        .store
        .record_return(&shop.cashier, &request)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
}

#[tokio::test]
async fn returning_a_sale_on_account_credits_the_account() {
    let shop = Shop::new().await;
    let rug = shop.product("RUG", 8000, 0, 0).await;
    let customer = shop
        .test
        .store
        .create_customer(
            &shop.test.owner,
            &NewCustomer {
                credit_limit: eur(100_000),
                ..NewCustomer::named("Acme", eur(0).currency)
            },
        )
        .await
        .unwrap();
    let mut request = shop.sale(
        vec![SaleLineRequest::new(rug, Qty::units(2))],
        vec![PaymentRequest::new(PaymentMethod::Account, eur(16_000))],
    );
    request.customer_id = Some(customer);
    let receipt = shop.test.store.record_sale(&shop.cashier, &request).await.unwrap();
    assert_eq!(shop.test.store.customer_balance(customer).await.unwrap(), eur(16_000));

    let returned = shop
        .test
        .store
        .record_return(&shop.cashier, &return_of(&receipt, &[(0, Qty::ONE)]))
        .await
        .unwrap();
    assert_eq!(returned.refund_method, Some(PaymentMethod::Account));
    assert_eq!(returned.total, eur(8000));
    assert_eq!(shop.test.store.customer_balance(customer).await.unwrap(), eur(8000));
    assert_eq!(
        shop.test
            .count("SELECT count(*) FROM payments WHERE amount_minor < 0")
            .await,
        0
    );
    let op = shop.return_ops().await.pop().unwrap();
    assert!(op.refunds.is_empty());
    assert_eq!(op.account_entries.len(), 1);
    let entry = &op.account_entries[0];
    assert_eq!(
        (entry.kind, entry.customer_id, entry.amount_minor, entry.ref_id),
        (AccountEntryKind::Credit, customer, -8000, Some(returned.return_id))
    );
    assert_eq!(
        shop.test.store.return_receipt(returned.return_id).await.unwrap(),
        returned
    );
}

#[tokio::test]
async fn only_refunders_take_returns() {
    let shop = Shop::new().await;
    let (receipt, _, _) = sold(&shop).await;
    let request = return_of(&receipt, &[(1, Qty::ONE)]);
    for role in [Role::Warehouse, Role::Salesperson] {
        let user = shop.test.user(role.as_str(), role).await;
        let err = shop.test.store.record_return(&user, &request).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
    }
    assert_eq!(shop.test.count("SELECT count(*) FROM returns").await, 0);
    let err = shop
        .test
        .store
        .record_return(
            &shop.cashier,
            &ReturnRequest {
                sale_id: Uuid::nil(),
                ..request.clone()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    shop.test.store.record_return(&shop.cashier, &request).await.unwrap();
}

#[tokio::test]
async fn a_card_sale_is_refunded_to_the_card_by_default() {
    let shop = Shop::new().await;
    let lamp = shop.product("LAMP", 2000, 0, 0).await;
    let mut request = shop.sale(vec![SaleLineRequest::new(lamp, Qty::ONE)], vec![cash(eur(500))]);
    // 5.00 in cash, 15.00 on card: most of the money came by card.
    request
        .payments
        .push(PaymentRequest::new(PaymentMethod::Card, eur(1500)));
    let receipt = shop.test.store.record_sale(&shop.cashier, &request).await.unwrap();
    let returned = shop
        .test
        .store
        .record_return(&shop.cashier, &return_of(&receipt, &[(0, Qty::ONE)]))
        .await
        .unwrap();
    assert_eq!(returned.refund_method, Some(PaymentMethod::Card));
    assert_eq!(
        shop.test
            .count("SELECT count(*) FROM payments WHERE method = 'card' AND amount_minor = -2000")
            .await,
        1
    );
}
