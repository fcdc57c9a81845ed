//! Reading stock: levels at a location, a product across locations, and a
//! product's movement history. Levels come from the derived table, which the
//! ledger keeps in step.

use stockroom_protocol::ops::MovementKind;
use stockroom_protocol::Hlc;
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::Qty;
use crate::store::Store;

/// The stock of one product at a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductStock {
    pub product_id: Uuid,
    /// Empty when the product has not reached this device yet.
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub qty: Qty,
}

/// The stock of a product at one location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationStock {
    pub location_id: Uuid,
    /// Empty when the location has not reached this device yet.
    pub location_name: String,
    pub qty: Qty,
}

/// One row of the stock ledger, as history shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockMovement {
    pub id: Uuid,
    pub kind: MovementKind,
    pub product_id: Uuid,
    pub location_id: Uuid,
    /// The signed change; for a count, the counted quantity.
    pub qty: Qty,
    pub hlc: Hlc,
    /// The device that made the movement.
    pub device_id: Uuid,
    /// The receipt, transfer, sale, return or count it belongs to.
    pub ref_id: Option<Uuid>,
    pub reason: Option<String>,
    pub user_id: Uuid,
}

type MovementRow = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
);

fn movement_from_row(row: MovementRow) -> Result<StockMovement> {
    let (id, kind, product_id, location_id, qty_milli, hlc, device, ref_id, reason, user_id) = row;
    Ok(StockMovement {
        id: parse_uuid(&id)?,
        kind: MovementKind::parse(&kind).ok_or_else(|| CoreError::corrupt(format!("movement kind {kind:?}")))?,
        product_id: parse_uuid(&product_id)?,
        location_id: parse_uuid(&location_id)?,
        qty: Qty(qty_milli),
        hlc: Hlc::from_i64(hlc).map_err(|_| CoreError::corrupt("movement HLC"))?,
        device_id: parse_uuid(&device)?,
        ref_id: ref_id.as_deref().map(parse_uuid).transpose()?,
        reason,
        user_id: parse_uuid(&user_id)?,
    })
}

impl Store {
    /// Every product with stock recorded at `location_id` (zero and negative
    /// levels included), by name.
    pub async fn stock_at_location(&self, location_id: Uuid) -> Result<Vec<ProductStock>> {
        let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT sl.product_id, coalesce(p.sku, ''), coalesce(p.name, ''), coalesce(p.unit, ''), sl.qty_milli
             FROM stock_levels sl LEFT JOIN products p ON p.id = sl.product_id
             WHERE sl.location_id = ?
             ORDER BY 3, 2, 1",
        )
        .bind(location_id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(product_id, sku, name, unit, qty_milli)| {
                Ok(ProductStock {
                    product_id: parse_uuid(&product_id)?,
                    sku,
                    name,
                    unit,
                    qty: Qty(qty_milli),
                })
            })
            .collect()
    }

    /// The stock of `product_id` at every location where it has a level, by
    /// location name.
    pub async fn stock_of_product(&self, product_id: Uuid) -> Result<Vec<LocationStock>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT sl.location_id, coalesce(l.name, ''), sl.qty_milli
             FROM stock_levels sl LEFT JOIN locations l ON l.id = sl.location_id
             WHERE sl.product_id = ?
             ORDER BY 2, 1",
        )
        .bind(product_id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(location_id, location_name, qty_milli)| {
                Ok(LocationStock {
                    location_id: parse_uuid(&location_id)?,
                    location_name,
                    qty: Qty(qty_milli),
                })
            })
            .collect()
    }

    /// The latest `limit` movements of `product_id`, at one location or all,
    /// newest first (by HLC, then device, then id: the ledger's order).
    pub async fn movement_history(
        &self,
        product_id: Uuid,
        location_id: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<StockMovement>> {
        let rows: Vec<MovementRow> = sqlx::query_as(
            "SELECT id, kind, product_id, location_id, qty_milli, hlc, hlc_device, ref_id, reason, user_id
             FROM stock_movements
             WHERE product_id = ?1 AND (?2 IS NULL OR location_id = ?2)
             ORDER BY hlc DESC, hlc_device DESC, id DESC
             LIMIT ?3",
        )
        .bind(product_id.to_string())
        .bind(location_id.map(|id| id.to_string()))
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(movement_from_row).collect()
    }
}
