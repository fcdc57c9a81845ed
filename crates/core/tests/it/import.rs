//! Product import and export: the presets on real data samples (see
//! `tests/fixtures/README.md`), per-row reports, all-or-nothing failure of
//! malformed files, re-import as update, and the export round trip.
//!
//! The expected counts were worked out from the fixtures themselves, not
//! from the importer's output; each assertion says how.

use std::collections::BTreeSet;
use std::io::Write;

use proptest::prelude::*;
use serde_json::json;
use stockroom_core::protocol::Op;
use stockroom_core::{
    ImportColumns, ImportMapping, ImportPreset, ImportReport, LocationKind, Money, NewProduct, ProductListQuery,
    RowIssue,
};

use crate::support::{eur, TestStore};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

async fn import(test: &TestStore, bytes: &[u8], preset: ImportPreset) -> ImportReport {
    let report = test
        .store
        .import_products(&test.owner, bytes, &preset.mapping())
        .await
        .unwrap();
    assert_eq!(
        report.rows_read,
        report.created + report.updated + report.unchanged + report.skipped.len() as u64,
        "every row is counted once: {report:#?}"
    );
    report
}

async fn export(test: &TestStore) -> String {
    let mut bytes = Vec::new();
    test.store.export_products(&test.owner, &mut bytes).await.unwrap();
    String::from_utf8(bytes).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn open_food_facts_slim_sample() {
    let test = TestStore::new().await;
    let report = import(
        &test,
        &fixture("off_products_slim_sample.csv"),
        ImportPreset::OpenFoodFactsSlim,
    )
    .await;
    // 224 data rows: 150 leading rows, the 73 rows whose gtin_check_ok is 0,
    // and line 152 (source line 243), 0026700129155, the GTIN-13 form of
    // line 71's 00026700129155.
    assert_eq!(report.rows_read, 224);
    // Lines 65 and 209 have no product_name; line 152 repeats line 71's code.
    assert_eq!(report.skipped_for(RowIssue::MissingName), 2);
    assert_eq!(report.skipped_for(RowIssue::DuplicateCode), 1);
    assert_eq!(report.skipped.len(), 3);
    assert_eq!(report.created, 224 - 3);
    assert_eq!(report.barcodes_added, 221);
    // The 73 failing codes: 26 of 11 digits (4 are UPC-As that lost their
    // leading zero and pass when padded), 3 of 12, 20 of 13, 1 of 14 and 11
    // of 8 digits fail the check digit (57, less line 209 which is skipped
    // for its missing name), and 12 have no GS1 length (4, 6, 7, 10 digits).
    assert_eq!(report.flagged_for(RowIssue::GtinCheckDigit), 56);
    assert_eq!(report.flagged_for(RowIssue::GtinPadded), 4);
    assert_eq!(report.flagged_for(RowIssue::GtinLength), 12);
    assert_eq!(report.flagged.len(), 72);
    // Distinct non-empty main_category values among the 221 imported rows.
    assert_eq!(report.categories_created, 77);
    assert_eq!(test.count("SELECT count(*) FROM products").await, 221);

    // Products are keyed by their code; OFF has no prices.
    let hit = test.store.lookup_barcode("3175460030083").await.unwrap().unwrap();
    assert_eq!(hit.product.sku, "3175460030083");
    assert_eq!(hit.product.name, "Echalote & Ciboulette (40 % MG)");
    assert_eq!(hit.product.brand.as_deref(), Some("Boursin,Bel"));
    assert_eq!(hit.product.price, eur(0));
    // A bad check digit is kept as written: scanning that label works.
    let kept = test.store.lookup_barcode("01115304626").await.unwrap().unwrap();
    assert_eq!(kept.product.name, "Cappuccino, French Vanilla");
    assert_eq!(kept.code, "01115304626");
    // An 11-digit UPC-A is padded: its 12-digit and 13-digit forms scan.
    for scanned in ["68826708753", "068826708753", "0068826708753"] {
        let padded = test.store.lookup_barcode(scanned).await.unwrap().unwrap();
        assert_eq!(padded.product.name, "Nature's Promise, French Style Garlic Bread");
    }
    // The GTIN-14 with indicator 0 of line 71 is stored as GTIN-13.
    let dip = test.store.lookup_barcode("00026700129155").await.unwrap().unwrap();
    assert_eq!(
        (dip.code.as_str(), dip.product.name.as_str()),
        ("0026700129155", "French Onion Dip")
    );
}

#[tokio::test]
async fn open_food_facts_raw_tsv_in_both_layouts() {
    let test = TestStore::new().await;
    // 2019 layout, 164 columns: 45 rows (30 leading rows and 15 picked for
    // their codes, stray quotes or missing names).
    let report = import(
        &test,
        &fixture("off_fr-us_2019_sample.tsv"),
        ImportPreset::OpenFoodFactsTsv,
    )
    .await;
    assert_eq!(report.rows_read, 45);
    // Line 32 has no name; line 36 (0026700129155) repeats line 33.
    assert_eq!(report.skipped_for(RowIssue::MissingName), 1);
    assert_eq!(report.skipped_for(RowIssue::DuplicateCode), 1);
    assert_eq!(report.created, 43);
    // Bad check digits: 11 digits at lines 36+ (two), 12, 8, 13 and 14
    // digits; 10 and 7 digits have no GS1 length; one 11-digit UPC-A pads.
    assert_eq!(report.flagged_for(RowIssue::GtinCheckDigit), 6);
    assert_eq!(report.flagged_for(RowIssue::GtinLength), 2);
    assert_eq!(report.flagged_for(RowIssue::GtinPadded), 1);
    // Unquoted TSV: quotes inside a field are text.
    let quoted = test
        .store
        .search_products(&stockroom_core::ProductSearch::new("rhone grives", 5))
        .await
        .unwrap();
    assert_eq!(quoted.len(), 1);
    assert_eq!(quoted[0].name, "Cotes du Rhone AOC rouge \"Le Bois des Grives\"");

    // 2021 layout, 174 columns: 40 rows (30 leading, 10 picked).
    let report = import(
        &test,
        &fixture("off_it_2021_sample.tsv"),
        ImportPreset::OpenFoodFactsTsv,
    )
    .await;
    assert_eq!(report.rows_read, 40);
    // Lines 33 and 41 have no name (41 also has a bad check digit).
    assert_eq!(report.skipped_for(RowIssue::MissingName), 2);
    assert_eq!(report.created, 38);
    // Bad: an 8-digit and a 13-digit code; no GS1 length: 7, 4, 10 and 6
    // digits; one 11-digit UPC-A pads.
    assert_eq!(report.flagged_for(RowIssue::GtinCheckDigit), 2);
    assert_eq!(report.flagged_for(RowIssue::GtinLength), 4);
    assert_eq!(report.flagged_for(RowIssue::GtinPadded), 1);
    assert_eq!(test.count("SELECT count(*) FROM products").await, 43 + 38);
}

#[tokio::test]
async fn online_retail_products_sample() {
    let test = TestStore::new().await;
    let report = import(
        &test,
        &fixture("online_retail_products_sample.csv"),
        ImportPreset::OnlineRetailProducts,
    )
    .await;
    // 260 leading rows and the 33 codes outside the 5-digit pattern.
    assert_eq!(report.rows_read, 293);
    // POST, DOT, M, m, B, D, S, C2, CRUK, AMAZONFEE, BANK CHARGES.
    assert_eq!(report.skipped_for(RowIssue::NonStockCode), 11);
    // 9 of the leading rows and 6 DCGS codes have no description.
    assert_eq!(report.skipped_for(RowIssue::MissingName), 15);
    assert_eq!(report.created, 293 - 11 - 15);
    // DCGS0067, DCGS0068 and DCGS0073 ("ebay") have no price.
    assert_eq!(report.flagged_for(RowIssue::MissingPrice), 3);
    // 15056BL/bl, 15056N/n, 15056P/p, 15060B/b, 18098C/c: both of each pair.
    assert_eq!(report.flagged_for(RowIssue::SkuCaseClash), 10);
    let clashing: BTreeSet<&str> = report
        .flagged
        .iter()
        .filter(|issue| issue.issue == RowIssue::SkuCaseClash)
        .filter_map(|issue| issue.sku.as_deref())
        .collect();
    assert!(clashing.contains("15056bl") && clashing.contains("15056BL"));
    assert_eq!(report.flagged.len(), 13);
    assert_eq!(report.barcodes_added, 0);

    let page = test
        .store
        .list_products(&ProductListQuery {
            limit: 500,
            ..ProductListQuery::default()
        })
        .await
        .unwrap();
    let globe = page.products.iter().find(|product| product.sku == "10002").unwrap();
    // Trailing blank trimmed; the median price in pounds.
    assert_eq!(globe.name, "INFLATABLE POLITICAL GLOBE");
    assert_eq!(globe.price, Money::new(85, "GBP".parse().unwrap()));
    // Case-clashing codes are distinct products with their own prices.
    let black = |sku: &str| {
        page.products
            .iter()
            .find(|product| product.sku == sku)
            .unwrap()
            .price
            .minor
    };
    assert_eq!((black("15056BL"), black("15056bl")), (595, 1246));
    assert!(page
        .products
        .iter()
        .all(|product| product.sku != "POST" && product.sku != "M"));
    assert!(page
        .products
        .iter()
        .any(|product| product.name == "Dotcomgiftshop Gift Voucher £10.00"));
}

#[tokio::test]
async fn gzip_input_is_read_like_plain() {
    let test = TestStore::new().await;
    let plain = fixture("online_retail_products_sample.csv");
    let report = import(&test, &gzip(&plain), ImportPreset::OnlineRetailProducts).await;
    assert_eq!(report.created, 267);
    let path = test.path.with_file_name("products.csv.gz");
    std::fs::write(&path, gzip(&plain)).unwrap();
    let again = test
        .store
        .import_products_file(&test.owner, &path, &ImportPreset::OnlineRetailProducts.mapping())
        .await
        .unwrap();
    assert_eq!((again.created, again.unchanged), (0, 267));
}

#[tokio::test]
async fn reimporting_updates_only_what_changed() {
    let test = TestStore::new().await;
    let original = fixture("off_products_slim_sample.csv");
    import(&test, &original, ImportPreset::OpenFoodFactsSlim).await;
    let ops = test.store.outbox_len().await.unwrap();
    // The same file again changes nothing and sends nothing.
    let again = import(&test, &original, ImportPreset::OpenFoodFactsSlim).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 221));
    assert_eq!(again.barcodes_added, 0);
    assert_eq!(again.categories_created, 0);
    assert_eq!(test.store.outbox_len().await.unwrap(), ops);

    // One renamed product: one update carrying only its name.
    let text = String::from_utf8(original).unwrap();
    let renamed = text.replacen("Echalote & Ciboulette (40 % MG)", "Echalote & Ciboulette (light)", 1);
    let report = import(&test, renamed.as_bytes(), ImportPreset::OpenFoodFactsSlim).await;
    assert_eq!((report.created, report.updated, report.unchanged), (0, 1, 220));
    assert_eq!(test.store.outbox_len().await.unwrap(), ops + 1);
    let pending = test.store.outbox_pending(100_000).await.unwrap();
    let Op::FieldsSet(set) = &pending.last().unwrap().op else {
        panic!("expected fields.set");
    };
    assert_eq!(set.fields.keys().collect::<Vec<_>>(), ["name"]);
    assert_eq!(set.fields["name"], json!("Echalote & Ciboulette (light)"));
}

