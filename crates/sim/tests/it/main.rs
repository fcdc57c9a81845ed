//! The sync simulation over many seeds, on an SQLite hub and on a
//! PostgreSQL hub. `STOCKROOM_SIM_SEEDS` sets how many seeds the SQLite runs
//! cover (the PostgreSQL run covers a tenth); `STOCKROOM_SIM_SEED` replays
//! one. Seeds that once failed are in `regressions.txt` and run every time.
//!
//! The seeds are split between two tests (every other seed of each hub),
//! each pinned to one CPU with everything it starts. Every SQLite statement is a
//! hand-off to the connection's own thread (sqlx); on one CPU a hand-off is
//! a cheap switch, across CPUs a wake-up of the other one. Measured on the
//! 2-CPU machine: one process on both CPUs spent 14.4 s in the kernel for
//! 300 seeds, the same process pinned to one CPU 4.6 s, in the same wall
//! time; two pinned processes do twice the seeds (BENCHMARKS.md).

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

/// Seeds of the SQLite runs: `STOCKROOM_SIM_SEEDS` (else `default`), with
/// the regressions first.
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

/// Part `part` (0 or 1) of the SQLite seeds: every other one.
fn half_of(seeds: Vec<u64>, part: usize) -> Vec<u64> {
    seeds
        .into_iter()
        .enumerate()
        .filter(|(index, _)| index % 2 == part)
        .map(|(_, seed)| seed)
        .collect()
}

/// Pins the calling thread (and so every thread it starts from now on) to
/// the `index`-th CPU it may run on, counting round; nothing elsewhere.
fn pin_to_cpu(index: usize) {
    #[cfg(target_os = "linux")]
    // SAFETY: `set` is a plain bit set owned here; the calls only read it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return;
        }
        let allowed: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            .filter(|cpu| libc::CPU_ISSET(*cpu, &set))
            .collect();
        if allowed.is_empty() {
            return;
        }
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(allowed[index % allowed.len()], &mut one);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = index;
}

/// Runs `work` on a runtime pinned to one CPU ([`pin_to_cpu`]).
fn on_one_cpu(index: usize, work: impl std::future::Future<Output = ()>) {
    pin_to_cpu(index);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(work);
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
    if seeds.is_empty() {
        return;
    }
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
            let (mut ops, mut orders, mut moves) = (0, 0, 0);
            loop {
                let Some(seed) = queue.lock().unwrap().pop() else { break };
                let dir = root.join(format!("seed-{seed}"));
                std::fs::create_dir_all(&dir).unwrap();
                match run_seed(seed, &config, &template, &hub, &dir).await {
                    Ok(outcome) => {
                        ops += outcome.ops_written;
                        orders += outcome.orders;
                        moves += outcome.customer_moves + outcome.reassignments;
                    }
                    Err(err) => failures.push(format!("seed {seed}: {err:#}")),
                }
                let _ = std::fs::remove_dir_all(&dir);
            }
            (failures, ops, orders, moves)
        });
    }
    let mut failures = Vec::new();
    let (mut ops, mut orders, mut moves) = (0, 0, 0);
    while let Some(done) = workers.join_next().await {
        let (failed, written, decided, moved) = done.expect("worker");
        failures.extend(failed);
        ops += written;
        orders += decided;
        moves += moved;
    }
    eprintln!(
        "{} seeds, {ops} ops written, {orders} orders decided, {moves} scope changes, {} failed",
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
    assert!(seeds.len() < 50 || moves > 0, "no run changed a device's scopes");
}

async fn sqlite_part(part: usize) {
    let dir = tempfile::tempdir_in(scratch_root()).unwrap();
    let store = stockroom_server::open(dir.path().join("hub.db").to_str().unwrap())
        .await
        .unwrap();
    run_all(HubKind { store }, half_of(seeds(200), part), 4).await;
}

/// Half of the seeds on each hub: the SQLite seeds of `part`, then the
/// PostgreSQL seeds of `part`. Two tests, so the two halves run side by
/// side, one per CPU.
fn simulation_part(part: usize) {
    on_one_cpu(part, async move {
        sqlite_part(part).await;
        postgres_part(part).await;
    });
}

#[test]
fn simulation_part_1_of_2() {
    simulation_part(0);
}

#[test]
fn simulation_part_2_of_2() {
    simulation_part(1);
}

/// The PostgreSQL seeds of `part` (a tenth as many as on SQLite, numbered
/// from 1,000,000), on a database of their own; the hub's queries run in
/// PostgreSQL's processes, on any CPU.
async fn postgres_part(part: usize) {
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
    let all: Vec<u64> = (0..count.max(2)).map(|seed| seed + 1_000_000).collect();
    run_all(HubKind { store: store.clone() }, half_of(all, part), 4).await;
    let _ = store.close().await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&admin)
        .await
        .unwrap();
}
