//! The sync simulation over many seeds, on an SQLite hub and on a
//! PostgreSQL hub. `STOCKROOM_SIM_SEEDS` sets how many seeds the SQLite run
//! covers (the PostgreSQL run covers a tenth); `STOCKROOM_SIM_SEED` replays
//! one. Seeds that once failed are in `regressions.txt` and run every time.

mod engine;

use std::path::PathBuf;
use std::sync::Arc;

use stockroom_sim::{run_seed, HubKind, SimConfig, Template};

fn scratch_root() -> PathBuf {
    // Device files on tmpfs when there is one: same files, no disk flushes.
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

fn seeds(default: u64) -> Vec<u64> {
    if let Ok(one) = std::env::var("STOCKROOM_SIM_SEED") {
        return vec![one.parse().expect("STOCKROOM_SIM_SEED is a number")];
    }
    let count = std::env::var("STOCKROOM_SIM_SEEDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default);
    let mut seeds: Vec<u64> = regressions();
    let repeated: Vec<u64> = seeds.clone();
    seeds.extend((0..count).filter(|seed| !repeated.contains(seed)));
    seeds
}

fn regressions() -> Vec<u64> {
    include_str!("regressions.txt")
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|text| !text.is_empty())
        .map(|text| text.parse().expect("a seed per line"))
        .collect()
}

async fn run_all(hub: HubKind, seeds: Vec<u64>, parallel: usize) {
    let root = tempfile::tempdir_in(scratch_root()).expect("scratch folder");
    let template = Arc::new(Template::build(root.path()).await.expect("device template"));
    let events = std::env::var("STOCKROOM_SIM_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let config = SimConfig { devices: 3, events };
    let queue = Arc::new(std::sync::Mutex::new(seeds.clone()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..parallel {
        let (queue, template, hub, config) = (queue.clone(), template.clone(), hub.clone(), config.clone());
        let root = root.path().to_path_buf();
        workers.spawn(async move {
            let mut failures = Vec::new();
            let (mut ops, mut orders) = (0, 0);
            loop {
                let Some(seed) = queue.lock().unwrap().pop() else { break };
                let dir = root.join(format!("seed-{seed}"));
                std::fs::create_dir_all(&dir).unwrap();
                match run_seed(seed, &config, &template, &hub, &dir).await {
                    Ok(outcome) => {
                        ops += outcome.ops_written;
                        orders += outcome.orders;
                    }
                    Err(err) => failures.push(format!("seed {seed}: {err:#}")),
                }
                let _ = std::fs::remove_dir_all(&dir);
            }
            (failures, ops, orders)
        });
    }
    let mut failures = Vec::new();
    let (mut ops, mut orders) = (0, 0);
    while let Some(done) = workers.join_next().await {
        let (failed, written, decided) = done.expect("worker");
        failures.extend(failed);
        ops += written;
        orders += decided;
    }
    eprintln!(
        "{} seeds, {ops} ops written, {orders} orders decided, {} failed",
        seeds.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "failing seeds (add them to regressions.txt):\n{}",
        failures.join("\n")
    );
    assert!(ops > seeds.len(), "the runs wrote almost nothing");
    assert!(seeds.len() < 50 || orders > 0, "no run took an order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulation_on_sqlite_hub() {
    let dir = tempfile::tempdir_in(scratch_root()).unwrap();
    let store = stockroom_server::open(dir.path().join("hub.db").to_str().unwrap())
        .await
        .unwrap();
    run_all(HubKind { store }, seeds(200), 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulation_on_postgres_hub() {
    let server = std::env::var("STOCKROOM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
    let name = format!("stockroom_sim_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
        .await
        .expect("PostgreSQL must run on 127.0.0.1:5432 (or set STOCKROOM_TEST_POSTGRES_URL)");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    let store = stockroom_server::open(&format!("{server}/{name}")).await.unwrap();
    let count = seeds(200).len() as u64 / 10;
    run_all(
        HubKind { store: store.clone() },
        (0..count.max(1)).map(|seed| seed + 1_000_000).collect(),
        4,
    )
    .await;
    let _ = store.close().await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&admin)
        .await
        .unwrap();
}