#[tokio::test]
async fn an_existing_sku_is_updated_and_conflicts_are_reported() {
    let test = TestStore::new().await;
    let tea = test.product("TEA", 250).await;
    let coffee = test.product("COFFEE", 900).await;
    test.store
        .add_barcode(&test.owner, coffee, "4006381333931", stockroom_core::Qty(1000))
        .await
        .unwrap();
    let file = "sku,name,brand,unit,category,price,cost,currency,tax_rate_bp,barcodes,active\n\
                TEA,Product TEA,,pc,,2.75,,EUR,,96385074,\n\
                NEW,New thing,,pc,,1,,EUR,,4006381333931|14006381333938*12,\n\
                NEW,New thing again,,pc,,1,,EUR,,,\n\
                ,No SKU,,pc,,1,,EUR,,,\n";
    let report = import(&test, file.as_bytes(), ImportPreset::Export).await;
    assert_eq!((report.created, report.updated), (1, 1));
    assert_eq!(report.skipped_for(RowIssue::DuplicateSku), 1);
    assert_eq!(report.skipped_for(RowIssue::MissingSku), 1);
    assert_eq!(report.flagged_for(RowIssue::BarcodeInUse), 1);
    assert_eq!(report.flagged[0].line, 3);
    // TEA: new price, new barcode; empty cells left the rest alone.
    let updated = test.store.product(tea).await.unwrap();
    assert_eq!((updated.price, updated.name.as_str()), (eur(275), "Product TEA"));
    assert_eq!(
        test.store.lookup_barcode("96385074").await.unwrap().unwrap().product.id,
        tea
    );
    // The code in use stays with COFFEE; NEW got its case code only.
    assert_eq!(
        test.store
            .lookup_barcode("4006381333931")
            .await
            .unwrap()
            .unwrap()
            .product
            .id,
        coffee
    );
    let case = test.store.lookup_barcode("14006381333938").await.unwrap().unwrap();
    assert_eq!((case.product.sku.as_str(), case.pack_qty_milli), ("NEW", 12_000));
}

