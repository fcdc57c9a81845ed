//! Customers: create, per-field edits, archive, search; the balance derived
//! from the account ledger; payments on account with their op; role checks.

use stockroom_core::protocol::ops::{AccountEntryKind, Entity};
use stockroom_core::protocol::Op;
use stockroom_core::{
    CustomerPatch, CustomerPayment, NewCustomer, NewPriceList, PaymentMethod, PaymentRequest, Qty, Role,
    SaleLineRequest,
};

use crate::shop::{usd, Shop};
use crate::support::{eur, TestStore};

fn acme() -> NewCustomer {
    NewCustomer {
        code: Some("ACM-01".into()),
        phone: Some("+33 1 23 45 67 89".into()),
        email: Some("buy@acme.test".into()),
        credit_limit: eur(50_000),
        ..NewCustomer::named("Acme Trading", eur(0).currency)
    }
}

#[tokio::test]
async fn customers_are_created_edited_field_by_field_and_archived() {
    let test = TestStore::new().await;
    let store = &test.store;
    let clerk = test.user("cara", Role::Cashier).await;
    let id = store.create_customer(&test.owner, &acme()).await.unwrap();
    let customer = store.customer(id).await.unwrap();
    assert_eq!(customer.code.as_deref(), Some("ACM-01"));
    assert_eq!(customer.name, "Acme Trading");
    assert_eq!(customer.credit_limit, eur(50_000));
    assert!(customer.active);
    let Some(Op::FieldsSet(created)) = store.outbox_pending(1000).await.unwrap().pop().map(|op| op.op) else {
        panic!("expected fields.set");
    };
    assert_eq!((created.entity, created.row_id), (Entity::Customer, id));
    assert_eq!(created.fields["credit_limit_minor"], 50_000);
    assert_eq!(created.fields["currency"], "EUR");

    // Only the fields that change are stamped and sent.
    let ops_before = store.outbox_len().await.unwrap();
    store
        .edit_customer(
            &clerk,
            id,
            &CustomerPatch {
                phone: Some(Some("+33 9 99 99 99 99".into())),
                name: Some("Acme Trading".into()), // unchanged
                email: Some(None),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), ops_before + 1);
    let Some(Op::FieldsSet(edit)) = store.outbox_pending(1000).await.unwrap().pop().map(|op| op.op) else {
        panic!("expected fields.set");
    };
    let mut changed: Vec<&str> = edit.fields.keys().map(String::as_str).collect();
    changed.sort();
    assert_eq!(changed, vec!["email", "phone"]);
    assert_eq!(edit.fields["email"], serde_json::Value::Null);
    assert_eq!(
        test.count("SELECT count(*) FROM field_stamps WHERE entity = 'customer' AND field IN ('phone', 'email')")
            .await,
        2
    );
    let edited = store.customer(id).await.unwrap();
    assert_eq!(edited.phone.as_deref(), Some("+33 9 99 99 99 99"));
    assert_eq!(edited.email, None);
    // An edit that changes nothing writes nothing.
    store
        .edit_customer(&clerk, id, &CustomerPatch::default())
        .await
        .unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), ops_before + 1);

    // Archived customers leave the default list but are kept.
    store.set_customer_active(&clerk, id, false).await.unwrap();
    assert!(store.customers("", false).await.unwrap().is_empty());
    assert_eq!(store.customers("", true).await.unwrap().len(), 1);
    assert!(!store.customer(id).await.unwrap().active);
    // Its code is free again while it is archived.
    let other = store.create_customer(&test.owner, &acme()).await.unwrap();
    assert_eq!(
        store.set_customer_active(&clerk, id, true).await.unwrap_err().code(),
        "conflict"
    );
    assert_ne!(other, id);
}

