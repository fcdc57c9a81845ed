//! Price lists and their entries: setting a price twice edits one entry,
//! `price_for` falls back to the product's price, archiving, role checks.

use stockroom_core::protocol::ops::Entity;
use stockroom_core::protocol::Op;
use stockroom_core::{Money, NewPriceList, PriceListPatch, Role};

use crate::shop::usd;
use crate::support::{eur, TestStore};

fn wholesale() -> NewPriceList {
    NewPriceList {
        name: "Wholesale".into(),
        currency: eur(0).currency,
        tier: Some("B2B".into()),
        region: Some("EU".into()),
    }
}

#[tokio::test]
async fn setting_a_price_twice_edits_the_same_entry() {
    let test = TestStore::new().await;
    let store = &test.store;
    let owner = &test.owner;
    let bolt = test.product("BOLT", 120).await;
    let nut = test.product("NUT", 40).await;
    let list = store.create_price_list(owner, &wholesale()).await.unwrap();
    assert_eq!(store.price_list(list).await.unwrap().tier.as_deref(), Some("B2B"));

    let entry = store.set_list_price(owner, list, bolt, eur(100)).await.unwrap();
    let ops_before = store.outbox_len().await.unwrap();
    let same_entry = store.set_list_price(owner, list, bolt, eur(95)).await.unwrap();
    assert_eq!(same_entry, entry);
    assert_eq!(test.count("SELECT count(*) FROM price_list_entries").await, 1);
    let Some(Op::FieldsSet(edit)) = store.outbox_pending(1000).await.unwrap().pop().map(|op| op.op) else {
        panic!("expected fields.set");
    };
    assert_eq!((edit.entity, edit.row_id), (Entity::PriceListEntry, entry));
    assert_eq!(edit.fields.len(), 1);
    assert_eq!(edit.fields["price_minor"], 95);
    assert_eq!(store.outbox_len().await.unwrap(), ops_before + 1);
    // The same price again changes nothing.
    store.set_list_price(owner, list, bolt, eur(95)).await.unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), ops_before + 1);

    // The list's price where it has one, the product's own elsewhere.
    assert_eq!(store.price_for(bolt, Some(list)).await.unwrap(), eur(95));
    assert_eq!(store.price_for(bolt, None).await.unwrap(), eur(120));
    assert_eq!(store.price_for(nut, Some(list)).await.unwrap(), eur(40));
    let entries = store.price_list_entries(list).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].product_id, entries[0].price), (bolt, eur(95)));

    // A removed entry no longer applies, and setting the price revives it.
    store.remove_list_price(owner, list, bolt).await.unwrap();
    assert_eq!(store.price_for(bolt, Some(list)).await.unwrap(), eur(120));
    assert_eq!(store.set_list_price(owner, list, bolt, eur(90)).await.unwrap(), entry);
    assert_eq!(store.price_for(bolt, Some(list)).await.unwrap(), eur(90));

    // An archived list applies to nothing.
    store.set_price_list_active(owner, list, false).await.unwrap();
    assert_eq!(store.price_for(bolt, Some(list)).await.unwrap(), eur(120));
    assert!(!store.price_lists().await.unwrap()[0].active);
}

#[tokio::test]
async fn price_lists_are_edited_and_checked() {
    let test = TestStore::new().await;
    let store = &test.store;
    let owner = &test.owner;
    let bolt = test.product("BOLT", 120).await;
    let list = store.create_price_list(owner, &wholesale()).await.unwrap();
    store
        .edit_price_list(
            owner,
            list,
            &PriceListPatch {
                name: Some("Trade".into()),
                region: Some(None),
                ..PriceListPatch::default()
            },
        )
        .await
        .unwrap();
    let edited = store.price_list(list).await.unwrap();
    assert_eq!(
        (edited.name.as_str(), edited.tier.as_deref(), edited.region.as_deref()),
        ("Trade", Some("B2B"), None)
    );
    assert_eq!(
        store
            .set_list_price(owner, list, bolt, Money::new(100, usd()))
            .await
            .unwrap_err()
            .code(),
        "currency_mismatch"
    );
    assert_eq!(
        store
            .set_list_price(owner, list, bolt, eur(-1))
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_eq!(
        store
            .set_list_price(owner, list, uuid::Uuid::nil(), eur(1))
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert_eq!(
        store.remove_list_price(owner, list, bolt).await.unwrap_err().code(),
        "not_found"
    );
    let clerk = test.user("cara", Role::Cashier).await;
    assert_eq!(
        store.create_price_list(&clerk, &wholesale()).await.unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(
        store
            .set_list_price(&clerk, list, bolt, eur(1))
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
}
