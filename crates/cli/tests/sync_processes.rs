//! Sync with real processes: the hub binary on PostgreSQL and two devices
//! (`stockroom-cli` on their own SQLite files), each recording sales while a
//! `stockroom-cli sync --watch` process syncs it. The test kills the hub and
//! a device's sync process with SIGKILL in the middle of pushes, many
//! times, and restarts them. Afterwards both devices must hold the same
//! synced tables, every sale exactly once, and empty outboxes: the outboxes
//! drained by themselves once the hub came back.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

const CLI: &str = env!("CARGO_BIN_EXE_stockroom-cli");
const ROUNDS: usize = 6;
const SALES_PER_ROUND: u64 = 30;
const PASSWORD: &str = "a long hub password";

/// The hub binary: the one `STOCKROOM_HUB_BIN` names (CI's, built with the
/// test suite, so nothing is compiled while tests run), else built (if
/// needed) into the same target folder.
fn hub_binary() -> PathBuf {
    if let Some(built) = std::env::var_os("STOCKROOM_HUB_BIN") {
        let built = PathBuf::from(built);
        assert!(built.is_file(), "STOCKROOM_HUB_BIN names no file: {}", built.display());
        return built;
    }
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "stockroom-server",
            "--bin",
            "stockroom-server",
        ])
        .status()
        .expect("cargo build of the hub");
    assert!(status.success(), "building stockroom-server failed");
    let bin_dir = Path::new(CLI).parent().expect("bin folder").to_path_buf();
    bin_dir.join("stockroom-server")
}

struct Hub {
    binary: PathBuf,
    database_url: String,
    port: u16,
    process: Option<Child>,
    log: PathBuf,
}

impl Hub {
    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("hub log");
        let child = Command::new(&self.binary)
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .env("STOCKROOM_BOOTSTRAP_USERNAME", "owner")
            .env("STOCKROOM_BOOTSTRAP_PASSWORD", PASSWORD)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start hub");
        self.process = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the hub did not start; see {}",
                self.log.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.kill();
    }
}

fn cli(db: &Path) -> Command {
    let mut command = Command::new(CLI);
    command.arg("--db").arg(db).arg("--pin").arg("1234");
    command
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().expect("run stockroom-cli");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn watch(db: &Path) -> Child {
    cli(db)
        .args(["sync", "--watch", "--every-ms", "100"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sync")
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn sales_recorded(output: &str) -> u64 {
    output
        .split_whitespace()
        .next()
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("load said {output:?}"))
}

/// Syncs one device until nothing is left, retrying while the hub starts.
fn drain(db: &Path) {
    for _ in 0..20 {
        let output = cli(db).arg("sync").output().expect("sync");
        if output.status.success() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{} never finished syncing", db.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_and_hub_killed_mid_push_lose_and_double_nothing() {
    join_session_keyring();
    let server = std::env::var("STOCKROOM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
    let name = format!("stockroom_processes_{}", uuid_like());
    let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
        .await
        .expect("PostgreSQL must run on 127.0.0.1:5432 (or set STOCKROOM_TEST_POSTGRES_URL)");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut hub = Hub {
        binary: hub_binary(),
        database_url: format!("{server}/{name}"),
        port,
        process: None,
        log: dir.path().join("hub.log"),
    };
    hub.start();

    let devices: Vec<PathBuf> = ["a.db", "b.db"].iter().map(|file| dir.path().join(file)).collect();
    let mut sales_made = 0;
    for db in &devices {
        run_ok(cli(db).args(["init", "--owner", "owner", "--owner-pin", "1234"]));
        run_ok(cli(db).args([
            "enrol",
            "--hub",
            &hub.url(),
            "--username",
            "owner",
            "--password",
            PASSWORD,
        ]));
    }
    // One shop's demo data, made on the first device; the second gets it
    // by syncing (two devices making the same SKUs would be refused).
    run_ok(cli(&devices[0]).arg("demo"));
    for db in &devices {
        drain(db);
    }

    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut syncs: Vec<Child> = devices.iter().map(|db| watch(db)).collect();
    for round in 0..ROUNDS {
        let loads: Vec<Child> = devices
            .iter()
            .enumerate()
            .map(|(index, db)| {
                cli(db)
                    .args(["load", "--sales", &SALES_PER_ROUND.to_string(), "--lines", "3"])
                    .args(["--seed", &(round * 2 + index).to_string()])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start load")
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.gen_range(100..600)));
        hub.kill();
        let victim = round % devices.len();
        std::thread::sleep(Duration::from_millis(rng.gen_range(50..300)));
        kill(&mut syncs[victim]);
        hub.start();
        syncs[victim] = watch(&devices[victim]);
        for load in loads {
            let output = load.wait_with_output().expect("load");
            assert!(output.status.success(), "load failed");
            sales_made += sales_recorded(&String::from_utf8_lossy(&output.stdout));
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(50..400)));
        // Kill the other device's sync while it pushes what the load wrote.
        let other = (victim + 1) % devices.len();
        kill(&mut syncs[other]);
        syncs[other] = watch(&devices[other]);
    }
    for sync in &mut syncs {
        kill(sync);
    }
    // The network is back for good: a last sync each, twice around.
    for _ in 0..2 {
        for db in &devices {
            drain(db);
        }
    }

    let replicas: Vec<String> = devices.iter().map(|db| run_ok(cli(db).arg("replica"))).collect();
    assert_eq!(replicas[0], replicas[1], "the two devices differ after syncing");
    let sales_rows = replicas[0].lines().filter(|line| line.starts_with("sales\t")).count() as u64;
    // The demo shop holds 4 sales of its own.
    assert_eq!(sales_rows, sales_made + 4, "every sale exactly once on both devices");
    for db in &devices {
        let info = run_ok(cli(db).arg("info"));
        assert!(
            info.contains("unsent ops  0"),
            "{} still has ops waiting:\n{info}",
            db.display()
        );
    }
    hub.kill();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&admin)
        .await
        .unwrap();
}

fn uuid_like() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// A kernel session keyring (the OS keychain on Linux) for this test and
/// the processes it starts: a headless container has none.
fn join_session_keyring() {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: keyctl(JOIN_SESSION_KEYRING, NULL) takes no pointers we own.
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    assert!(
        id >= 0,
        "joining a session keyring failed: {}",
        std::io::Error::last_os_error()
    );
}
