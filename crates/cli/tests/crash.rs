//! Crash safety with real processes: `stockroom-cli load` records sales
//! while this test kills it with SIGKILL at random moments, many times, on
//! one database file. After every kill the file must be whole: each sale
//! has all its lines, movements and its one outbox op, and nothing else.
//! A killed process leaves the OS page cache intact, so this proves
//! atomicity under process death, not durability under power loss (that is
//! `synchronous=FULL`'s job, measured in BENCHMARKS.md).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

const CLI: &str = env!("CARGO_BIN_EXE_stockroom-cli");
const KILLS: usize = 12;

fn cli(db: &Path) -> Command {
    let mut command = Command::new(CLI);
    command.arg("--db").arg(db).arg("--pin").arg("1234");
    command
}

async fn scalar(conn: &mut SqliteConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(conn)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

/// Checks every invariant a crash must not break; returns the number of sales.
async fn check_whole(db: &Path) -> i64 {
    let options = SqliteConnectOptions::new().filename(db);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .expect("open after crash");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");

    let sales = scalar(&mut conn, "SELECT count(*) FROM sales").await;
    let sale_ops = scalar(
        &mut conn,
        "SELECT count(*) FROM outbox WHERE op_type = 'sale.completed'",
    )
    .await;
    assert_eq!(sales, sale_ops, "each sale has exactly one op");
    let ops_without_sale = scalar(
        &mut conn,
        "SELECT count(*) FROM outbox o WHERE op_type = 'sale.completed'
         AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.id = json_extract(o.payload, '$.id'))",
    )
    .await;
    assert_eq!(ops_without_sale, 0, "no op for a sale that is not there");
    let incomplete = scalar(
        &mut conn,
        "SELECT count(*) FROM sales s WHERE
            (SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id) = 0
         OR (SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id)
            != (SELECT count(*) FROM stock_movements m WHERE m.ref_id = s.id AND m.kind = 'sale')
         OR (SELECT count(*) FROM payments p WHERE p.doc_id = s.id) = 0
         OR (SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id)
            != json_array_length((SELECT payload FROM outbox o WHERE json_extract(o.payload, '$.id') = s.id), '$.lines')",
    )
    .await;
    assert_eq!(incomplete, 0, "every sale is complete: lines, movements, payment, op");

    let (n_ops, min_seq, max_seq): (i64, i64, i64) =
        sqlx::query_as("SELECT count(*), coalesce(min(seq), 1), coalesce(max(seq), 0) FROM outbox")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((min_seq, max_seq), (1, n_ops), "outbox sequence is contiguous from 1");
    let next_seq = scalar(&mut conn, "SELECT next_seq FROM device_state").await;
    assert_eq!(next_seq, max_seq + 1, "the device's next sequence follows the outbox");

    let numbers = scalar(&mut conn, "SELECT count(DISTINCT number) FROM sales").await;
    assert_eq!(numbers, sales, "sale numbers are unique");

    let drifted = scalar(
        &mut conn,
        "SELECT count(*) FROM stock_levels l WHERE l.qty_milli != (
            SELECT coalesce(sum(m.qty_milli), 0) FROM stock_movements m
            WHERE m.product_id = l.product_id AND m.location_id = l.location_id AND m.kind != 'count')",
    )
    .await;
    assert_eq!(
        drifted, 0,
        "derived stock levels equal the ledger (the demo has no counts)"
    );
    conn.close().await.unwrap();
    sales
}

#[tokio::test(flavor = "current_thread")]
async fn sigkill_during_sales_loses_nothing_and_half_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    let demo = cli(&db).arg("demo").output().expect("run demo");
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let mut sales_before = check_whole(&db).await;

    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for round in 0..KILLS {
        let mut child = cli(&db)
            .args(["load", "--sales", "1000000", "--seed", &round.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start load");
        // Wait until the process is committing sales (however slow its start
        // on a busy machine), then kill it at a random moment of its work.
        wait_for_more_sales(&db, sales_before).await;
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..200)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let sales_after = check_whole(&db).await;
        assert!(
            sales_after > sales_before,
            "sales committed before the kill are all there"
        );
        sales_before = sales_after;
    }
}

/// Polls (read-only) until the database holds more than `sales` sales.
async fn wait_for_more_sales(db: &Path, sales: i64) {
    let options = SqliteConnectOptions::new().filename(db).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options).await.expect("open to watch");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while scalar(&mut conn, "SELECT count(*) FROM sales").await <= sales {
        assert!(
            std::time::Instant::now() < deadline,
            "the load generator wrote nothing in 2 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    conn.close().await.unwrap();
}
