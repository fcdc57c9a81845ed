//! Device-core speed on a 100k-product catalog: CSV import rows/s, barcode
//! lookup and search-as-you-type latency, and a 5-line POS sale with
//! payment under `synchronous=FULL`, with and without the outbox and
//! against `synchronous=NORMAL`, interleaved in one run.
//!
//! `cargo bench -p stockroom-core --bench device [-- --products N --sales N]`
//! Product names come from ../shared/eval/retail (Open Food Facts and UCI
//! Online Retail) when present, else from a built-in word list.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stockroom_core::demo::demo_ean13;
use stockroom_core::ImportPreset;
use stockroom_core::ProductSearch;
use stockroom_core::{
    Durability, LocationKind, PaymentMethod, PaymentRequest, ProductQty, Qty, RandomIds, SaleLineRequest, SaleRequest,
    Session, Store, StoreOptions, SystemClock,
};
use uuid::Uuid;

struct Args {
    products: usize,
    sales: usize,
}

fn args() -> Args {
    let mut parsed = Args {
        products: 100_000,
        sales: 2_000,
    };
    let all: Vec<String> = std::env::args().collect();
    for pair in all.windows(2) {
        match pair[0].as_str() {
            "--products" => parsed.products = pair[1].parse().expect("--products N"),
            "--sales" => parsed.sales = pair[1].parse().expect("--sales N"),
            _ => {}
        }
    }
    parsed
}

/// Latencies of one kind of operation.
struct Samples(Vec<Duration>);

impl Samples {
    fn percentile(&mut self, fraction: f64) -> Duration {
        self.0.sort_unstable();
        let index = ((self.0.len() as f64 * fraction).ceil() as usize).clamp(1, self.0.len()) - 1;
        self.0[index]
    }

    fn mean(&self) -> Duration {
        self.0.iter().sum::<Duration>() / self.0.len() as u32
    }

