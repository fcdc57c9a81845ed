//! The synced tables as plain text rows, in a fixed order: what must be
//! equal on every device of a tenant once all have synced. Simulations and
//! the real-process tests compare devices with it; a support screen can show
//! where two devices differ. Stamps, local flags, drafts and the outbox are
//! left out: they are this device's own business.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::error::Result;
use crate::store::Store;

/// Each synced table and the query listing its synced columns in key order.
const SYNCED: [(&str, &str); 17] = [
    ("users", "SELECT id, username, role, active FROM users ORDER BY id"),
    ("categories", "SELECT id, name, parent_id, active FROM categories ORDER BY id"),
    (
        "products",
        "SELECT id, sku, name, brand, unit, category_id, currency, cost_minor, price_minor, tax_rate_bp, active
         FROM products ORDER BY id",
    ),
    ("barcodes", "SELECT id, code, product_id, pack_qty_milli, active FROM barcodes ORDER BY id"),
    ("price_lists", "SELECT id, name, currency, tier, region, active FROM price_lists ORDER BY id"),
    (
        "price_list_entries",
        "SELECT id, price_list_id, product_id, price_minor, active FROM price_list_entries ORDER BY id",
    ),
    ("locations", "SELECT id, name, kind, parent_id, active FROM locations ORDER BY id"),
    (
        "customers",
        "SELECT id, code, name, phone, email, price_list_id, currency, credit_limit_minor, active, salesperson_id FROM customers ORDER BY id",
    ),
    (
        "stock_movements",
        "SELECT id, kind, product_id, location_id, qty_milli, hlc, ref_id FROM stock_movements ORDER BY id",
    ),
    (
        "stock_levels",
        "SELECT product_id, location_id, qty_milli FROM stock_levels WHERE qty_milli != 0 OR count_hlc != 0
         ORDER BY product_id, location_id",
    ),
    ("transfers", "SELECT id, number, from_location_id, to_location_id FROM transfers ORDER BY id"),
    ("sales", "SELECT id, number, location_id, customer_id, currency, total_minor FROM sales ORDER BY id"),
    ("sale_lines", "SELECT id, sale_id, product_id, qty_milli, total_minor FROM sale_lines ORDER BY id"),
    ("payments", "SELECT id, doc_id, method, currency, amount_minor FROM payments ORDER BY id"),
    ("returns", "SELECT id, sale_id, total_minor FROM returns ORDER BY id"),
    (
        "account_entries",
        "SELECT id, customer_id, kind, amount_minor, currency FROM account_entries ORDER BY id",
    ),
    (
        "sales_orders",
        "SELECT id, number, customer_id, customer_name, currency, total_minor, status FROM sales_orders WHERE status != 'draft' ORDER BY id",
    ),
];

impl Store {
    /// Every synced table's rows as text (`|`-separated columns), by table.
    pub async fn replica_rows(&self) -> Result<BTreeMap<&'static str, Vec<String>>> {
        let mut tables = BTreeMap::new();
        for (table, sql) in SYNCED {
            let rows = sqlx::query(sql).fetch_all(self.reader()).await?;
            let lines = rows
                .iter()
                .map(|row| {
                    (0..row.len())
                        .map(|index| {
                            row.try_get::<Option<String>, _>(index)
                                .ok()
                                .flatten()
                                .or_else(|| {
                                    row.try_get::<Option<i64>, _>(index)
                                        .ok()
                                        .flatten()
                                        .map(|n| n.to_string())
                                })
                                .unwrap_or_else(|| "∅".to_string())
                        })
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect();
            tables.insert(table, lines);
        }
        Ok(tables)
    }
}
