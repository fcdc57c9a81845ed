//! Exporting the catalog and stock levels as CSV. The product CSV reads
//! back with [`ImportPreset::Export`](crate::catalog::ImportPreset::Export)
//! into the same catalog.

use std::collections::HashMap;
use std::io::Write;

use crate::auth::{Permission, Session};
use crate::catalog::import::csv_error;
use crate::catalog::{Product, ProductRow, PRODUCT_COLUMNS};
use crate::error::Result;
use crate::money::{format_scaled, Qty};
use crate::store::Store;

/// Columns of the product CSV, in order.
pub const PRODUCT_EXPORT_COLUMNS: [&str; 11] = [
    "sku",
    "name",
    "brand",
    "unit",
    "category",
    "price",
    "cost",
    "currency",
    "tax_rate_bp",
    "barcodes",
    "active",
];

/// Columns of the stock level CSV, in order.
pub const STOCK_EXPORT_COLUMNS: [&str; 3] = ["sku", "location", "qty"];

#[derive(sqlx::FromRow)]
struct ExportRow {
    category_name: Option<String>,
    #[sqlx(flatten)]
    product: ProductRow,
}

/// A product's active barcodes as one cell: codes joined with `|`, each
/// followed by `*` and its pack quantity when that is not one unit.
fn barcodes_cell(barcodes: &[(String, i64)]) -> String {
    barcodes
        .iter()
        .map(|(code, pack_qty_milli)| {
            if *pack_qty_milli == Qty::ONE.milli() {
                code.clone()
            } else {
                format!("{code}*{}", Qty(*pack_qty_milli))
            }
        })
        .collect::<Vec<_>>()
        .join("|")
}

impl Store {
    /// Writes every product, active and archived, by SKU, as CSV with the
    /// header [`PRODUCT_EXPORT_COLUMNS`]. Returns the number of products.
    pub async fn export_products(&self, session: &Session, output: impl Write + Send) -> Result<u64> {
        session.require(Permission::ImportExport)?;
        let sql = format!(
            "SELECT c.name AS category_name, {PRODUCT_COLUMNS}
             FROM products p LEFT JOIN categories c ON c.id = p.category_id
             ORDER BY p.sku, p.id"
        );
        let rows: Vec<ExportRow> = sqlx::query_as(&sql).fetch_all(self.reader()).await?;
        let barcode_rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT product_id, code, pack_qty_milli FROM barcodes WHERE active = 1 ORDER BY product_id, code",
        )
        .fetch_all(self.reader())
        .await?;
        let mut barcodes: HashMap<String, Vec<(String, i64)>> = HashMap::new();
        for (product_id, code, pack_qty_milli) in barcode_rows {
            barcodes.entry(product_id).or_default().push((code, pack_qty_milli));
        }

        let mut writer = csv::Writer::from_writer(output);
        writer.write_record(PRODUCT_EXPORT_COLUMNS).map_err(csv_error)?;
        let mut written = 0u64;
        for row in rows {
            let category = row.category_name.unwrap_or_default();
            let product = Product::try_from(row.product)?;
            let exponent = product.price.currency.exponent();
            let codes = barcodes
                .get(&product.id.to_string())
                .map(|codes| barcodes_cell(codes))
                .unwrap_or_default();
            writer
                .write_record([
                    product.sku.as_str(),
                    product.name.as_str(),
                    product.brand.as_deref().unwrap_or(""),
                    product.unit.as_str(),
                    category.as_str(),
                    &format_scaled(product.price.minor, exponent),
                    &format_scaled(product.cost.minor, exponent),
                    product.price.currency.as_str(),
                    &product.tax_rate_bp.to_string(),
                    &codes,
                    if product.active { "true" } else { "false" },
                ])
                .map_err(csv_error)?;
            written += 1;
        }
        writer.flush()?;
        tracing::info!(products = written, "products exported");
        Ok(written)
    }

    /// Writes the stock level of every product at every location it has one,
    /// by SKU and location name, as CSV with the header
    /// [`STOCK_EXPORT_COLUMNS`]; quantities are decimals (`12`, `0.25`).
    /// Returns the number of rows.
    pub async fn export_stock_levels(&self, session: &Session, output: impl Write + Send) -> Result<u64> {
        session.require(Permission::ImportExport)?;
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT p.sku, l.name, s.qty_milli
             FROM stock_levels s
             JOIN products p ON p.id = s.product_id
             JOIN locations l ON l.id = s.location_id
             ORDER BY p.sku, l.name, p.id, l.id",
        )
        .fetch_all(self.reader())
        .await?;
        let mut writer = csv::Writer::from_writer(output);
        writer.write_record(STOCK_EXPORT_COLUMNS).map_err(csv_error)?;
        for (sku, location, qty_milli) in &rows {
            writer
                .write_record([sku.as_str(), location.as_str(), &Qty(*qty_milli).to_string()])
                .map_err(csv_error)?;
        }
        writer.flush()?;
        Ok(rows.len() as u64)
    }
}