#[tokio::test]
async fn customers_are_searched_by_name_or_code() {
    let test = TestStore::new().await;
    let store = &test.store;
    let euro = eur(0).currency;
    for (code, name) in [
        ("ACM-01", "Acme Trading"),
        ("BOB-7", "Bob's Bikes"),
        ("X_1", "Zed 100%"),
    ] {
        store
            .create_customer(
                &test.owner,
                &NewCustomer {
                    code: Some(code.into()),
                    ..NewCustomer::named(name, euro)
                },
            )
            .await
            .unwrap();
    }
    let names = |found: Vec<stockroom_core::Customer>| found.into_iter().map(|c| c.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.customers("", false).await.unwrap()),
        vec!["Acme Trading", "Bob's Bikes", "Zed 100%"]
    );
    assert_eq!(
        names(store.customers("bike", false).await.unwrap()),
        vec!["Bob's Bikes"]
    );
    assert_eq!(
        names(store.customers("acm-", false).await.unwrap()),
        vec!["Acme Trading"]
    );
    // Wildcards are plain characters.
    assert_eq!(names(store.customers("%", false).await.unwrap()), vec!["Zed 100%"]);
    assert_eq!(names(store.customers("_", false).await.unwrap()), vec!["Zed 100%"]);
}

#[tokio::test]
async fn customer_input_is_checked() {
    let test = TestStore::new().await;
    let store = &test.store;
    store.create_customer(&test.owner, &acme()).await.unwrap();
    let duplicate = NewCustomer {
        code: Some("acm-01".into()),
        ..NewCustomer::named("Other", eur(0).currency)
    };
    assert_eq!(
        store.create_customer(&test.owner, &duplicate).await.unwrap_err().code(),
        "conflict"
    );
    let nameless = NewCustomer::named("  ", eur(0).currency);
    assert_eq!(
        store.create_customer(&test.owner, &nameless).await.unwrap_err().code(),
        "invalid_input"
    );
    let dollar_limit = NewCustomer {
        credit_limit: stockroom_core::Money::new(100, usd()),
        ..NewCustomer::named("Mixed", eur(0).currency)
    };
    assert_eq!(
        store
            .create_customer(&test.owner, &dollar_limit)
            .await
            .unwrap_err()
            .code(),
        "currency_mismatch"
    );
    // The price list must be in the customer's currency.
    let dollars = store
        .create_price_list(
            &test.owner,
            &NewPriceList {
                name: "US".into(),
                currency: usd(),
                tier: None,
                region: None,
            },
        )
        .await
        .unwrap();
    let euro_on_dollar_list = NewCustomer {
        price_list_id: Some(dollars),
        ..NewCustomer::named("Euro Co", eur(0).currency)
    };
    assert_eq!(
        store
            .create_customer(&test.owner, &euro_on_dollar_list)
            .await
            .unwrap_err()
            .code(),
        "currency_mismatch"
    );
    assert_eq!(test.count("SELECT count(*) FROM customers").await, 1);
}

