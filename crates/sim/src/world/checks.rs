//! The checks' helpers: a device's stamps for a failure report, stock
//! levels against the ledger, and where two replicas differ.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, ensure};
use stockroom_core::Store;

/// The field stamps and pending fields of a device, for a failure report.
pub(super) async fn debug_stamps(path: &Path) -> anyhow::Result<String> {
    use sqlx::ConnectOptions as _;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await?;
    let mut out = String::new();
    let rows: Vec<(String, String, String, i64, String)> =
        sqlx::query_as("SELECT entity, row_id, field, hlc, hlc_device FROM field_stamps WHERE entity = 'product'")
            .fetch_all(&mut conn)
            .await?;
    for row in rows {
        out.push_str(&format!("  stamp {row:?}\n"));
    }
    let rows: Vec<(String, String, i64, String)> = sqlx::query_as("SELECT id, name, hlc, hlc_device FROM products")
        .fetch_all(&mut conn)
        .await?;
    for row in rows {
        out.push_str(&format!("  row {row:?}\n"));
    }
    let rows: Vec<(String, String, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT row_id, field, confirmed_value, confirmed_hlc FROM field_pending")
            .fetch_all(&mut conn)
            .await?;
    for row in rows {
        out.push_str(&format!("  pending {row:?}\n"));
    }
    Ok(out)
}

/// Every stock level equals the ledger formula (latest count plus later
/// movements).
pub(super) async fn check_levels(store: &Store) -> anyhow::Result<()> {
    let rows = store.replica_rows().await?;
    for line in rows.get("stock_levels").into_iter().flatten() {
        let mut parts = line.split('|');
        let (Some(product), Some(location), Some(qty)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("stock level row {line:?}");
        };
        let from_ledger = store
            .stock_level_from_ledger(product.parse()?, location.parse()?)
            .await?;
        ensure!(
            from_ledger.to_string() == qty,
            "level {qty} of {product} at {location} but the ledger says {from_ledger}"
        );
    }
    Ok(())
}

/// The first rows where two replicas differ, table by table.
pub(super) fn diff(
    expected: &BTreeMap<&'static str, Vec<String>>,
    found: &BTreeMap<&'static str, Vec<String>>,
) -> String {
    let mut out = String::new();
    for (table, rows) in expected {
        let other = found.get(table).cloned().unwrap_or_default();
        if *rows != other {
            let expected: BTreeSet<&String> = rows.iter().collect();
            let found: BTreeSet<&String> = other.iter().collect();
            for missing in expected.difference(&found).take(3) {
                out.push_str(&format!("{table}: hub has {missing}\n"));
            }
            for extra in found.difference(&expected).take(3) {
                out.push_str(&format!("{table}: device has {extra}\n"));
            }
        }
    }
    out
}