#[tokio::test]
async fn a_malformed_file_fails_whole_with_its_line() {
    let test = TestStore::new().await;
    test.product("KEEP", 100).await;
    let products_before = test.count("SELECT count(*) FROM products").await;
    let ops_before = test.store.outbox_len().await.unwrap();
    let text = String::from_utf8(fixture("online_retail_products_sample.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let with_line = |number: usize, replacement: &str| {
        let mut changed = lines.clone();
        changed[number - 1] = replacement;
        changed.join("\n")
    };
    let retail = ImportPreset::OnlineRetailProducts.mapping();
    let cases: Vec<(Vec<u8>, ImportMapping, u64)> = vec![
        // An unparsable price deep in the file.
        (
            with_line(150, "99999,PRICED IN WORDS,1,two pounds,1,2,2011-01-01,2011-01-02,1,1").into_bytes(),
            retail.clone(),
            150,
        ),
        // A price with more decimals than pence.
        (
            with_line(200, "99999,TOO PRECISE,1,0.855,1,2,2011-01-01,2011-01-02,1,1").into_bytes(),
            retail.clone(),
            200,
        ),
        // A row with a missing field.
        (
            with_line(250, "99999,SHORT ROW,1,0.85").into_bytes(),
            retail.clone(),
            250,
        ),
        // The same, compressed.
        (gzip(with_line(250, "99999,SHORT ROW").as_bytes()), retail.clone(), 250),
        // A mapped column the header lacks.
        (
            text.clone().into_bytes(),
            ImportMapping {
                columns: ImportColumns {
                    brand: Some("Brand".into()),
                    ..retail.columns.clone()
                },
                ..retail.clone()
            },
            1,
        ),
        // Not UTF-8.
        (
            [
                text.as_bytes(),
                b"99999,BAD \xff BYTE,1,0.85,1,2,2011-01-01,2011-01-02,1,1\n",
            ]
            .concat(),
            retail.clone(),
            lines.len() as u64 + 1,
        ),
    ];
    for (bytes, mapping, line) in cases {
        let err = test
            .store
            .import_products(&test.owner, &bytes[..], &mapping)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "import_failed");
        match err {
            stockroom_core::CoreError::Import { line: found, .. } => assert_eq!(found, line),
            other => panic!("expected an import error at line {line}, got {other:?}"),
        }
        assert_eq!(test.count("SELECT count(*) FROM products").await, products_before);
        assert_eq!(test.count("SELECT count(*) FROM categories").await, 0);
        assert_eq!(test.store.outbox_len().await.unwrap(), ops_before);
    }
    // A row breaking a product rule late in the file also rolls back all.
    let export_file = "sku,name,brand,unit,category,price,cost,currency,tax_rate_bp,barcodes,active\n\
                       A,Apple,,pc,Fruit,1,,EUR,,4006381333931,\n\
                       B,Pear,,pc,,-1,,EUR,,,\n";
    let err = test
        .store
        .import_products(&test.owner, export_file.as_bytes(), &ImportPreset::Export.mapping())
        .await
        .unwrap_err();
    assert!(
        matches!(err, stockroom_core::CoreError::Import { line: 3, .. }),
        "{err:?}"
    );
    assert_eq!(test.count("SELECT count(*) FROM products").await, products_before);
    assert_eq!(test.count("SELECT count(*) FROM categories").await, 0);
    assert_eq!(test.count("SELECT count(*) FROM barcodes").await, 0);
    assert_eq!(test.store.outbox_len().await.unwrap(), ops_before);
}

