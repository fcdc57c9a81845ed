//! Catalog commands: editing and archiving products, categories, barcodes
//! and scan lookup, search as you type, role checks and the ops each write
//! leaves in the outbox.

use proptest::prelude::*;
use serde_json::json;
use stockroom_core::protocol::ops::Entity;
use stockroom_core::protocol::Op;
use stockroom_core::{NewProduct, ProductListQuery, ProductPatch, ProductSearch, Role};
use uuid::Uuid;

use crate::support::{eur, TestStore};

/// The last op in the outbox, which must be a `fields.set`.
async fn last_fields_set(test: &TestStore) -> (Entity, Uuid, serde_json::Map<String, serde_json::Value>) {
    let pending = test.store.outbox_pending(100_000).await.unwrap();
    match &pending.last().expect("an op").op {
        Op::FieldsSet(set) => (set.entity, set.row_id, set.fields.clone()),
        other => panic!("expected fields.set, got {other:?}"),
    }
}

fn field_names(fields: &serde_json::Map<String, serde_json::Value>) -> Vec<&str> {
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

#[tokio::test]
async fn an_edit_sends_exactly_the_changed_fields() {
    let test = TestStore::new().await;
    let id = test.product("TEA-1", 250).await;
    let ops_before = test.store.outbox_len().await.unwrap();
    let patch = ProductPatch {
        // Same SKU and unit as now: not sent.
        sku: Some("TEA-1".into()),
        unit: Some(" pc ".into()),
        name: Some("Green tea".into()),
        price: Some(eur(275)),
        brand: Some(Some("Leafy".into())),
        ..ProductPatch::default()
    };
    let updated = test.store.update_product(&test.owner, id, &patch).await.unwrap();
    assert_eq!(updated.name, "Green tea");
    assert_eq!(updated.price, eur(275));
    assert_eq!(updated.brand.as_deref(), Some("Leafy"));
    assert_eq!(test.store.product(id).await.unwrap(), updated);
    assert_eq!(test.store.outbox_len().await.unwrap(), ops_before + 1);
    let (entity, row_id, fields) = last_fields_set(&test).await;
    assert_eq!((entity, row_id), (Entity::Product, id));
    assert_eq!(field_names(&fields), ["brand", "name", "price_minor"]);
    assert_eq!(fields["name"], json!("Green tea"));
    assert_eq!(fields["price_minor"], json!(275));
    // Each changed field carries its own stamp for last-writer-wins.
    let stamped = test
        .count(&format!(
            "SELECT count(*) FROM field_stamps WHERE entity = 'product' AND row_id = '{id}'"
        ))
        .await;
    assert_eq!(stamped, 3);

    // Clearing the brand sends it as null.
    let patch = ProductPatch {
        brand: Some(None),
        ..ProductPatch::default()
    };
    test.store.update_product(&test.owner, id, &patch).await.unwrap();
    let (_, _, fields) = last_fields_set(&test).await;
    assert_eq!(field_names(&fields), ["brand"]);
    assert_eq!(fields["brand"], serde_json::Value::Null);
}

#[tokio::test]
async fn an_edit_that_changes_nothing_writes_nothing() {
    let test = TestStore::new().await;
    let id = test.product("TEA-1", 250).await;
    let ops_before = test.store.outbox_len().await.unwrap();
    let same = ProductPatch {
        name: Some("Product TEA-1".into()),
        price: Some(eur(250)),
        ..ProductPatch::default()
    };
    test.store.update_product(&test.owner, id, &same).await.unwrap();
    test.store
        .update_product(&test.owner, id, &ProductPatch::default())
        .await
        .unwrap();
    assert_eq!(test.store.outbox_len().await.unwrap(), ops_before);
}

#[tokio::test]
async fn edits_are_checked() {
    let test = TestStore::new().await;
    let tea = test.product("TEA-1", 250).await;
    test.product("TEA-2", 300).await;
    let ops_before = test.store.outbox_len().await.unwrap();
    let cases = [
        (
            ProductPatch {
                sku: Some("TEA-2".into()),
                ..ProductPatch::default()
            },
            "conflict",
        ),
        (
            ProductPatch {
                name: Some("  ".into()),
                ..ProductPatch::default()
            },
            "invalid_input",
        ),
        (
            ProductPatch {
                price: Some(eur(-1)),
                ..ProductPatch::default()
            },
            "invalid_input",
        ),
        (
            // A new currency for the price alone leaves the cost in euros.
            ProductPatch {
                price: Some(stockroom_core::Money::new(300, "GBP".parse().unwrap())),
                ..ProductPatch::default()
            },
            "currency_mismatch",
        ),
        (
            ProductPatch {
                category_id: Some(Some(Uuid::now_v7())),
                ..ProductPatch::default()
            },
            "not_found",
        ),
    ];
    for (patch, code) in cases {
        let err = test.store.update_product(&test.owner, tea, &patch).await.unwrap_err();
        assert_eq!(err.code(), code, "{patch:?}");
    }
    let missing = test
        .store
        .update_product(&test.owner, Uuid::now_v7(), &ProductPatch::default())
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "not_found");
    assert_eq!(test.store.outbox_len().await.unwrap(), ops_before);

    // Both money fields in the new currency: accepted, currency sent.
    let gbp = |minor| stockroom_core::Money::new(minor, "GBP".parse().unwrap());
    let patch = ProductPatch {
        price: Some(gbp(300)),
        cost: Some(gbp(100)),
        ..ProductPatch::default()
    };
    test.store.update_product(&test.owner, tea, &patch).await.unwrap();
    let (_, _, fields) = last_fields_set(&test).await;
    assert_eq!(field_names(&fields), ["cost_minor", "currency", "price_minor"]);
    assert_eq!(fields["currency"], json!("GBP"));
}