#[tokio::test]
async fn the_balance_is_derived_from_the_account_ledger() {
    let shop = Shop::new().await;
    let store = &shop.test.store;
    let salesperson = shop.test.user("sam", Role::Salesperson).await;
    let customer = store.create_customer(&shop.test.owner, &acme()).await.unwrap();
    assert_eq!(store.customer_balance(customer).await.unwrap(), eur(0));

    let table = shop.product("TABLE", 12_000, 0, 0).await;
    let mut sale = shop.sale(
        vec![SaleLineRequest::new(table, Qty::ONE)],
        vec![PaymentRequest::new(PaymentMethod::Account, eur(12_000))],
    );
    sale.customer_id = Some(customer);
    let receipt = store.record_sale(&shop.cashier, &sale).await.unwrap();
    assert_eq!(store.customer_balance(customer).await.unwrap(), eur(12_000));

    // The salesperson collects 30.00 in cash on the road.
    let ops_before = store.outbox_len().await.unwrap();
    let entry_id = store
        .record_customer_payment(
            &salesperson,
            customer,
            &CustomerPayment {
                amount: eur(3000),
                method: PaymentMethod::Cash,
            },
        )
        .await
        .unwrap();
    assert_eq!(store.customer_balance(customer).await.unwrap(), eur(9000));
    assert_eq!(
        shop.test
            .count(&format!(
                "SELECT sum(amount_minor) FROM account_entries WHERE customer_id = '{customer}'"
            ))
            .await,
        9000
    );
    assert_eq!(store.outbox_len().await.unwrap(), ops_before + 1);
    let Some(Op::PaymentReceived(entry)) = store.outbox_pending(1000).await.unwrap().pop().map(|op| op.op) else {
        panic!("expected payment.received");
    };
    assert_eq!(
        (
            entry.id,
            entry.customer_id,
            entry.kind,
            entry.amount_minor,
            entry.currency.as_str(),
            entry.method
        ),
        (
            entry_id,
            customer,
            AccountEntryKind::Payment,
            -3000,
            "EUR",
            Some(PaymentMethod::Cash)
        )
    );

    let statement = store.customer_account(customer).await.unwrap();
    let rows: Vec<_> = statement
        .iter()
        .map(|line| (line.kind, line.amount, line.ref_id))
        .collect();
    assert_eq!(
        rows,
        vec![
            (AccountEntryKind::Charge, eur(12_000), Some(receipt.sale_id)),
            (AccountEntryKind::Payment, eur(-3000), None),
        ]
    );

    // Refused: zero, another currency, "paying" onto the account itself.
    let refused = [
        (eur(0), PaymentMethod::Cash, "invalid_input"),
        (
            stockroom_core::Money::new(1000, usd()),
            PaymentMethod::Card,
            "currency_mismatch",
        ),
        (eur(1000), PaymentMethod::Account, "invalid_input"),
    ];
    for (amount, method, code) in refused {
        let err = store
            .record_customer_payment(&salesperson, customer, &CustomerPayment { amount, method })
            .await
            .unwrap_err();
        assert_eq!(err.code(), code);
    }
    assert_eq!(store.customer_balance(customer).await.unwrap(), eur(9000));
}

#[tokio::test]
async fn roles_for_customers() {
    let test = TestStore::new().await;
    let store = &test.store;
    let warehouse = test.user("wanda", Role::Warehouse).await;
    assert_eq!(
        store.create_customer(&warehouse, &acme()).await.unwrap_err().code(),
        "forbidden"
    );
    let customer = store.create_customer(&test.owner, &acme()).await.unwrap();
    let payment = CustomerPayment {
        amount: eur(100),
        method: PaymentMethod::Card,
    };
    assert_eq!(
        store
            .record_customer_payment(&warehouse, customer, &payment)
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        store
            .edit_customer(
                &warehouse,
                customer,
                &CustomerPatch {
                    name: Some("Hacked".into()),
                    ..CustomerPatch::default()
                }
            )
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    let clerk = test.user("cara", Role::Cashier).await;
    store.record_customer_payment(&clerk, customer, &payment).await.unwrap();
    assert_eq!(store.customer_balance(customer).await.unwrap(), eur(-100));

    // A clerk keeps contact details up to date but gives no credit.
    let raise = CustomerPatch {
        credit_limit: Some(eur(1_000_000)),
        ..CustomerPatch::default()
    };
    assert_eq!(
        store.edit_customer(&clerk, customer, &raise).await.unwrap_err().code(),
        "forbidden"
    );
    let phone = CustomerPatch {
        phone: Some(Some("+44 20 7946 0000".into())),
        ..CustomerPatch::default()
    };
    store.edit_customer(&clerk, customer, &phone).await.unwrap();
    let with_credit = NewCustomer {
        credit_limit: eur(500),
        ..NewCustomer::named("Credit seeker", eur(0).currency)
    };
    assert_eq!(
        store.create_customer(&clerk, &with_credit).await.unwrap_err().code(),
        "forbidden"
    );
    store.edit_customer(&test.owner, customer, &raise).await.unwrap();
    assert_eq!(store.customer(customer).await.unwrap().credit_limit, eur(1_000_000));
}