#[tokio::test]
async fn a_custom_mapping_reads_semicolons_percent_tax_and_barcode_skus() {
    let test = TestStore::new().await;
    let mut mapping = ImportMapping::csv(ImportColumns {
        brand: Some("Marke".into()),
        barcode: Some("EAN".into()),
        price: Some("Preis".into()),
        tax_rate: Some("MwSt".into()),
        category: Some("Warengruppe".into()),
        ..ImportColumns::named("Bezeichnung")
    });
    mapping.delimiter = b';';
    mapping.tax_rate_format = stockroom_core::TaxRateFormat::Percent;
    let file = "EAN;Bezeichnung;Marke;Preis;MwSt;Warengruppe\n\
                4006381333931;Bleistift;Stabilo;1.20;19;Büro\n\
                036000291452;Radiergummi;;0.80;7;büro\n\
                ;Ohne Code;;1;19;\n";
    let report = test
        .store
        .import_products(&test.owner, file.as_bytes(), &mapping)
        .await
        .unwrap();
    assert_eq!(report.created, 2);
    assert_eq!(report.skipped_for(RowIssue::MissingBarcode), 1);
    // Category names match without letter case: one category.
    assert_eq!(report.categories_created, 1);
    let eraser = test
        .store
        .lookup_barcode("036000291452")
        .await
        .unwrap()
        .unwrap()
        .product;
    assert_eq!(eraser.sku, "0036000291452");
    assert_eq!((eraser.tax_rate_bp, eraser.price), (700, eur(80)));
    let pencil = test
        .store
        .lookup_barcode("4006381333931")
        .await
        .unwrap()
        .unwrap()
        .product;
    assert_eq!(pencil.category_id, eraser.category_id);
    assert_eq!(pencil.tax_rate_bp, 1900);
}

