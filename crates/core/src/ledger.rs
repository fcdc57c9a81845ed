//! The stock ledger's one write path: append a movement and keep the derived
//! stock level in step. A count is a reset point: the level is the latest
//! count plus the movements stamped after it, whatever order rows arrive in.
//! "Latest" is by HLC, ties broken by device id, then by movement id.

use stockroom_protocol::ops::{Movement, MovementKind};
use stockroom_protocol::Hlc;
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::store::{FlagCode, Store, WriteTx};

/// Movements stamped this close to a count on another device may have been
/// counted or not: they are flagged for a manager to review.
pub const COUNT_CLOCK_UNCERTAINTY_MS: u64 = 120_000;

/// Rows per multi-row insert (10 values each, under SQLite's 32,766).
pub(crate) const ROWS_PER_STATEMENT: usize = 1_000;

impl WriteTx<'_> {
    /// Appends `movements` (made by `device`) to the ledger, in multi-row
    /// statements, and updates the level of each one's product at its
    /// location. Negative stock is allowed and flagged; so are movements
    /// within clock uncertainty of a count. The ledger is a set by id: a
    /// movement already recorded (sync delivering it again) changes nothing.
    pub(crate) async fn record_movements(&mut self, movements: &[Movement], device: &str) -> Result<()> {
        for chunk in movements.chunks(ROWS_PER_STATEMENT) {
            self.record_movement_chunk(chunk, device).await?;
        }
        Ok(())
    }

    async fn record_movement_chunk(&mut self, movements: &[Movement], device: &str) -> Result<()> {
        let user_id = self.user_id.to_string();
        let sql = format!(
            "INSERT INTO stock_movements (id, kind, product_id, location_id, qty_milli, hlc, hlc_device, ref_id, reason, user_id)
             VALUES {} ON CONFLICT(id) DO NOTHING RETURNING id",
            vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; movements.len()].join(", ")
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for movement in movements {
            query = query
                .bind(movement.id.to_string())
                .bind(movement.kind.as_str())
                .bind(movement.product_id.to_string())
                .bind(movement.location_id.to_string())
                .bind(movement.qty_milli)
                .bind(movement.hlc.to_i64())
                .bind(device)
                .bind(movement.ref_id.map(|id| id.to_string()))
                .bind(movement.reason.as_deref())
                .bind(user_id.clone());
        }
        let inserted: std::collections::HashSet<String> = query.fetch_all(self.conn()).await?.into_iter().collect();
        for movement in movements {
            // Already in the ledger (sync delivering it again): no change.
            if inserted.contains(&movement.id.to_string()) {
                self.move_level(movement, device).await?;
            }
        }
        Ok(())
    }

    /// Applies one newly recorded movement to its stock level.
    async fn move_level(&mut self, movement: &Movement, device: &str) -> Result<()> {
        if movement.kind == MovementKind::Count {
            return self.apply_count(movement, device).await;
        }

        // A change: one upsert moves the level, unless the latest count is
        // stamped after the movement (the count already includes it).
        let stamp = movement.hlc.to_i64();
        let moved: Option<(i64, i64, String)> = sqlx::query_as(
            "INSERT INTO stock_levels (product_id, location_id, qty_milli, count_hlc) VALUES (?1, ?2, ?3, 0)
             ON CONFLICT(product_id, location_id) DO UPDATE SET qty_milli = qty_milli + excluded.qty_milli
             WHERE ?4 > stock_levels.count_hlc
             RETURNING qty_milli, count_hlc, typeof(qty_milli)",
        )
        .bind(movement.product_id.to_string())
        .bind(movement.location_id.to_string())
        .bind(movement.qty_milli)
        .bind(stamp)
        .fetch_optional(self.conn())
        .await?;
        let Some((qty, count_hlc, stored_type)) = moved else {
            return self.flag_if_near_count(movement, device).await;
        };
        if stored_type != "integer" {
            // SQLite turned an overflowing sum into a float: refuse the write.
            return Err(CoreError::Overflow);
        }
        if qty < 0 && movement.qty_milli < 0 {
            self.flag(
                FlagCode::NegativeStock,
                Some(movement.product_id),
                format!(
                    "stock of product {} at location {} is {qty} thousandths",
                    movement.product_id, movement.location_id
                ),
            )
            .await?;
        }
        // Only a count within clock uncertainty before this movement can make
        // it doubtful; the latest count is the nearest such one.
        let window = (COUNT_CLOCK_UNCERTAINTY_MS as i64) << 16;
        if count_hlc != 0 && stamp - count_hlc <= window {
            self.flag_if_near_count(movement, device).await?;
        }
        Ok(())
    }

    /// Records the level effect of a count: when it is the latest count, the
    /// level becomes the counted quantity plus the changes stamped after it.
    async fn apply_count(&mut self, movement: &Movement, device: &str) -> Result<()> {
        let product = movement.product_id.to_string();
        let location = movement.location_id.to_string();
        let level: Option<(i64, i64)> =
            sqlx::query_as("SELECT qty_milli, count_hlc FROM stock_levels WHERE product_id = ? AND location_id = ?")
                .bind(&product)
                .bind(&location)
                .fetch_optional(self.conn())
                .await?;
        let old_qty = level.map(|(qty, _)| qty).unwrap_or(0);
        let stamp = movement.hlc.to_i64();

        let new_level = {
            // The latest count, this one included. Comparing stamps alone
            // would let the first of two equally stamped counts win, so the
            // level would depend on arrival order.
            let latest: String = sqlx::query_scalar(
                "SELECT id FROM stock_movements WHERE product_id = ? AND location_id = ? AND kind = 'count'
                 ORDER BY hlc DESC, hlc_device DESC, id DESC LIMIT 1",
            )
            .bind(&product)
            .bind(&location)
            .fetch_one(self.conn())
            .await?;
            if latest != movement.id.to_string() {
                None // an older count: kept in the ledger, the level stands
            } else {
                let later: i64 = sqlx::query_scalar(
                    "SELECT coalesce(sum(qty_milli), 0) FROM stock_movements
                     WHERE product_id = ? AND location_id = ? AND kind != 'count' AND hlc > ?",
                )
                .bind(&product)
                .bind(&location)
                .bind(stamp)
                .fetch_one(self.conn())
                .await?;
                let qty = movement.qty_milli.checked_add(later).ok_or(CoreError::Overflow)?;
                Some((qty, stamp))
            }
        };

        if let Some((qty, new_count_hlc)) = new_level {
            sqlx::query(
                "INSERT INTO stock_levels (product_id, location_id, qty_milli, count_hlc) VALUES (?, ?, ?, ?)
                 ON CONFLICT(product_id, location_id) DO UPDATE SET qty_milli = excluded.qty_milli, count_hlc = excluded.count_hlc",
            )
            .bind(&product)
            .bind(&location)
            .bind(qty)
            .bind(new_count_hlc)
            .execute(self.conn())
            .await?;
            if qty < 0 && qty < old_qty {
                self.flag(
                    FlagCode::NegativeStock,
                    Some(movement.product_id),
                    format!("stock of product {product} at location {location} is {qty} thousandths"),
                )
                .await?;
            }
        }

        self.flag_if_near_count(movement, device).await
    }

    async fn flag_if_near_count(&mut self, movement: &Movement, device: &str) -> Result<()> {
        let window = (COUNT_CLOCK_UNCERTAINTY_MS as i64) << 16;
        let stamp = movement.hlc.to_i64();
        let near: Option<String> = if movement.kind == MovementKind::Count {
            sqlx::query_scalar(
                "SELECT id FROM stock_movements WHERE product_id = ? AND location_id = ? AND kind != 'count'
                 AND hlc_device != ? AND hlc BETWEEN ? AND ? LIMIT 1",
            )
        } else {
            sqlx::query_scalar(
                "SELECT id FROM stock_movements WHERE product_id = ? AND location_id = ? AND kind = 'count'
                 AND hlc_device != ? AND hlc BETWEEN ? AND ? LIMIT 1",
            )
        }
        .bind(movement.product_id.to_string())
        .bind(movement.location_id.to_string())
        .bind(device)
        .bind(stamp - window)
        .bind(stamp + window)
        .fetch_optional(self.conn())
        .await?;
        if let Some(other) = near {
            self.flag(
                FlagCode::CountClockUncertain,
                Some(movement.id),
                format!(
                    "movement {} is within clock uncertainty of {other} at a count",
                    movement.id
                ),
            )
            .await?;
        }
        Ok(())
    }

    /// A movement of this device, stamped `hlc`, ready to record.
    pub(crate) fn movement(
        &self,
        kind: MovementKind,
        product_id: Uuid,
        location_id: Uuid,
        qty_milli: i64,
        hlc: Hlc,
        ref_id: Option<Uuid>,
    ) -> Movement {
        Movement {
            id: self.new_id(),
            kind,
            product_id,
            location_id,
            qty_milli,
            hlc,
            ref_id,
            reason: None,
        }
    }
}

