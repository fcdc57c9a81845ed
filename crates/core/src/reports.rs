//! Read-only figures for a manager's dashboard: sales since a moment (per
//! currency) and the products running low at each location.

use stockroom_protocol::Hlc;
use uuid::Uuid;

use crate::error::Result;
use crate::ids::parse_uuid;
use crate::money::{Currency, Money, Qty};
use crate::store::Store;

/// Sales in one currency since a moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesTotal {
    pub n_sales: u64,
    pub total: Money,
}

/// A product at a location whose stock is at or below the threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowStockLine {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub location_id: Uuid,
    pub location_name: String,
    pub qty: Qty,
}

impl Store {
    /// Sales completed (on any device, as far as synced here) at or after
    /// `since_ms`, per currency, largest count first.
    pub async fn sales_since(&self, since_ms: u64) -> Result<Vec<SalesTotal>> {
        let since = Hlc::new(since_ms, 0).to_i64();
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT currency, count(*), coalesce(sum(total_minor), 0) FROM sales WHERE hlc >= ?
             GROUP BY currency ORDER BY count(*) DESC, currency",
        )
        .bind(since)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(currency, n_sales, total)| {
                let currency: Currency = currency.parse()?;
                Ok(SalesTotal {
                    n_sales: n_sales as u64,
                    total: Money::new(total, currency),
                })
            })
            .collect()
    }

    /// Active products at active locations with stock at or below
    /// `threshold`, lowest first, at most `limit`.
    pub async fn low_stock(&self, threshold: Qty, limit: u32) -> Result<Vec<LowStockLine>> {
        let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT p.id, p.sku, p.name, l.id, l.name, s.qty_milli
             FROM stock_levels s
             JOIN products p ON p.id = s.product_id
             JOIN locations l ON l.id = s.location_id
             WHERE s.qty_milli <= ? AND p.active = 1 AND l.active = 1
             ORDER BY s.qty_milli, p.name, l.name
             LIMIT ?",
        )
        .bind(threshold.milli())
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(product_id, sku, name, location_id, location_name, qty)| {
                Ok(LowStockLine {
                    product_id: parse_uuid(&product_id)?,
                    sku,
                    name,
                    location_id: parse_uuid(&location_id)?,
                    location_name,
                    qty: Qty(qty),
                })
            })
            .collect()
    }
}
