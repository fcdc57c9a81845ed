//! Hub benchmarks, printed not asserted: push ingest (several devices
//! pushing batches of 50 realistic ops at once through the router) on
//! PostgreSQL and on SQLite, the bytes an op costs on the wire, and the
//! build of a snapshot of a 100k-product catalog.
//!
//! ```sh
//! cargo bench -p stockroom-server --bench hub
//! cargo bench -p stockroom-server --bench hub -- --devices 4 --batches 100 --catalog 100000
//! ```
//!
//! PostgreSQL is the server at STOCKROOM_TEST_POSTGRES_URL (default
//! postgres://postgres@127.0.0.1:5432); each run makes a fresh database and
//! drops it after. SQLite is a file in a temporary folder (WAL, FULL).

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use stockroom_protocol::ops::{
    AccountEntry, Entity, FieldsSet, Movement, MovementKind, Payment, PaymentMethod, SaleCompleted, SaleLine,
    StockMoved,
};
use stockroom_protocol::sync::{PushRequest, RawOpEnvelope, SCHEMA_VERSION};
use stockroom_protocol::{Hlc, Op, OpEnvelope, PROTOCOL_VERSION};
use stockroom_server::accounts::{self, NewUser};
use stockroom_server::policy::Role;
use stockroom_server::store::{DeviceAuth, Enrolment, PushRules};
use stockroom_server::{AppState, Clock as _, HubStore, SystemClock};
use tower::ServiceExt;
use uuid::Uuid;

const OPS_PER_PUSH: usize = 50;

struct Args {
    devices: usize,
    batches: usize,
    catalog: usize,
}

fn args() -> Args {
    let mut parsed = Args {
        devices: 4,
        batches: 100,
        catalog: 100_000,
    };
    let words: Vec<String> = std::env::args().collect();
    for pair in words.windows(2) {
        let value = pair[1].parse().ok();
        match (pair[0].as_str(), value) {
            ("--devices", Some(value)) => parsed.devices = value,
            ("--batches", Some(value)) => parsed.batches = value,
            ("--catalog", Some(value)) => parsed.catalog = value,
            _ => {}
        }
    }
    parsed
}

fn main() -> Result<()> {
    let args = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        wire_bytes()?;
        println!();
        println!("## push ingest: {} devices at once, {} pushes of {OPS_PER_PUSH} ops each", args.devices, args.batches);
        println!("| backend | ops | seconds | ops/s | push p50 ms | push p99 ms | hub CPU s | PostgreSQL CPU s |");
        println!("|---|---|---|---|---|---|---|---|");
        for backend in [Backend::Postgres, Backend::Sqlite] {
            let database = Database::make(backend).await?;
            let outcome = ingest(&database.url, args.devices, args.batches).await;
            database.drop_it().await?;
            outcome?.print(backend);
        }
        println!();
        println!("## snapshot build: {0} products + {0} barcodes + {0} price-list entries", args.catalog);
        println!("| backend | seed ops/s (store, 1,000 per push) | build seconds | rows | gzip MB | NDJSON bytes per row (est.) |");
        println!("|---|---|---|---|---|---|");
        for backend in [Backend::Postgres, Backend::Sqlite] {
            let database = Database::make(backend).await?;
            let outcome = snapshot_build(&database.url, args.catalog).await;
            database.drop_it().await?;
            outcome?;
        }
        Ok(())
    })
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Postgres,
    Sqlite,
}