    fn report(&mut self, name: &str) {
        let (p50, p99, max) = (self.percentile(0.5), self.percentile(0.99), self.percentile(1.0));
        println!(
            "{name:<44} n={:<6} mean {:>8.3} ms  p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
            self.0.len(),
            ms(self.mean()),
            ms(p50),
            ms(p99),
            ms(max)
        );
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// Product names of real shops, when the evaluation data is beside the repository.
fn source_names() -> Vec<String> {
    let eval = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/retail");
    let mut names = Vec::new();
    for (file, column) in [
        ("openfoodfacts/off_products_slim.csv", "product_name"),
        ("online_retail/products.csv", "Description"),
    ] {
        let Ok(mut reader) = csv::Reader::from_path(eval.join(file)) else {
            continue;
        };
        let Some(index) = reader
            .headers()
            .ok()
            .and_then(|headers| headers.iter().position(|name| name == column))
        else {
            continue;
        };
        for record in reader.records().flatten() {
            if let Some(name) = record.get(index).map(str::trim).filter(|name| !name.is_empty()) {
                names.push(name.to_string());
            }
        }
    }
    if names.is_empty() {
        let words = [
            "organic",
            "dark",
            "milk",
            "chocolate",
            "coffee",
            "green",
            "tea",
            "olive",
            "oil",
            "pasta",
            "tomato",
            "sauce",
            "cheese",
            "bread",
            "apple",
            "juice",
            "water",
            "soap",
            "candle",
            "holder",
        ];
        for a in words {
            for b in words {
                names.push(format!("{a} {b}"));
            }
        }
    }
    names
}

/// Writes an N-row product CSV in Stockroom's export layout.
fn write_catalog_csv(path: &Path, n_products: usize, names: &[String]) -> Vec<String> {
    let sizes = [
        "100 g",
        "250 g",
        "500 g",
        "1 kg",
        "330 ml",
        "1 l",
        "6 x 1.5 l",
        "12 pack",
        "",
        "XL",
    ];
    let mut writer = csv::Writer::from_path(path).expect("create CSV");
    writer
        .write_record([
            "sku",
            "name",
            "brand",
            "unit",
            "category",
            "price",
            "cost",
            "currency",
            "tax_rate_bp",
            "barcodes",
            "active",
        ])
        .unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let mut codes = Vec::with_capacity(n_products);
    for index in 0..n_products {
        let code = demo_ean13(10_000_000 + index as u64);
        let name = format!(
            "{} {}",
            names[index % names.len()],
            sizes[(index / names.len()) % sizes.len()]
        );
        let price_cents: u32 = rng.gen_range(50..20_000);
        let price = format!("{}.{:02}", price_cents / 100, price_cents % 100);
        let cost = format!("{}.{:02}", price_cents * 6 / 1000, price_cents * 6 / 10 % 100);
        let tax = if index % 3 == 0 { "2000" } else { "700" };
        writer
            .write_record([
                &format!("SKU{index:07}"),
                &name,
                "",
                "pc",
                "",
                &price,
                &cost,
                "EUR",
                tax,
                &code,
                "true",
            ])
            .unwrap();
        codes.push(code);
    }
    writer.flush().unwrap();
    codes
}

async fn open(path: &Path, durability: Durability, record_outbox: bool) -> Store {
    let options = StoreOptions {
        durability,
        record_outbox,
        ..StoreOptions::default()
    };
    Store::open_with(path, options, Arc::new(SystemClock), Arc::new(RandomIds))
        .await
        .expect("open store")
}

fn sale_request(location: Uuid, products: &[Uuid], rng: &mut StdRng) -> SaleRequest {
    SaleRequest {
        location_id: location,
        customer_id: None,
        lines: (0..5)
            .map(|_| {
                SaleLineRequest::new(
                    products[rng.gen_range(0..products.len())],
                    Qty::units(rng.gen_range(1..4)),
                )
            })
            .collect(),
        discount: None,
        payments: Vec::new(),
    }
}

async fn time_sales(
    store: &Store,
    session: &Session,
    location: Uuid,
    products: &[Uuid],
    n: usize,
    rng: &mut StdRng,
    samples: &mut Samples,
) {
    for _ in 0..n {
        let mut request = sale_request(location, products, rng);
        let quote = store.quote_sale(session, &request).await.expect("quote");
        request.payments = vec![PaymentRequest::new(PaymentMethod::Cash, quote.total)];
        let started = Instant::now();
        store.record_sale(session, &request).await.expect("sale");
        samples.0.push(started.elapsed());
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let csv_path = dir.path().join("catalog.csv");
    let db_path: PathBuf = dir.path().join("bench.db");
    let names = source_names();
    let codes = write_catalog_csv(&csv_path, args.products, &names);
    println!("catalog: {} products from {} source names", args.products, names.len());

    // Import.
    let store = open(&db_path, Durability::Full, true).await;
    let owner = store.create_first_owner("owner", "Owner", "1234").await.unwrap();
    let started = Instant::now();
    let report = store
        .import_products_file(&owner, &csv_path, &ImportPreset::Export.mapping())
        .await
        .expect("import");
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "import {} rows: {:.2} s, {:.0} rows/s (created {}, flagged {}, skipped {})",
        report.rows_read,
        seconds,
        report.rows_read as f64 / seconds,
        report.created,
        report.flagged.len(),
        report.skipped.len()
    );

    // Reopen, as the app would after a bulk import: closing checkpoints the
    // import's WAL, so the reads below measure the steady state rather than
    // a 100k-row checkpoint running beside them.
    store.close().await;
    let store = open(&db_path, Durability::Full, true).await;
    let owner = store.sign_in("owner", "1234").await.unwrap();

    // Barcode lookup: 90 % known codes, 10 % valid codes of no product.
    let mut rng = StdRng::seed_from_u64(2);
    let mut lookups = Samples(Vec::new());
    for round in 0..20_000 {
        let code = if round % 10 == 0 {
            demo_ean13(90_000_000 + round)
        } else {
            codes[rng.gen_range(0..codes.len())].clone()
        };
        let started = Instant::now();
        let hit = store.lookup_barcode(&code).await.expect("lookup");
        lookups.0.push(started.elapsed());
        assert_eq!(hit.is_some(), round % 10 != 0);
    }
    lookups.report("barcode lookup");

    // Search as you type: every keystroke of a name's first 12 characters.
    let mut searches = Samples(Vec::new());
    for _ in 0..500 {
        let name = &names[rng.gen_range(0..names.len())];
        let typed: String = name.chars().take(12).collect();
        for end in typed.char_indices().map(|(index, ch)| index + ch.len_utf8()) {
            let started = Instant::now();
            store
                .search_products(&ProductSearch::new(&typed[..end], 20))
                .await
                .expect("search");
            searches.0.push(started.elapsed());
        }
    }
    searches.report("search as you type (limit 20)");

    // Sales: stock the shelf, then interleave the three set-ups.
    let shop = store
        .create_location(&owner, "Shop", LocationKind::Store, None)
        .await
        .unwrap();
    let mut products = Vec::new();
    for code in codes.iter().step_by(codes.len().max(500) / 500) {
        products.push(store.lookup_barcode(code).await.unwrap().expect("imported").product.id);
    }
    let shelf: Vec<ProductQty> = products
        .iter()
        .map(|id| ProductQty::new(*id, Qty::units(1_000_000)))
        .collect();
    store.receive_goods(&owner, shop, &shelf, None).await.unwrap();
    store.close().await;

    let setups = [
        ("sale, 5 lines + payment, FULL, outbox", Durability::Full, true),
        ("same, FULL, no outbox", Durability::Full, false),
        ("same, NORMAL, outbox", Durability::Normal, true),
    ];
    let mut samples: Vec<Samples> = setups.iter().map(|_| Samples(Vec::new())).collect();
    let rounds = 8;
    for _ in 0..rounds {
        for (index, (_, durability, outbox)) in setups.iter().enumerate() {
            let store = open(&db_path, *durability, *outbox).await;
            let session = store.sign_in("owner", "1234").await.unwrap();
            time_sales(
                &store,
                &session,
                shop,
                &products,
                args.sales / rounds,
                &mut rng,
                &mut samples[index],
            )
            .await;
            store.close().await;
        }
    }
    for (index, (name, _, _)) in setups.iter().enumerate() {
        samples[index].report(name);
    }
    let with_outbox = samples[0].mean().as_secs_f64();
    println!(
        "outbox cost: {:.2}x mean, {:.2}x p50 (same write without it); FULL vs NORMAL: {:.2}x mean",
        with_outbox / samples[1].mean().as_secs_f64(),
        samples[0].percentile(0.5).as_secs_f64() / samples[1].percentile(0.5).as_secs_f64(),
        with_outbox / samples[2].mean().as_secs_f64()
    );
}