#[tokio::test]
async fn stock_levels_export_by_sku_and_location() {
    let test = TestStore::new().await;
    let tea = test.product("TEA", 250).await;
    let jam = test.product("JAM", 400).await;
    let shop = test
        .store
        .create_location(&test.owner, "Shop, front", LocationKind::Store, None)
        .await
        .unwrap();
    let van = test
        .store
        .create_location(&test.owner, "Van 1", LocationKind::Van, None)
        .await
        .unwrap();
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&test.path);
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options)
            .await
            .unwrap();
        for (product, location, qty_milli) in [(tea, shop, 12_000), (tea, van, 2_500), (jam, shop, -1_000)] {
            sqlx::query("INSERT INTO stock_levels (product_id, location_id, qty_milli) VALUES (?, ?, ?)")
                .bind(product.to_string())
                .bind(location.to_string())
                .bind(qty_milli)
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
    let mut bytes = Vec::new();
    let rows = test.store.export_stock_levels(&test.owner, &mut bytes).await.unwrap();
    assert_eq!(rows, 3);
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        "sku,location,qty\nJAM,\"Shop, front\",-1\nTEA,\"Shop, front\",12\nTEA,Van 1,2.5\n"
    );
}

#[tokio::test]
async fn export_writes_every_field() {
    let test = TestStore::new().await;
    let drinks = test.store.create_category(&test.owner, "Drinks", None).await.unwrap();
    let mut product = NewProduct::simple("COLA-6", "Cola, \"classic\" 6×33cl", eur(499));
    product.brand = Some("Fizz".into());
    product.category_id = Some(drinks);
    product.cost = eur(250);
    product.tax_rate_bp = 2000;
    let cola = test.store.create_product(&test.owner, &product).await.unwrap();
    test.store
        .add_barcode(&test.owner, cola, "5449000000996", stockroom_core::Qty(1000))
        .await
        .unwrap();
    test.store
        .add_barcode(&test.owner, cola, "15449000000993", stockroom_core::Qty(6000))
        .await
        .unwrap();
    let old = test.product("OLD", 100).await;
    test.store.set_product_active(&test.owner, old, false).await.unwrap();
    assert_eq!(
        export(&test).await,
        "sku,name,brand,unit,category,price,cost,currency,tax_rate_bp,barcodes,active\n\
         COLA-6,\"Cola, \"\"classic\"\" 6×33cl\",Fizz,pc,Drinks,4.99,2.50,EUR,2000,15449000000993*6|5449000000996,true\n\
         OLD,Product OLD,,pc,,1.00,0.00,EUR,0,,false\n"
    );
}