/// A fresh database for one measurement.
struct Database {
    url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Database {
    async fn make(backend: Backend) -> Result<Database> {
        match backend {
            Backend::Postgres => {
                let server = std::env::var("STOCKROOM_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
                let name = format!("stockroom_hub_bench_{}", Uuid::now_v7().simple());
                let admin = PgPool::connect(&format!("{server}/postgres")).await?;
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await?;
                admin.close().await;
                Ok(Database {
                    url: format!("{server}/{name}"),
                    postgres: Some((server, name)),
                    _dir: None,
                })
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir()?;
                let path = dir.path().join("hub.db");
                Ok(Database {
                    url: path.to_str().context("utf-8 path")?.to_string(),
                    postgres: None,
                    _dir: Some(dir),
                })
            }
        }
    }

    async fn drop_it(self) -> Result<()> {
        if let Some((server, name)) = self.postgres {
            let admin = PgPool::connect(&format!("{server}/postgres")).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin)
                .await?;
            admin.close().await;
        }
        Ok(())
    }
}

/// An enrolled device.
struct Device {
    device_id: Uuid,
    epoch: u32,
    user_id: Uuid,
    token: String,
    auth: DeviceAuth,
}

async fn tenant_with_devices(store: &Arc<dyn HubStore>, count: usize) -> Result<Vec<Device>> {
    let now_ms = SystemClock.now_ms();
    let user = NewUser {
        tenant_name: "Bench Shop".into(),
        username: "owner".into(),
        display_name: "Owner".into(),
        role: Role::Owner,
        password: "bench password".into(),
    };
    let added = accounts::add_user(&**store, user, now_ms).await?;
    let mut devices = Vec::with_capacity(count);
    for index in 0..count {
        let (token, token_hash) = accounts::new_session_token();
        let device_id = Uuid::now_v7();
        let enrolment = Enrolment {
            tenant_id: added.tenant_id,
            user_id: added.user_id,
            device_id,
            device_name: Some(format!("till {index}")),
            token_hash,
            now_ms,
        };
        let epoch = store.enrol_device(&enrolment).await?;
        let auth = store.authenticate(token_hash).await?.context("enrolled device")?;
        devices.push(Device {
            device_id,
            epoch,
            user_id: added.user_id,
            token,
            auth,
        });
    }
    Ok(devices)
}

/// Catalog ids the generated ops refer to.
fn product(index: usize) -> Uuid {
    Uuid::from_u128(0x1000_0000 + (index % 1000) as u128)
}

fn location() -> Uuid {
    Uuid::from_u128(0x2000_0000)
}

/// The `index`-th op of a device's realistic mix: 4 in 10 sales of 3-5
/// lines (each line with its stock movement, paid by card), 3 in 10 stock
/// moves (receipts, adjustments), 3 in 10 catalog edits (`fields.set`).
fn realistic_op(index: usize) -> Op {
    match index % 10 {
        0..=3 => {
            let sale_id = Uuid::now_v7();
            let n_lines = 3 + index % 3;
            let lines: Vec<SaleLine> = (0..n_lines)
                .map(|line_idx| SaleLine {
                    id: Uuid::now_v7(),
                    line_no: line_idx as u32 + 1,
                    product_id: product(index * 7 + line_idx),
                    qty_milli: 1000 * (1 + line_idx as i64 % 2),
                    unit_price_minor: 199 + 50 * line_idx as i64,
                    discount_minor: 0,
                    tax_rate_bp: 2000,
                    tax_minor: 40,
                    total_minor: 239 + 50 * line_idx as i64,
                })
                .collect();
            let total: i64 = lines.iter().map(|line| line.total_minor).sum();
            let movements = lines
                .iter()
                .map(|line| Movement {
                    id: Uuid::now_v7(),
                    kind: MovementKind::Sale,
                    product_id: line.product_id,
                    location_id: location(),
                    qty_milli: -line.qty_milli,
                    hlc: Hlc::new(SystemClock.now_ms(), 0),
                    ref_id: Some(sale_id),
                    reason: None,
                })
                .collect();
            Op::SaleCompleted(SaleCompleted {
                id: sale_id,
                number: format!("D01-{index:06}"),
                location_id: location(),
                customer_id: None,
                currency: "EUR".into(),
                subtotal_minor: total,
                discount_minor: 0,
                tax_minor: 40 * n_lines as i64,
                total_minor: total,
                change_minor: 0,
                lines,
                payments: vec![Payment {
                    id: Uuid::now_v7(),
                    method: PaymentMethod::Card,
                    currency: "EUR".into(),
                    amount_minor: total,
                    rate_micros: 1_000_000,
                    doc_amount_minor: total,
                }],
                movements,
                account_entries: Vec::<AccountEntry>::new(),
            })
        }
        4..=6 => {
            let kind = if index.is_multiple_of(2) {
                MovementKind::Receive
            } else {
                MovementKind::Adjustment
            };
            let movements = (0..1 + index % 2)
                .map(|move_idx| Movement {
                    id: Uuid::now_v7(),
                    kind,
                    product_id: product(index + move_idx),
                    location_id: location(),
                    qty_milli: 12_000,
                    hlc: Hlc::new(SystemClock.now_ms(), 0),
                    ref_id: None,
                    reason: Some("delivery".into()),
                })
                .collect();
            Op::StockMoved(StockMoved {
                movements,
                transfer: None,
            })
        }
        _ => {
            let fields = json!({"name": format!("Product {}", index % 1000), "price_minor": 199 + index as i64 % 300});
            let Value::Object(fields) = fields else { unreachable!() };
            Op::FieldsSet(FieldsSet {
                entity: Entity::Product,
                row_id: product(index),
                fields,
            })
        }
    }
}

fn envelope(device: &Device, seq: u64, op: Op) -> OpEnvelope {
    OpEnvelope {
        op_id: Uuid::now_v7(),
        device_id: device.device_id,
        epoch: device.epoch,
        seq,
        hlc: Hlc::new(SystemClock.now_ms() - 60_000, seq as u32),
        user_id: device.user_id,
        type_version: 1,
        op,
    }
}

fn push_body(device: &Device, ops: Vec<OpEnvelope>) -> Vec<u8> {
    let request = PushRequest {
        protocol_version: PROTOCOL_VERSION,
        schema_version: SCHEMA_VERSION,
        device_id: device.device_id,
        epoch: device.epoch,
        ops,
    };
    serde_json::to_vec(&request).expect("a push body")
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Bytes per op of a 50-op push body, raw JSON and gzip.
fn wire_bytes() -> Result<()> {
    let device = Device {
        device_id: Uuid::now_v7(),
        epoch: 1,
        user_id: Uuid::now_v7(),
        token: String::new(),
        auth: DeviceAuth {
            tenant_id: Uuid::nil(),
            device_id: Uuid::nil(),
            epoch: 1,
            enrolled_by: Uuid::nil(),
            enrolled_by_role: Role::Owner,
            user_active: true,
            location_id: None,
            customers_version: 0,
        },
    };
    println!("## bytes per op on the wire (a push body of {OPS_PER_PUSH} ops / {OPS_PER_PUSH})");
    println!("| ops | JSON bytes/op | gzip bytes/op |");
    println!("|---|---|---|");
    // Each mix: a label and which op of the realistic sequence the n-th is.
    type Pick = fn(usize) -> usize;
    let mixes: [(&str, Pick); 4] = [
        ("realistic mix (4 sales : 3 stock moves : 3 fields.set)", |index| index),
        ("sales, 3-5 lines", |index| (index / 4) * 10 + index % 4),
        ("stock moves", |index| 4 + index % 3),
        ("fields.set (product name + price)", |index| 7 + index % 3 + 10 * index),
    ];
    for (label, pick) in mixes {
        let ops = (0..OPS_PER_PUSH)
            .map(|index| envelope(&device, index as u64 + 1, realistic_op(pick(index))))
            .collect();
        let body = push_body(&device, ops);
        let packed = gzip(&body)?;
        println!(
            "| {label} | {:.0} | {:.0} |",
            body.len() as f64 / OPS_PER_PUSH as f64,
            packed.len() as f64 / OPS_PER_PUSH as f64
        );
    }
    Ok(())
}

struct Ingest {
    ops: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    hub_cpu: f64,
    postgres_cpu: f64,
}

/// CPU seconds (user + system) a process has used, from /proc.
fn cpu_seconds(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11..13)
        .map_or(0.0, |times| times.iter().filter_map(|t| t.parse::<f64>().ok()).sum());
    ticks / 100.0
}

/// CPU seconds used so far by every PostgreSQL process on this machine.
fn postgres_cpu_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|byte| byte.is_ascii_digit()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "postgres"))
        .map(|pid| cpu_seconds(&pid))
        .sum()
}

