//! The Stockroom app binary: the window (the Tauri shell over the device
//! database in the app-data folder), or with `--headless` a report of the
//! shop's state. `--demo` adds the demo shop on a first start.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use anyhow::Result;
use stockroom::{app_data_dir, open_device_store};
use stockroom_core::demo::seed_demo;

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let with_demo = std::env::args().skip(1).any(|arg| arg == "--demo");
    if std::env::args().skip(1).any(|arg| arg == "--headless") {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        return runtime.block_on(headless(with_demo));
    }
    stockroom::run(with_demo)?;
    Ok(())
}

/// Opens the database, adds the demo shop on request, and reports.
async fn headless(with_demo: bool) -> Result<()> {
    let dir = app_data_dir();
    let store = open_device_store(&dir).await?;
    println!("Stockroom: database {}", dir.join(stockroom::DATABASE_FILE).display());

    if with_demo {
        let owner = match store.users().await?.is_empty() {
            true => Some(store.create_first_owner("owner", "Olive Owner", "1234").await?),
            false => store.sign_in("owner", "1234").await.ok(),
        };
        match owner {
            Some(owner) => match seed_demo(&store, &owner).await? {
                Some(report) => println!(
                    "demo shop added: {} products, {} locations, {} customers, {} sales (owner PIN 1234)",
                    report.products, report.locations, report.customers, report.sales
                ),
                None => println!("the database already has products; demo not added"),
            },
            None => println!("demo not added: the database has users but no owner with the demo PIN"),
        }
    }

    let device = store.device_info().await?;
    println!(
        "device {} ({}), base currency {}",
        device.device_id, device.doc_prefix, device.base_currency
    );
    for location in store.locations().await? {
        let lines = store.stock_at_location(location.id).await?;
        let units: i64 = lines.iter().map(|line| line.qty.milli()).sum();
        println!(
            "  {:<22} {:<9} {:>4} products, {} units in stock",
            location.name,
            location.kind.as_str(),
            lines.len(),
            stockroom_core::Qty(units)
        );
    }
    for sale in store.recent_sales(5).await? {
        println!("  sale {}  {}", sale.number, sale.total);
    }
    println!(
        "unsent ops: {}, open flags: {}",
        store.outbox_len().await?,
        store.flags(true).await?.len()
    );
    if store.users().await?.is_empty() {
        println!("no users yet: run with --demo, or `stockroom-cli init` to create the owner");
    }
    store.close().await;
    Ok(())
}