#[tokio::test]
async fn archiving_hides_a_product_and_restoring_checks_its_sku() {
    let test = TestStore::new().await;
    let old = test.product("JAM", 400).await;
    test.store.set_product_active(&test.owner, old, false).await.unwrap();
    let (_, row_id, fields) = last_fields_set(&test).await;
    assert_eq!(row_id, old);
    assert_eq!(field_names(&fields), ["active"]);
    assert_eq!(fields["active"], json!(false));
    assert!(!test.store.product(old).await.unwrap().active);
    assert_eq!(test.count("SELECT count(*) FROM products").await, 1, "never deleted");

    let listed = test.store.list_products(&ProductListQuery::default()).await.unwrap();
    assert!(listed.products.is_empty());
    let all = ProductListQuery {
        include_archived: true,
        ..ProductListQuery::default()
    };
    assert_eq!(test.store.list_products(&all).await.unwrap().products.len(), 1);

    // The SKU is free again while the old product is archived.
    let new = test.product("JAM", 450).await;
    let err = test.store.set_product_active(&test.owner, old, true).await.unwrap_err();
    assert_eq!(err.code(), "conflict");
    test.store.set_product_active(&test.owner, new, false).await.unwrap();
    test.store.set_product_active(&test.owner, old, true).await.unwrap();
    assert!(test.store.product(old).await.unwrap().active);
    // Archiving twice is a no-op, not an op.
    let ops = test.store.outbox_len().await.unwrap();
    test.store.set_product_active(&test.owner, new, false).await.unwrap();
    assert_eq!(test.store.outbox_len().await.unwrap(), ops);
}

