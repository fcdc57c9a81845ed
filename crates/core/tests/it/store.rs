//! Opening the database: WAL, migrations, device identity, forward
//! compatibility, and outbox contents of a simple write.

use stockroom_core::protocol::ops::Entity;
use stockroom_core::protocol::Op;

use stockroom_core::{Store, StoreOptions};

use crate::support::{eur, TestStore};

#[tokio::test]
async fn opens_in_wal_with_device_identity() {
    let test = TestStore::new().await;
    let mode = {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&test.path);
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options)
            .await
            .unwrap();
        sqlx::query_scalar::<_, String>("PRAGMA journal_mode")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(mode, "wal");
    let info = test.store.device_info().await.unwrap();
    assert_eq!(info.epoch, 1);
    assert_eq!(info.device_id.get_version_num(), 7);
    let same = test.reopen().await;
    assert_eq!(same.store.device_info().await.unwrap().device_id, info.device_id);
}

#[tokio::test]
async fn a_database_from_a_newer_build_still_opens() {
    let test = TestStore::new().await;
    // A newer build applied a migration this build does not know.
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&test.path);
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options)
            .await
            .unwrap();
        sqlx::query("ALTER TABLE products ADD COLUMN shelf_life_days INTEGER")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (29991231000000, 'from the future', 1, x'00', 0)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let test = test.reopen().await;
    let product = test.product("FUT-1", 100).await;
    assert_eq!(test.store.product(product).await.unwrap().price, eur(100));
}

#[tokio::test]
async fn creating_a_product_writes_the_row_and_one_op_together() {
    let test = TestStore::new().await;
    let before = test.store.outbox_len().await.unwrap();
    let product = test.product("SKU-1", 250).await;
    assert_eq!(test.store.outbox_len().await.unwrap(), before + 1);
    let pending = test.store.outbox_pending(100).await.unwrap();
    let last = pending.last().unwrap();
    assert_eq!(last.seq, before + 1);
    assert_eq!(last.user_id, test.owner.user_id());
    match &last.op {
        Op::FieldsSet(set) => {
            assert_eq!(set.entity, Entity::Product);
            assert_eq!(set.row_id, product);
            assert_eq!(set.fields["sku"], "SKU-1");
            assert_eq!(set.fields["price_minor"], 250);
            assert_eq!(set.fields["currency"], "EUR");
        }
        other => panic!("expected fields.set, got {other:?}"),
    }
    // Sequence numbers are contiguous from 1 and stamps strictly increase.
    let seqs: Vec<u64> = pending.iter().map(|op| op.seq).collect();
    assert_eq!(seqs, (1..=pending.len() as u64).collect::<Vec<_>>());
    assert!(pending.windows(2).all(|pair| pair[0].hlc < pair[1].hlc));
}

#[tokio::test]
async fn a_failed_write_leaves_neither_rows_nor_op() {
    let test = TestStore::new().await;
    test.product("DUP", 100).await;
    let ops_before = test.store.outbox_len().await.unwrap();
    let err = test
        .store
        .create_product(&test.owner, &stockroom_core::NewProduct::simple("DUP", "Again", eur(5)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert_eq!(test.store.outbox_len().await.unwrap(), ops_before);
    assert_eq!(test.count("SELECT count(*) FROM products WHERE sku = 'DUP'").await, 1);
}

/// A file's size in bytes (0 when absent).
fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
}

#[tokio::test]
async fn writes_reach_the_database_file_in_the_background_once_quiet() {
    let test = TestStore::new().await;
    // What opening wrote is copied over first (a few checkpoint ticks).
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let before = file_len(&test.path);
    // Enough products that their pages outgrow the file as it was.
    for n in 0..200 {
        test.product(&format!("BG-{n}"), 100 + n).await;
    }
    let mut wal = test.path.clone().into_os_string();
    wal.push("-wal");
    let wal = std::path::PathBuf::from(wal);
    assert!(file_len(&wal) > 0, "the writes went to the WAL");
    // Writes never checkpoint themselves; the checkpointer does once the
    // store has been quiet for a moment (polled for up to 10 s).
    let mut grown = false;
    for _ in 0..100 {
        if file_len(&test.path) > before {
            grown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(grown, "the database file never received the WAL's pages");
}

#[tokio::test]
async fn orders_from_before_they_stood_alone_keep_their_lines_and_learn_their_customers_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    // The database as the build before orders stood alone left it: a
    // customer, their sent order and its line.
    const STANDS_ALONE: i64 = 20261204090000;
    {
        let pool = sqlx::SqlitePool::connect_with(options.clone()).await.unwrap();
        let earlier = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                stockroom_core::store::MIGRATOR
                    .migrations
                    .iter()
                    .filter(|migration| migration.version < STANDS_ALONE)
                    .cloned()
                    .collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        earlier.run(&pool).await.unwrap();
        for statement in [
            "INSERT INTO customers (id, name, currency, hlc, hlc_device) VALUES ('c1', 'Hotel Aurora', 'EUR', 1, 'd')",
            "INSERT INTO sales_orders (id, number, customer_id, salesperson_id, currency, status, total_minor, created_ms)
             VALUES ('o1', 'S01-000001', 'c1', 'u1', 'EUR', 'submitted', 500, 1)",
            "INSERT INTO sales_order_lines (id, order_id, line_no, product_id, qty_milli, unit_price_minor, total_minor)
             VALUES ('l1', 'o1', 1, 'p1', 1000, 500, 500)",
        ] {
            sqlx::query(statement).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    let store = Store::open(&path, StoreOptions::default()).await.unwrap();
    store.close().await;
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let order: (String, Option<String>, i64) = sqlx::query_as(
        "SELECT o.customer_id, o.customer_name, count(l.id) FROM sales_orders o
         JOIN sales_order_lines l ON l.order_id = o.id GROUP BY o.id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(order, ("c1".to_string(), Some("Hotel Aurora".to_string()), 1));
    // The order no longer needs its customer's row; its lines still need
    // their order.
    sqlx::query("DELETE FROM customers").execute(&pool).await.unwrap();
    let orphan = sqlx::query(
        "INSERT INTO sales_order_lines (id, order_id, line_no, product_id, qty_milli, unit_price_minor, total_minor)
         VALUES ('l2', 'nothing', 1, 'p1', 1000, 500, 500)",
    )
    .execute(&pool)
    .await;
    assert!(orphan.is_err(), "a line with no order was taken");
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
}
