//! The stock ledger's commands: receiving goods and adjustments (`receive`),
//! transfers as two facts (`transfer`), count sessions as reset points
//! (`count`), stock and history reads (`queries`) and managers' flags
//! (`flags`). Every write is one `WriteTx`: its movements, their derived
//! levels and one `stock.moved` op commit together.

mod count;
mod flags;
mod queries;
mod receive;
mod transfer;

#[cfg(test)]
mod tests;

use stockroom_protocol::ops::{Movement, StockMoved, TransferHeader};
use stockroom_protocol::{Hlc, Op};
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::money::Qty;
use crate::store::WriteTx;

pub use count::{CountLine, CountSession, CountStatus};
pub use flags::Flag;
pub use queries::{LocationStock, ProductStock, StockMovement};
pub use transfer::{Transfer, TransferLine};

/// Longest reason or supplier reference kept on a movement.
pub const MAX_REASON_LEN: usize = 500;

/// One line of a receipt, transfer or transfer receipt: a product and a
/// positive quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductQty {
    pub product_id: Uuid,
    pub qty: Qty,
}

impl ProductQty {
    pub fn new(product_id: Uuid, qty: Qty) -> ProductQty {
        ProductQty { product_id, qty }
    }
}

/// The lines with each product once (quantities of repeated products added,
/// first appearance kept), as `(product, thousandths)`. Every quantity must
/// be positive and there must be at least one line.
pub(crate) fn merge_lines(lines: &[ProductQty]) -> Result<Vec<(Uuid, i64)>> {
    if lines.is_empty() {
        return Err(CoreError::invalid("lines", "at least one line is needed"));
    }
    let mut merged: Vec<(Uuid, i64)> = Vec::with_capacity(lines.len());
    for line in lines {
        if line.qty.milli() <= 0 {
            return Err(CoreError::invalid(
                "quantity",
                format!("must be positive, got {} for product {}", line.qty, line.product_id),
            ));
        }
        match merged.iter_mut().find(|(product_id, _)| *product_id == line.product_id) {
            Some((_, qty_milli)) => *qty_milli = qty_milli.checked_add(line.qty.milli()).ok_or(CoreError::Overflow)?,
            None => merged.push((line.product_id, line.qty.milli())),
        }
    }
    Ok(merged)
}

/// A trimmed free text, `None` when blank; `field` names it in errors.
pub(crate) fn clean_text(field: &'static str, text: Option<&str>) -> Result<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_REASON_LEN {
        return Err(CoreError::invalid(
            field,
            format!("longer than {MAX_REASON_LEN} characters"),
        ));
    }
    Ok(Some(text.to_string()))
}

impl WriteTx<'_> {
    /// Fails with `not_found` unless the location exists, and with
    /// `invalid_input` when it is archived and `must_be_active`.
    pub(crate) async fn require_location(&mut self, location_id: Uuid, must_be_active: bool) -> Result<()> {
        let active: Option<bool> = sqlx::query_scalar("SELECT active FROM locations WHERE id = ?")
            .bind(location_id.to_string())
            .fetch_optional(self.conn())
            .await?;
        match active {
            None => Err(CoreError::not_found("location", location_id)),
            Some(false) if must_be_active => Err(CoreError::invalid(
                "location",
                format!("location {location_id} is archived"),
            )),
            Some(_) => Ok(()),
        }
    }

    /// Fails with `not_found` unless the product exists (active or archived:
    /// archived products may still have stock to move or count away).
    pub(crate) async fn require_product(&mut self, product_id: Uuid) -> Result<()> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM products WHERE id = ?")
            .bind(product_id.to_string())
            .fetch_optional(self.conn())
            .await?;
        exists
            .map(|_| ())
            .ok_or_else(|| CoreError::not_found("product", product_id))
    }

    /// Records this device's `movements` (all stamped `hlc`) in the ledger
    /// and appends the one `stock.moved` op that carries them.
    pub(crate) async fn record_stock_moved(
        &mut self,
        hlc: Hlc,
        movements: Vec<Movement>,
        transfer: Option<TransferHeader>,
    ) -> Result<()> {
        let device = self.device_text.clone();
        self.record_movements(&movements, &device).await?;
        self.append_op(hlc, &Op::StockMoved(StockMoved { movements, transfer }))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn repeated_products_are_added_in_first_seen_order() {
        let apple = Uuid::from_u128(1);
        let pear = Uuid::from_u128(2);
        let merged = merge_lines(&[
            ProductQty::new(apple, Qty(1500)),
            ProductQty::new(pear, Qty::ONE),
            ProductQty::new(apple, Qty(500)),
        ])
        .unwrap();
        assert_eq!(merged, vec![(apple, 2000), (pear, 1000)]);
    }

    #[test]
    fn empty_zero_and_negative_lines_are_refused() {
        let apple = Uuid::from_u128(1);
        assert_eq!(merge_lines(&[]).unwrap_err().code(), "invalid_input");
        assert_eq!(
            merge_lines(&[ProductQty::new(apple, Qty(0))]).unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            merge_lines(&[ProductQty::new(apple, Qty(-1))]).unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            merge_lines(&[ProductQty::new(apple, Qty(i64::MAX)), ProductQty::new(apple, Qty(1))])
                .unwrap_err()
                .code(),
            "overflow"
        );
    }

    #[test]
    fn blank_text_is_none_and_long_text_refused() {
        assert_eq!(clean_text("reason", Some("  ")).unwrap(), None);
        assert_eq!(
            clean_text("reason", Some(" broken ")).unwrap().as_deref(),
            Some("broken")
        );
        let long = "x".repeat(MAX_REASON_LEN + 1);
        assert_eq!(clean_text("reason", Some(&long)).unwrap_err().code(), "invalid_input");
    }
}
