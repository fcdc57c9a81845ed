//! "New device ready": a hub holds a catalog of 100k products, 100k
//! barcodes and 100k price-list entries; a new device asks for the snapshot
//! over HTTP, loads it, and looks up a barcode. Printed, not asserted: the
//! time from the request to the first lookup resolving, split into the
//! download and the load, with the snapshot cold (the hub builds it) and
//! warm (cached for the fleet).
//!
//! ```sh
//! cargo bench -p stockroom-sim --bench new_device
//! cargo bench -p stockroom-sim --bench new_device -- 20000   # catalog size
//! ```
//!
//! The hub runs on SQLite in a temporary folder, in this process, on a real
//! socket; the catalog reaches it as pushed `fields.set` ops.

use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use stockroom_core::sync::{HttpHub, HubLink};
use stockroom_core::{Durability, Store, StoreOptions};
use stockroom_protocol::ops::{Entity, FieldsSet};
use stockroom_protocol::sync::RawOpEnvelope;
use stockroom_protocol::{Hlc, Op, OpEnvelope};
use stockroom_server::accounts::{self, NewUser};
use stockroom_server::policy::Role;
use stockroom_server::store::{Enrolment, PushRules};
use stockroom_server::{AppState, Clock as _, SystemClock};
use uuid::Uuid;

fn id(entity: Entity, index: usize) -> Uuid {
    Uuid::from_u128(((entity as u128 + 1) << 64) + index as u128)
}

fn fields(entity: Entity, index: usize, fields: Value) -> Op {
    let Value::Object(fields) = fields else {
        unreachable!("objects only")
    };
    Op::FieldsSet(FieldsSet {
        entity,
        row_id: id(entity, index),
        fields,
    })
}

/// The catalog as ops: one price list, then per product its record, its
/// barcode and its price-list entry.
fn catalog_op(n: usize) -> Op {
    if n == 0 {
        return fields(
            Entity::PriceList,
            0,
            json!({"name": "Wholesale", "currency": "EUR", "tier": "wholesale", "region": null, "active": true}),
        );
    }
    let index = (n - 1) / 3;
    match (n - 1) % 3 {
        0 => fields(
            Entity::Product,
            index,
            json!({"sku": format!("SKU-{index:06}"), "name": format!("Product number {index}"), "brand": "Bench",
                   "unit": "pc", "category_id": null, "currency": "EUR", "cost_minor": 120 + index % 500,
                   "price_minor": 199 + index % 700, "tax_rate_bp": 2000, "active": true}),
        ),
        1 => fields(
            Entity::Barcode,
            index,
            json!({"product_id": id(Entity::Product, index),
                   "code": stockroom_core::demo::demo_ean13(index as u64), "pack_qty_milli": 1000, "active": true}),
        ),
        _ => fields(
            Entity::PriceListEntry,
            index,
            json!({"price_list_id": id(Entity::PriceList, 0), "product_id": id(Entity::Product, index),
                   "price_minor": 189 + index % 700, "active": true}),
        ),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let catalog: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let store = stockroom_server::open(dir.path().join("hub.db").to_str().context("path")?).await?;
    let now_ms = SystemClock.now_ms();
    let added = accounts::add_user(
        &*store,
        NewUser {
            tenant_name: "Bench Shop".into(),
            username: "owner".into(),
            display_name: "Owner".into(),
            role: Role::Owner,
            password: "bench password".into(),
        },
        now_ms,
    )
    .await?;
    let enrol = |device_id: Uuid| {
        let (token, token_hash) = accounts::new_session_token();
        (
            token,
            Enrolment {
                tenant_id: added.tenant_id,
                user_id: added.user_id,
                device_id,
                device_name: None,
                token_hash,
                now_ms,
            },
        )
    };

    // The catalog reaches the hub from a back-office device.
    let seeder = Uuid::now_v7();
    let (_, enrolment) = enrol(seeder);
    let epoch = store.enrol_device(&enrolment).await?;
    let auth = store.authenticate(enrolment.token_hash).await?.context("seeder")?;
    let seeded = Instant::now();
    let n_ops = 1 + catalog * 3;
    for start in (0..n_ops).step_by(1000) {
        let ops: Vec<RawOpEnvelope> = (start..(start + 1000).min(n_ops))
            .map(|n| {
                RawOpEnvelope::from(&OpEnvelope {
                    op_id: Uuid::now_v7(),
                    device_id: seeder,
                    epoch,
                    seq: n as u64 + 1,
                    hlc: Hlc::new(now_ms, n as u32 % 60_000),
                    user_id: added.user_id,
                    type_version: 1,
                    op: catalog_op(n),
                })
            })
            .collect();
        let rules = PushRules {
            now_ms,
            max_future_ms: 600_000,
        };
        store.push(&auth, &ops, rules).await?;
    }
    println!(
        "hub seeded with {catalog} products + barcodes + price-list entries ({n_ops} ops) in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let state = AppState::new(store.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(stockroom_server::run(listener, state, async {
        let _ = stopped.await;
    }));
    let base = format!("http://{address}");
    let wanted = stockroom_core::demo::demo_ean13(catalog as u64 / 2);

    for round in ["cold (the hub builds the snapshot)", "warm (cached for the fleet)"] {
        let device_dir = tempfile::tempdir()?;
        let device = Store::open(
            &device_dir.path().join("device.db"),
            StoreOptions {
                durability: Durability::Full,
                ..StoreOptions::default()
            },
        )
        .await?;
        let device_id = device.device_info().await?.device_id;
        let (token, enrolment) = enrol(device_id);
        let epoch = store.enrol_device(&enrolment).await?;
        device
            .record_enrolment(&base, added.tenant_id, device_id, epoch, SystemClock.now_ms())
            .await?;
        let link = HttpHub::new(&base, &token).map_err(|err| anyhow::anyhow!(err.detail))?;

        let started = Instant::now();
        let body = link.snapshot().await.map_err(|err| anyhow::anyhow!(err.detail))?;
        let downloaded = started.elapsed();
        let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(body.as_slice()));
        let loaded = device.load_snapshot(reader).await?;
        let hit = device.lookup_barcode(&wanted).await?.context("the barcode resolves")?;
        let ready = started.elapsed();
        println!(
            "new device ready, {round}: {:.2} s (download {:.2} s, {:.1} MB gzip; load {:.2} s, {} rows, {:.0} rows/s) -> {}",
            ready.as_secs_f64(),
            downloaded.as_secs_f64(),
            body.len() as f64 / 1e6,
            (ready - downloaded).as_secs_f64(),
            loaded.rows,
            loaded.rows as f64 / ready.as_secs_f64(),
            hit.product.sku
        );
        device.close().await;
    }
    let _ = stop.send(());
    server.await??;
    Ok(())
}
