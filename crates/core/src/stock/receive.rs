//! Goods received at a location and stock adjustments: one write each, with
//! its movements and one `stock.moved` op.

use stockroom_protocol::ops::MovementKind;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::money::Qty;
use crate::stock::{clean_text, merge_lines, ProductQty};
use crate::store::Store;

impl Store {
    /// Records goods received at `location_id`: one `receive` movement per
    /// product (repeated products are added up). `reference` is the
    /// supplier's delivery note or invoice number, or a free note; it is kept
    /// as the movements' reason. Returns the receipt id, the `ref_id` that
    /// links the receipt's movements.
    pub async fn receive_goods(
        &self,
        session: &Session,
        location_id: Uuid,
        lines: &[ProductQty],
        reference: Option<&str>,
    ) -> Result<Uuid> {
        session.require(Permission::ReceiveStock)?;
        let lines = merge_lines(lines)?;
        let reference = clean_text("reference", reference)?;
        let mut write = self.write(session).await?;
        write.require_location(location_id, true).await?;
        for (product_id, _) in &lines {
            write.require_product(*product_id).await?;
        }
        let receipt_id = write.new_id();
        let hlc = write.stamp();
        let movements = lines
            .into_iter()
            .map(|(product_id, qty_milli)| {
                let mut movement = write.movement(
                    MovementKind::Receive,
                    product_id,
                    location_id,
                    qty_milli,
                    hlc,
                    Some(receipt_id),
                );
                movement.reason = reference.clone();
                movement
            })
            .collect();
        write.record_stock_moved(hlc, movements, None).await?;
        write.commit().await?;
        Ok(receipt_id)
    }

    /// Corrects the stock of one product at one location by a signed `delta`
    /// (breakage, theft, a found box), for a stated `reason`. Negative stock
    /// is allowed and flagged. Returns the movement id.
    pub async fn adjust_stock(
        &self,
        session: &Session,
        location_id: Uuid,
        product_id: Uuid,
        delta: Qty,
        reason: &str,
    ) -> Result<Uuid> {
        session.require(Permission::AdjustStock)?;
        if delta.milli() == 0 {
            return Err(CoreError::invalid("quantity", "an adjustment must change the stock"));
        }
        let reason =
            clean_text("reason", Some(reason))?.ok_or_else(|| CoreError::invalid("reason", "must not be empty"))?;
        let mut write = self.write(session).await?;
        write.require_location(location_id, false).await?;
        write.require_product(product_id).await?;
        let hlc = write.stamp();
        let mut movement = write.movement(
            MovementKind::Adjustment,
            product_id,
            location_id,
            delta.milli(),
            hlc,
            None,
        );
        movement.reason = Some(reason);
        let movement_id = movement.id;
        write.record_stock_moved(hlc, vec![movement], None).await?;
        write.commit().await?;
        Ok(movement_id)
    }
}