impl Store {
    /// The stock level read from the derived table.
    pub async fn stock_level(&self, product_id: Uuid, location_id: Uuid) -> Result<i64> {
        let qty: Option<i64> =
            sqlx::query_scalar("SELECT qty_milli FROM stock_levels WHERE product_id = ? AND location_id = ?")
                .bind(product_id.to_string())
                .bind(location_id.to_string())
                .fetch_optional(self.reader())
                .await?;
        Ok(qty.unwrap_or(0))
    }

    /// The stock level computed from the ledger alone (latest count plus the
    /// movements stamped after it). Equal to [`Store::stock_level`] always;
    /// the sync engine and tests use it as the definition.
    pub async fn stock_level_from_ledger(&self, product_id: Uuid, location_id: Uuid) -> Result<i64> {
        let qty: i64 = sqlx::query_scalar(
            "WITH latest AS (
                 SELECT qty_milli, hlc FROM stock_movements
                 WHERE product_id = ?1 AND location_id = ?2 AND kind = 'count'
                 ORDER BY hlc DESC, hlc_device DESC, id DESC LIMIT 1)
             SELECT coalesce((SELECT qty_milli FROM latest), 0)
                  + coalesce((SELECT sum(qty_milli) FROM stock_movements
                              WHERE product_id = ?1 AND location_id = ?2 AND kind != 'count'
                                AND hlc > coalesce((SELECT hlc FROM latest), -1)), 0)",
        )
        .bind(product_id.to_string())
        .bind(location_id.to_string())
        .fetch_one(self.reader())
        .await?;
        Ok(qty)
    }
}
