//! Taking a snapshot as the whole truth of the device's scopes: a device
//! that has sent everything empties its ledgers (stock, sales, returns,
//! payments, account entries, sent orders, transfers) before loading, and
//! gets them back from the snapshot's facts. So nothing of a scope it lost
//! stays on it: a till moved to another shop drops the old shop's stock, a
//! salesperson who becomes a cashier drops their orders. Customers go too
//! (but those of the device's draft orders) and come back from the
//! snapshot's records, so a customer moved to another salesperson leaves
//! this one's device; their sent orders of it stay (they come back from
//! the snapshot, carrying the customer's name). Catalog records are merged as before; local drafts,
//! counts, shifts, flags and notices are the device's own and stay.
//!
//! A device with ops still waiting merges instead (their effects are only
//! here until the hub has them); the engine pushes before it pulls, so a
//! snapshot normally finds the outbox empty.

use sqlx::SqliteConnection;

use crate::error::Result;

/// Ledger tables, children first, with what is emptied of each; then the
/// customers no draft order names.
const LEDGERS: [&str; 12] = [
    "DELETE FROM return_lines",
    "DELETE FROM returns",
    "DELETE FROM payments",
    "DELETE FROM sale_lines",
    "DELETE FROM sales",
    "DELETE FROM account_entries",
    "DELETE FROM sales_order_lines WHERE order_id IN (SELECT id FROM sales_orders WHERE status != 'draft')",
    "DELETE FROM sales_orders WHERE status != 'draft'",
    "DELETE FROM transfers",
    "DELETE FROM stock_movements",
    "DELETE FROM stock_levels",
    "DELETE FROM customers WHERE id NOT IN (SELECT customer_id FROM sales_orders WHERE status = 'draft')",
];

/// Empties the ledgers when nothing waits in the outbox; returns the last
/// flag's row id then (to drop the flags the reload raises again), or
/// `None` when the ledgers were kept.
pub(super) async fn clear_ledgers(conn: &mut SqliteConnection) -> Result<Option<i64>> {
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&mut *conn)
        .await?;
    if waiting > 0 {
        return Ok(None);
    }
    for statement in LEDGERS {
        sqlx::query(statement).execute(&mut *conn).await?;
    }
    let last_flag: i64 = sqlx::query_scalar("SELECT coalesce(max(rowid), 0) FROM flags")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some(last_flag))
}

/// Drops the flags raised after row `last_flag` that repeat one raised
/// before it: reloading facts raises the flags they raised the first time.
pub(super) async fn drop_repeated_flags(conn: &mut SqliteConnection, last_flag: i64) -> Result<()> {
    sqlx::query(
        "DELETE FROM flags WHERE rowid > ?1 AND EXISTS (
             SELECT 1 FROM flags earlier WHERE earlier.rowid <= ?1 AND earlier.code = flags.code
             AND earlier.entity_id IS flags.entity_id AND earlier.detail = flags.detail)",
    )
    .bind(last_flag)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