/// A product for the round trip, with its barcodes and state.
#[derive(Clone, Debug)]
struct GeneratedProduct {
    name: String,
    brand: Option<String>,
    unit: String,
    category: Option<String>,
    currency: &'static str,
    price_minor: i64,
    cost_minor: i64,
    tax_rate_bp: u32,
    barcodes: Vec<(String, i64)>,
    active: bool,
}

fn text_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,;\"'|*=\\-éüßø日本語🍫\n]{1,24}"
        .prop_map(|text| text.trim().to_string())
        .prop_filter("not blank", |text| !text.is_empty())
}

fn ean13(body: &str) -> String {
    let digits: Vec<u8> = body.bytes().map(|byte| byte - b'0').collect();
    format!("{body}{}", stockroom_core::gtin::check_digit(&digits))
}

fn product_strategy() -> impl Strategy<Value = GeneratedProduct> {
    let barcode = prop_oneof![
        "[1-9][0-9]{11}".prop_map(|body| ean13(&body)),
        "[A-Z]{2}-[0-9]{3}".prop_map(|code| code),
    ];
    (
        text_strategy(),
        prop::option::of(text_strategy()),
        prop::sample::select(vec!["pc", "kg", "l", "box of 6"]),
        prop::option::of(prop::sample::select(vec![
            "Drinks",
            "Snacks, salty",
            "Frühstück \"bio\"",
        ])),
        prop::sample::select(vec!["EUR", "GBP", "JPY", "KWD"]),
        (0i64..10_000_000, 0i64..1_000_000, 0u32..3000),
        prop::collection::vec((barcode, prop::sample::select(vec![1000i64, 500, 6000, 12_000])), 0..3),
        any::<bool>(),
    )
        .prop_map(
            |(name, brand, unit, category, currency, (price_minor, cost_minor, tax_rate_bp), barcodes, active)| {
                GeneratedProduct {
                    name,
                    brand,
                    unit: unit.to_string(),
                    category: category.map(str::to_string),
                    currency,
                    price_minor,
                    cost_minor,
                    tax_rate_bp,
                    barcodes,
                    active,
                }
            },
        )
}

async fn build_catalog(test: &TestStore, products: &[GeneratedProduct]) {
    let mut categories = std::collections::HashMap::new();
    let mut codes = BTreeSet::new();
    for (index, generated) in products.iter().enumerate() {
        let category_id = match &generated.category {
            Some(name) => Some(match categories.get(name) {
                Some(id) => *id,
                None => {
                    let id = test.store.create_category(&test.owner, name, None).await.unwrap();
                    categories.insert(name.clone(), id);
                    id
                }
            }),
            None => None,
        };
        let currency = generated.currency.parse().unwrap();
        let product = NewProduct {
            sku: format!(
                "S{index}-{}",
                generated
                    .name
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .take(3)
                    .collect::<String>()
            ),
            name: generated.name.clone(),
            brand: generated.brand.clone(),
            unit: generated.unit.clone(),
            category_id,
            cost: Money::new(generated.cost_minor, currency),
            price: Money::new(generated.price_minor, currency),
            tax_rate_bp: generated.tax_rate_bp,
        };
        let id = test.store.create_product(&test.owner, &product).await.unwrap();
        for (code, pack_qty_milli) in &generated.barcodes {
            if codes.insert(code.clone()) {
                test.store
                    .add_barcode(&test.owner, id, code, stockroom_core::Qty(*pack_qty_milli))
                    .await
                    .unwrap();
            }
        }
        if !generated.active {
            test.store.set_product_active(&test.owner, id, false).await.unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn export_then_import_rebuilds_the_catalog(products in prop::collection::vec(product_strategy(), 0..8)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let source = TestStore::new().await;
            build_catalog(&source, &products).await;
            let exported = export(&source).await;

            let copy = TestStore::new().await;
            let report = import(&copy, exported.as_bytes(), ImportPreset::Export).await;
            assert_eq!(report.created, products.len() as u64, "{report:#?}");
            assert!(report.skipped.is_empty() && report.flagged.is_empty(), "{report:#?}");
            // Everything the export shows came back, byte for byte.
            assert_eq!(export(&copy).await, exported);
            // And importing the export again changes nothing.
            let again = import(&copy, exported.as_bytes(), ImportPreset::Export).await;
            assert_eq!(again.unchanged, products.len() as u64);
        });
    }
}