#[tokio::test]
async fn products_list_in_pages_by_name() {
    let test = TestStore::new().await;
    let names = ["banana", "Apple", "cherry", "apricot", "Damson", "elderberry", "Fig"];
    for (index, name) in names.iter().enumerate() {
        test.store
            .create_product(&test.owner, &NewProduct::simple(&format!("F{index}"), name, eur(100)))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = test
            .store
            .list_products(&ProductListQuery {
                offset,
                limit: 3,
                ..ProductListQuery::default()
            })
            .await
            .unwrap();
        seen.extend(page.products.iter().map(|product| product.name.clone()));
        offset += 3;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(
        seen,
        ["Apple", "apricot", "banana", "cherry", "Damson", "elderberry", "Fig"]
    );

    let fruit = test.store.create_category(&test.owner, "Fruit", None).await.unwrap();
    let fig = test.store.search_products(&ProductSearch::new("fig", 1)).await.unwrap()[0].id;
    let patch = ProductPatch {
        category_id: Some(Some(fruit)),
        ..ProductPatch::default()
    };
    test.store.update_product(&test.owner, fig, &patch).await.unwrap();
    let in_fruit = test
        .store
        .list_products(&ProductListQuery {
            category_id: Some(fruit),
            ..ProductListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(in_fruit.products.len(), 1);
    assert_eq!(in_fruit.products[0].id, fig);
}

#[tokio::test]
async fn categories_nest_rename_and_archive() {
    let test = TestStore::new().await;
    let drinks = test.store.create_category(&test.owner, "Drinks", None).await.unwrap();
    let (entity, row_id, fields) = last_fields_set(&test).await;
    assert_eq!((entity, row_id), (Entity::Category, drinks));
    assert_eq!(field_names(&fields), ["active", "name", "parent_id"]);

    let tea = test
        .store
        .create_category(&test.owner, "Tea", Some(drinks))
        .await
        .unwrap();
    assert_eq!(test.store.category(tea).await.unwrap().parent_id, Some(drinks));
    // Names are unique among siblings, whatever the letter case...
    let err = test
        .store
        .create_category(&test.owner, "tea", Some(drinks))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    // ...but the same name may sit under another parent.
    test.store.create_category(&test.owner, "Tea", None).await.unwrap();
    let err = test
        .store
        .create_category(&test.owner, "Juice", Some(Uuid::now_v7()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert_eq!(
        test.store
            .create_category(&test.owner, " ", None)
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );

    test.store
        .rename_category(&test.owner, tea, "Herbal tea")
        .await
        .unwrap();
    let (_, row_id, fields) = last_fields_set(&test).await;
    assert_eq!(row_id, tea);
    assert_eq!(field_names(&fields), ["name"]);
    assert_eq!(fields["name"], json!("Herbal tea"));

    test.store.set_category_active(&test.owner, tea, false).await.unwrap();
    let active: Vec<String> = test
        .store
        .categories(false)
        .await
        .unwrap()
        .into_iter()
        .map(|category| category.name)
        .collect();
    assert_eq!(active, ["Drinks", "Tea"]);
    assert_eq!(test.store.categories(true).await.unwrap().len(), 3);
    // An archived parent takes no new children.
    test.store
        .set_category_active(&test.owner, drinks, false)
        .await
        .unwrap();
    let err = test
        .store
        .create_category(&test.owner, "Soda", Some(drinks))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
}

#[tokio::test]
async fn only_catalog_managers_change_the_catalog() {
    let test = TestStore::new().await;
    let product = test.product("SOAP", 199).await;
    let category = test.store.create_category(&test.owner, "Home", None).await.unwrap();
    let barcode = test
        .store
        .add_barcode(&test.owner, product, "4006381333931", stockroom_core::Qty(1000))
        .await
        .unwrap();
    for role in [Role::Cashier, Role::Salesperson, Role::Warehouse] {
        let user = test.user(&format!("user-{}", role.as_str()), role).await;
        let ops_before = test.store.outbox_len().await.unwrap();
        let patch = ProductPatch {
            price: Some(eur(1)),
            ..ProductPatch::default()
        };
        let results = [
            test.store.update_product(&user, product, &patch).await.map(|_| ()),
            test.store.set_product_active(&user, product, false).await,
            test.store.create_category(&user, "Garden", None).await.map(|_| ()),
            test.store.rename_category(&user, category, "House").await,
            test.store.set_category_active(&user, category, false).await,
            test.store
                .add_barcode(&user, product, "96385074", stockroom_core::Qty(1000))
                .await
                .map(|_| ()),
            test.store.set_barcode_active(&user, barcode.id, false).await,
            test.store
                .import_products(
                    &user,
                    &b"sku,name\nX,Y\n"[..],
                    &stockroom_core::ImportPreset::Export.mapping(),
                )
                .await
                .map(|_| ()),
            test.store.export_products(&user, Vec::new()).await.map(|_| ()),
            test.store.export_stock_levels(&user, Vec::new()).await.map(|_| ()),
        ];
        for (index, result) in results.into_iter().enumerate() {
            assert_eq!(result.unwrap_err().code(), "forbidden", "{role:?}, command {index}");
        }
        assert_eq!(test.store.outbox_len().await.unwrap(), ops_before);
        // Reading the catalog is for everyone: scanning and searching.
        assert!(test.store.lookup_barcode("4006381333931").await.unwrap().is_some());
    }
    // A manager may.
    let manager = test.user("max", Role::Manager).await;
    test.store.rename_category(&manager, category, "House").await.unwrap();
}

#[tokio::test]
async fn upc_a_upc_e_and_ean13_forms_find_the_same_product() {
    let test = TestStore::new().await;
    let cola = test.product("COLA", 120).await;
    // UPC-A typed with 12 digits is stored as GTIN-13.
    let barcode = test
        .store
        .add_barcode(&test.owner, cola, "036000291452", stockroom_core::Qty(1000))
        .await
        .unwrap();
    assert_eq!(barcode.code, "0036000291452");
    let (entity, row_id, fields) = last_fields_set(&test).await;
    assert_eq!((entity, row_id), (Entity::Barcode, barcode.id));
    assert_eq!(fields["code"], json!("0036000291452"));
    assert_eq!(fields["product_id"], json!(cola.to_string()));
    assert_eq!(fields["pack_qty_milli"], json!(1000));
    for scanned in ["036000291452", "0036000291452", "00036000291452", " 036000291452\n"] {
        let hit = test.store.lookup_barcode(scanned).await.unwrap().expect(scanned);
        assert_eq!(hit.product.id, cola, "{scanned}");
        assert_eq!(hit.pack_qty_milli, 1000);
        assert_eq!(hit.code, "0036000291452");
    }
    // The same code in another form is the same code.
    let err = test
        .store
        .add_barcode(&test.owner, cola, "0036000291452", stockroom_core::Qty(1000))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");

    // UPC-E 04252614 is UPC-A 042100005264.
    let gum = test.product("GUM", 80).await;
    let short = test
        .store
        .add_barcode(&test.owner, gum, "04252614", stockroom_core::Qty(1000))
        .await
        .unwrap();
    assert_eq!(short.code, "0042100005264");
    for scanned in ["04252614", "042100005264", "0042100005264"] {
        let hit = test.store.lookup_barcode(scanned).await.unwrap().expect(scanned);
        assert_eq!(hit.product.id, gum, "{scanned}");
    }
    // An EAN-8 stays an EAN-8, and is looked up as one first.
    let mints = test.product("MINTS", 90).await;
    test.store
        .add_barcode(&test.owner, mints, "96385074", stockroom_core::Qty(1000))
        .await
        .unwrap();
    // The same EAN-8 as a GS1 DataMatrix label carries it (GTIN-14), or as
    // a 13-digit field, finds the same product.
    for scanned in ["96385074", "00000096385074", "0000096385074"] {
        let hit = test.store.lookup_barcode(scanned).await.unwrap().expect(scanned);
        assert_eq!(hit.product.id, mints, "{scanned}");
    }

    assert_eq!(test.store.lookup_barcode("4006381333931").await.unwrap(), None);
    assert_eq!(test.store.lookup_barcode("").await.unwrap(), None);
    assert_eq!(
        test.store.lookup_barcode("'; DROP TABLE products; --").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_case_barcode_carries_its_pack_quantity() {
    let test = TestStore::new().await;
    let water = test.product("WATER", 50).await;
    test.store
        .add_barcode(&test.owner, water, "4006381333931", stockroom_core::Qty(1000))
        .await
        .unwrap();
    let case = test
        .store
        .add_barcode(&test.owner, water, "14006381333938", stockroom_core::Qty(12_000))
        .await
        .unwrap();
    let hit = test.store.lookup_barcode("14006381333938").await.unwrap().unwrap();
    assert_eq!((hit.product.id, hit.pack_qty_milli), (water, 12_000));
    let codes = test.store.product_barcodes(water).await.unwrap();
    assert_eq!(codes.len(), 2);
    assert_eq!(
        test.store
            .add_barcode(&test.owner, water, "SHELF-1", stockroom_core::Qty(0))
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );

    // An archived barcode no longer scans, and its code may go elsewhere.
    test.store
        .set_barcode_active(&test.owner, case.id, false)
        .await
        .unwrap();
    let (_, row_id, fields) = last_fields_set(&test).await;
    assert_eq!((row_id, field_names(&fields)), (case.id, vec!["active"]));
    assert_eq!(test.store.lookup_barcode("14006381333938").await.unwrap(), None);
    let other = test.product("WATER-6", 280).await;
    test.store
        .add_barcode(&test.owner, other, "14006381333938", stockroom_core::Qty(6_000))
        .await
        .unwrap();
    let err = test
        .store
        .set_barcode_active(&test.owner, case.id, true)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
}

#[tokio::test]
async fn typed_codes_with_a_wrong_check_digit_are_refused() {
    let test = TestStore::new().await;
    let product = test.product("P", 10).await;
    let ops_before = test.store.outbox_len().await.unwrap();
    for typo in ["4006381333932", "036000291453", "96385075", "01115304626"] {
        let err = test
            .store
            .add_barcode(&test.owner, product, typo, stockroom_core::Qty(1000))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{typo}");
        assert!(err.to_string().contains("check digit"), "{err}");
    }
    let err = test
        .store
        .add_barcode(&test.owner, Uuid::now_v7(), "4006381333931", stockroom_core::Qty(1000))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert_eq!(test.store.outbox_len().await.unwrap(), ops_before);
    // Internal codes of any other shape are kept as typed.
    let internal = test
        .store
        .add_barcode(&test.owner, product, "PLU 4011", stockroom_core::Qty(1000))
        .await
        .unwrap();
    assert_eq!(internal.code, "PLU 4011");
    assert_eq!(
        test.store.lookup_barcode("PLU 4011").await.unwrap().unwrap().product.id,
        product
    );
}

async fn search_names(test: &TestStore, text: &str) -> Vec<String> {
    test.store
        .search_products(&ProductSearch::new(text, 20))
        .await
        .unwrap_or_else(|err| panic!("search {text:?}: {err}"))
        .into_iter()
        .map(|product| product.name)
        .collect()
}

async fn searchable_store() -> TestStore {
    let test = TestStore::new().await;
    let products = [
        ("CB-1", "Crème brûlée", Some("Dessert Co")),
        ("MILK", "Oat drink", Some("Oatly")),
        ("MK-2", "Milk chocolate", Some("Cocoa & Co")),
        ("MK-3", "Whole milk 1 l", None),
        ("SKU-\"Q\"", "Quoted \"special\" tea", None),
        ("JP-1", "日本茶 green tea", None),
    ];
    for (sku, name, brand) in products {
        let mut product = NewProduct::simple(sku, name, eur(100));
        product.brand = brand.map(str::to_string);
        test.store.create_product(&test.owner, &product).await.unwrap();
    }
    test
}

#[tokio::test]
async fn search_matches_prefixes_without_accents_or_case() {
    let test = searchable_store().await;
    assert_eq!(search_names(&test, "creme").await, ["Crème brûlée"]);
    assert_eq!(search_names(&test, "CRÈ brul").await, ["Crème brûlée"]);
    assert_eq!(search_names(&test, "choc").await, ["Milk chocolate"]);
    assert_eq!(search_names(&test, "milk choc").await, ["Milk chocolate"]);
    assert_eq!(search_names(&test, "oatly").await, ["Oat drink"]);
    assert_eq!(search_names(&test, "cocoa").await, ["Milk chocolate"]);
    assert_eq!(search_names(&test, "日本").await, ["日本茶 green tea"]);
    assert_eq!(search_names(&test, "mk-3").await, ["Whole milk 1 l"]);
    assert!(search_names(&test, "chocx").await.is_empty());
}

#[tokio::test]
async fn an_exact_sku_comes_first() {
    let test = searchable_store().await;
    let found = search_names(&test, "milk").await;
    assert_eq!(found[0], "Oat drink", "SKU MILK first: {found:?}");
    assert_eq!(found.len(), 3);
    let limited = test
        .store
        .search_products(&ProductSearch::new("milk", 1))
        .await
        .unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].sku, "MILK");
}

#[tokio::test]
async fn search_skips_archived_products_unless_asked() {
    let test = searchable_store().await;
    let oat = test.store.search_products(&ProductSearch::new("oat", 5)).await.unwrap()[0].id;
    test.store.set_product_active(&test.owner, oat, false).await.unwrap();
    assert!(search_names(&test, "oat").await.is_empty());
    let archived = ProductSearch {
        include_archived: true,
        ..ProductSearch::new("oat", 5)
    };
    assert_eq!(test.store.search_products(&archived).await.unwrap().len(), 1);
    // A rename reaches the index.
    let chocolate = test
        .store
        .search_products(&ProductSearch::new("choc", 5))
        .await
        .unwrap()[0]
        .id;
    let patch = ProductPatch {
        name: Some("Dark praline".into()),
        ..ProductPatch::default()
    };
    test.store.update_product(&test.owner, chocolate, &patch).await.unwrap();
    assert!(search_names(&test, "choc").await.is_empty());
    assert_eq!(search_names(&test, "pral").await, ["Dark praline"]);
}

#[tokio::test]
async fn odd_search_text_never_fails() {
    let test = searchable_store().await;
    let odd = [
        "",
        "   ",
        "\"",
        "\"\"",
        "'",
        "*",
        "-",
        "(",
        "AND",
        "OR NOT",
        "NEAR(milk",
        "milk\"",
        "\"special\"",
        "^milk",
        "name:milk",
        "🍫",
        "\u{0345}",
        "\u{0}",
        "a \u{301}",
        "ü̈",
    ];
    for text in odd {
        search_names(&test, text).await;
    }
    assert_eq!(search_names(&test, "\"special\"").await, ["Quoted \"special\" tea"]);
    assert_eq!(search_names(&test, "NEAR(milk").await.len(), 0);
}

#[test]
fn any_search_text_is_safe() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let test = runtime.block_on(searchable_store());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(512));
    runner
        .run(&any::<String>(), |text| {
            let search = ProductSearch {
                include_archived: true,
                ..ProductSearch::new(&text, 10)
            };
            runtime
                .block_on(test.store.search_products(&search))
                .map_err(|err| TestCaseError::fail(format!("{text:?}: {err}")))?;
            Ok(())
        })
        .unwrap();
}

/// Commands run on a multi-threaded runtime (Tauri's): their futures must
/// be `Send`. Checked when this compiles.
#[test]
fn catalog_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn check(
        store: &stockroom_core::Store,
        session: &stockroom_core::Session,
        mapping: &stockroom_core::ImportMapping,
    ) {
        assert_send(&store.import_products(session, &b""[..], mapping));
        assert_send(&store.export_products(session, Vec::new()));
        assert_send(&store.export_stock_levels(session, Vec::new()));
        assert_send(&store.lookup_barcode(""));
        assert_send(&store.search_products(&ProductSearch::new("", 1)));
        assert_send(&store.update_product(session, Uuid::nil(), &ProductPatch::default()));
        assert_send(&store.list_products(&ProductListQuery::default()));
    }
    let _ = check as fn(&_, &_, &_);
}