impl Ingest {
    fn print(mut self, backend: Backend) {
        self.latencies.sort();
        let at = |share: f64| {
            let index = ((self.latencies.len() as f64 * share) as usize).min(self.latencies.len() - 1);
            self.latencies[index].as_secs_f64() * 1000.0
        };
        println!(
            "| {backend:?} | {} | {:.2} | {:.0} | {:.1} | {:.1} | {:.2} | {:.2} |",
            self.ops,
            self.elapsed.as_secs_f64(),
            self.ops as f64 / self.elapsed.as_secs_f64(),
            at(0.5),
            at(0.99),
            self.hub_cpu,
            self.postgres_cpu,
        );
    }
}

/// Several devices push their batches at once, through the router.
async fn ingest(url: &str, n_devices: usize, n_batches: usize) -> Result<Ingest> {
    let store = stockroom_server::open(url).await?;
    let devices = tenant_with_devices(&store, n_devices).await?;
    let app = stockroom_server::router(AppState::new(store.clone()));
    // Bodies made before the clock starts: only the hub is measured.
    let mut work = Vec::new();
    for device in &devices {
        let bodies: Vec<Vec<u8>> = (0..n_batches)
            .map(|batch| {
                let ops = (0..OPS_PER_PUSH)
                    .map(|index| {
                        let n = batch * OPS_PER_PUSH + index;
                        envelope(device, n as u64 + 1, realistic_op(n))
                    })
                    .collect();
                push_body(device, ops)
            })
            .collect();
        work.push((device.token.clone(), bodies));
    }
    let (hub_cpu, postgres_cpu) = (cpu_seconds("self"), postgres_cpu_seconds());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (token, bodies) in work {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(bodies.len());
            for body in bodies {
                let request = Request::post("/v1/sync/push")
                    .header(AUTHORIZATION, format!("Bearer {token}"))
                    .header(CONTENT_TYPE, "application/json")
                    .body(Body::from(body))?;
                let sent = Instant::now();
                let response = app.clone().oneshot(request).await?;
                let status = response.status();
                let answer = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
                latencies.push(sent.elapsed());
                ensure!(
                    status == StatusCode::OK,
                    "push: {status} {}",
                    String::from_utf8_lossy(&answer)
                );
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    let hub_cpu = cpu_seconds("self") - hub_cpu;
    let postgres_cpu = postgres_cpu_seconds() - postgres_cpu;
    store.close().await?;
    Ok(Ingest {
        ops: n_devices * n_batches * OPS_PER_PUSH,
        elapsed,
        latencies,
        hub_cpu,
        postgres_cpu,
    })
}

/// Seeds a catalog through the store's push, then builds its snapshot.
async fn snapshot_build(url: &str, catalog: usize) -> Result<()> {
    let store = stockroom_server::open(url).await?;
    let devices = tenant_with_devices(&store, 1).await?;
    let device = &devices[0];
    let price_list = Uuid::from_u128(0x3000_0000);
    let record = |entity: Entity, index: usize, fields: Value| {
        let Value::Object(fields) = fields else { unreachable!() };
        Op::FieldsSet(FieldsSet {
            entity,
            row_id: Uuid::from_u128(((entity as u128) << 64) + index as u128),
            fields,
        })
    };
    let product_id = |index: usize| Uuid::from_u128(((Entity::Product as u128) << 64) + index as u128);
    let seeded = Instant::now();
    let mut seq = 0u64;
    let n_ops = catalog * 3;
    for chunk_start in (0..n_ops).step_by(1000) {
        let ops: Vec<RawOpEnvelope> = (chunk_start..(chunk_start + 1000).min(n_ops))
            .map(|n| {
                let index = n / 3;
                let op = match n % 3 {
                    0 => record(
                        Entity::Product,
                        index,
                        json!({"sku": format!("SKU-{index:06}"), "name": format!("Product number {index}"),
                               "unit": "pcs", "category_id": Uuid::from_u128(index as u128 % 40),
                               "cost_minor": 120 + index % 500, "price_minor": 199 + index % 700,
                               "tax_rate_bp": 2000, "active": true}),
                    ),
                    1 => record(
                        Entity::Barcode,
                        index,
                        json!({"product_id": product_id(index), "code": format!("40{index:011}"), "pack_qty_milli": 1000}),
                    ),
                    _ => record(
                        Entity::PriceListEntry,
                        index,
                        json!({"price_list_id": price_list, "product_id": product_id(index),
                               "price_minor": 189 + index % 700, "currency": "EUR"}),
                    ),
                };
                seq += 1;
                RawOpEnvelope::from(&envelope(device, seq, op))
            })
            .collect();
        let rules = PushRules {
            now_ms: SystemClock.now_ms(),
            max_future_ms: 600_000,
        };
        let report = store.push(&device.auth, &ops, rules).await?;
        ensure!(
            report.acked_through_seq == seq,
            "seeding stopped at {}",
            report.acked_through_seq
        );
    }
    let seed_rate = n_ops as f64 / seeded.elapsed().as_secs_f64();
    let built_at = Instant::now();
    let snapshot = stockroom_server::snapshot::build(
        &*store,
        device.auth.tenant_id,
        device.auth.grant(),
        SystemClock.now_ms(),
    )
    .await?;
    let build_seconds = built_at.elapsed().as_secs_f64();
    let mut ndjson = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&snapshot.body[..]), &mut ndjson)?;
    println!(
        "| {} | {:.0} | {:.2} | {} | {:.1} | {:.0} |",
        store_label(&*store),
        seed_rate,
        build_seconds,
        snapshot.rows,
        snapshot.body.len() as f64 / 1e6,
        ndjson.len() as f64 / snapshot.rows.max(1) as f64
    );
    store.close().await?;
    Ok(())
}

fn store_label(store: &dyn HubStore) -> String {
    format!("{:?}", store.backend())
}
