//! `stockroom-cli`: a command-line tool over a Stockroom device database:
//! create one (optionally with demo data), import and export products,
//! look up barcodes, search, list stock and flags, and generate sales load;
//! and decode the barcodes in image files (no database needed).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use stockroom_core::ImportPreset;
use stockroom_core::ProductSearch;
use stockroom_core::{Session, Store, StoreOptions};

mod decode;
mod load;
mod sync;
mod thumb;

#[derive(Parser)]
#[command(name = "stockroom-cli", version, about = "Work with a Stockroom device database")]
struct Cli {
    /// The device database file (created when missing).
    #[arg(long, env = "STOCKROOM_DB", default_value = "stockroom.db")]
    db: PathBuf,
    /// The user to act as, for commands that change data.
    #[arg(long, env = "STOCKROOM_USER", default_value = "owner")]
    user: String,
    /// That user's PIN.
    #[arg(long, env = "STOCKROOM_PIN", hide_env_values = true)]
    pin: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the first owner of a new database.
    Init {
        #[arg(long, default_value = "owner")]
        owner: String,
        #[arg(long)]
        owner_pin: String,
    },
    /// Fill a new database with the demo shop (owner `owner`, PIN 1234).
    Demo,
    /// Device identity, pending outbox ops, counts.
    Info,
    /// Import products from CSV or TSV (optionally .gz).
    Import {
        /// export, open_food_facts_slim, open_food_facts_tsv or online_retail_products.
        #[arg(long)]
        preset: String,
        file: PathBuf,
    },
    /// Export products or stock levels as CSV.
    Export {
        #[arg(value_parser = ["products", "stock"])]
        what: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Find the product of a barcode (EAN/UPC normalised, or exact text).
    Lookup { code: String },
    /// Search products by name, SKU or brand, as you type.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Stock by location.
    Stock,
    /// Rule breaches raised for a manager.
    Flags {
        /// Include resolved flags.
        #[arg(long)]
        all: bool,
    },
    /// Record random POS sales at a location, one per transaction (load
    /// generator for crash and speed tests).
    Load {
        #[arg(long)]
        sales: u64,
        #[arg(long, default_value_t = 5)]
        lines: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Sign this device in to a hub with a hub user's name and password.
    /// The session token goes to the OS keychain; the hub user becomes a
    /// user of this device (with `--user-pin` as their PIN here).
    Enrol {
        /// The hub's address, e.g. http://10.0.0.2:7700.
        #[arg(long, env = "STOCKROOM_HUB")]
        hub: String,
        #[arg(long)]
        username: String,
        #[arg(long, env = "STOCKROOM_HUB_PASSWORD", hide_env_values = true)]
        password: String,
        /// PIN of the hub user on this device.
        #[arg(long)]
        user_pin: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Push the outbox and pull the hub's changes.
    Sync {
        /// Keep syncing (pushing as soon as ops are written, pulling every
        /// `--every-ms`) until stopped.
        #[arg(long)]
        watch: bool,
        /// In watch mode, how often to look for new ops and changes.
        #[arg(long, default_value_t = 2_000)]
        every_ms: u64,
    },
    /// The synced tables, one row per line, to compare devices.
    Replica,
    /// The barcodes in image files (JPEG, PNG): one line per code,
    /// PATH<TAB>FORMAT<TAB>TEXT, TEXT with \\ \t \r \n escaped. Exit 1 when
    /// a file could not be read (reported on standard error).
    Decode {
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Product photo thumbnails: one `<stem>.<size>.<jpg|webp>` per input
    /// in DIR; an error line per unreadable input on stderr, exit status 1
    /// if any input failed. Needs no database.
    Thumb {
        /// Long side in pixels (never enlarged).
        #[arg(long)]
        size: u32,
        /// jpeg or webp.
        #[arg(long, default_value = "jpeg")]
        format: String,
        /// Output directory (created when missing).
        #[arg(long)]
        out: PathBuf,
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match start().await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn start() -> Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Command::Decode { images } = &cli.command {
        return Ok(decode::run(images));
    }
    if let Command::Thumb {
        size,
        format,
        out,
        images,
    } = &cli.command
    {
        let failed = thumb::run(*size, format, out, images)?;
        if failed > 0 {
            bail!("{failed} of {} images failed", images.len());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = Store::open(&cli.db, StoreOptions::default())
        .await
        .with_context(|| format!("opening {}", cli.db.display()))?;
    let result = run(&cli, &store).await;
    store.close().await;
    result.map(|()| ExitCode::SUCCESS)
}

async fn sign_in(cli: &Cli, store: &Store) -> Result<Session> {
    let Some(pin) = &cli.pin else {
        bail!(
            "this command changes data: give --pin (or STOCKROOM_PIN) for user {:?}",
            cli.user
        );
    };
    store
        .sign_in(&cli.user, pin)
        .await
        .with_context(|| format!("signing in as {:?}", cli.user))
}

async fn run(cli: &Cli, store: &Store) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match &cli.command {
        Command::Init { owner, owner_pin } => {
            store.create_first_owner(owner, owner, owner_pin).await?;
            writeln!(out, "created owner {owner:?} in {}", cli.db.display())?;
        }
        Command::Demo => {
            let owner = match store.users().await?.is_empty() {
                true => store.create_first_owner("owner", "Olive Owner", "1234").await?,
                false => sign_in(cli, store).await?,
            };
            match stockroom_core::demo::seed_demo(store, &owner).await? {
                Some(report) => writeln!(
                    out,
                    "demo shop created: {} products, {} locations, {} customers, {} sales",
                    report.products, report.locations, report.customers, report.sales
                )?,
                None => writeln!(out, "the database already has products; demo data not added")?,
            }
        }
        Command::Info => {
            let device = store.device_info().await?;
            writeln!(out, "device      {} (epoch {})", device.device_id, device.epoch)?;
            writeln!(out, "numbers     {}-…", device.doc_prefix)?;
            writeln!(out, "currency    {}", device.base_currency)?;
            writeln!(out, "unsent ops  {}", store.outbox_len().await?)?;
            writeln!(out, "open flags  {}", store.flags(true).await?.len())?;
            writeln!(out, "users       {}", store.users().await?.len())?;
            writeln!(out, "locations   {}", store.locations().await?.len())?;
        }
        Command::Import { preset, file } => {
            let session = sign_in(cli, store).await?;
            let mapping = ImportPreset::parse(preset)?.mapping();
            let started = std::time::Instant::now();
            let report = store.import_products_file(&session, file, &mapping).await?;
            let seconds = started.elapsed().as_secs_f64();
            writeln!(
                out,
                "{} rows read: {} created, {} updated, {} unchanged, {} skipped, {} flagged ({:.0} rows/s)",
                report.rows_read,
                report.created,
                report.updated,
                report.unchanged,
                report.skipped.len(),
                report.flagged.len(),
                report.rows_read as f64 / seconds.max(1e-9)
            )?;
            for issue in report.skipped.iter().chain(&report.flagged).take(50) {
                writeln!(out, "  line {}: {} {}", issue.line, issue.issue.as_str(), issue.detail)?;
            }
        }
        Command::Export { what, out: path } => {
            let session = sign_in(cli, store).await?;
            let writer: Box<dyn Write + Send> = match path {
                Some(path) => Box::new(std::fs::File::create(path)?),
                None => Box::new(std::io::stdout()),
            };
            let rows = match what.as_str() {
                "products" => store.export_products(&session, writer).await?,
                _ => store.export_stock_levels(&session, writer).await?,
            };
            if path.is_some() {
                writeln!(out, "{rows} rows exported")?;
            }
        }
        Command::Lookup { code } => match store.lookup_barcode(code).await? {
            Some(hit) => writeln!(
                out,
                "{}\t{}\t{}\tpack {}\t{}{}",
                hit.code,
                hit.product.sku,
                hit.product.name,
                stockroom_core::Qty(hit.pack_qty_milli),
                hit.product.price,
                if hit.product.active { "" } else { "\t(archived)" }
            )?,
            None => bail!("no product has barcode {code:?}"),
        },
        Command::Search { text, limit } => {
            for product in store.search_products(&ProductSearch::new(text, *limit)).await? {
                writeln!(out, "{}\t{}\t{}", product.sku, product.name, product.price)?;
            }
        }
        Command::Stock => {
            for location in store.locations().await? {
                writeln!(out, "{} ({})", location.name, location.kind.as_str())?;
                for line in store.stock_at_location(location.id).await? {
                    writeln!(
                        out,
                        "  {:<12} {:<40} {:>10} {}",
                        line.sku, line.name, line.qty, line.unit
                    )?;
                }
            }
        }
        Command::Flags { all } => {
            for flag in store.flags(!all).await? {
                let state = if flag.resolved { "resolved" } else { "open" };
                writeln!(out, "{}\t{}\t{}", flag.code.as_str(), state, flag.detail)?;
            }
        }
        Command::Load { sales, lines, seed } => {
            let session = sign_in(cli, store).await?;
            let recorded = load::record_sales(store, &session, *sales, *lines, *seed).await?;
            writeln!(out, "{recorded} sales recorded")?;
        }
        Command::Enrol {
            hub,
            username,
            password,
            user_pin,
            name,
        } => {
            let enrolled = sync::enrol(store, hub, username, password, user_pin.as_deref(), name.as_deref()).await?;
            writeln!(out, "{enrolled}")?;
        }
        Command::Sync { watch, every_ms } => {
            let report = sync::sync(store, *watch, std::time::Duration::from_millis(*every_ms)).await?;
            writeln!(out, "{report}")?;
        }
        Command::Decode { .. } => unreachable!("decode runs without a database"),
        Command::Thumb { .. } => unreachable!("handled before the database is opened"),
        Command::Replica => {
            for (table, rows) in store.replica_rows().await? {
                for row in rows {
                    writeln!(out, "{table}\t{row}")?;
                }
            }
        }
    }
    Ok(())
}
