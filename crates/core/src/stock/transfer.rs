//! Transfers between locations as two facts: `transfer_out` at the source
//! (with the transfer's header) and `transfer_in` at the destination, linked
//! by the transfer id. Goods in transit are derived from the two, per
//! transfer and product, and never stored.

use sqlx::{Executor, Sqlite};
use stockroom_protocol::ops::{MovementKind, TransferHeader};
use stockroom_protocol::Hlc;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::Qty;
use crate::stock::{merge_lines, ProductQty};
use crate::store::{DocKind, Store};

/// A transfer with what was sent, received and is still on its way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub id: Uuid,
    /// Human number, e.g. `D01-T000007`.
    pub number: String,
    pub from_location_id: Uuid,
    pub to_location_id: Uuid,
    /// When the goods left, on the sending device's clock.
    pub sent_hlc: Hlc,
    /// One line per product, by product name.
    pub lines: Vec<TransferLine>,
}

impl Transfer {
    /// Whether some product is still on its way.
    pub fn is_open(&self) -> bool {
        self.lines.iter().any(|line| line.in_transit.milli() > 0)
    }

    fn header(&self) -> TransferHeader {
        TransferHeader {
            id: self.id,
            from_location_id: self.from_location_id,
            to_location_id: self.to_location_id,
            number: self.number.clone(),
        }
    }
}

/// One product of a transfer. `in_transit` is `sent - received`; it is
/// negative only when two devices received the same goods while offline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferLine {
    pub product_id: Uuid,
    /// Empty when the product has not reached this device yet.
    pub sku: String,
    pub name: String,
    pub sent: Qty,
    pub received: Qty,
    pub in_transit: Qty,
}

type TransferRow = (String, String, String, String, i64);

const TRANSFER_COLUMNS: &str = "id, number, from_location_id, to_location_id, hlc";

async fn transfer_row<'c, E>(executor: E, transfer_id: Uuid) -> Result<TransferRow>
where
    E: Executor<'c, Database = Sqlite>,
{
    let sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = ?");
    let row: Option<TransferRow> = sqlx::query_as(&sql)
        .bind(transfer_id.to_string())
        .fetch_optional(executor)
        .await?;
    row.ok_or_else(|| CoreError::not_found("transfer", transfer_id))
}

/// Sent and received quantities per product, summed from the ledger.
async fn transfer_lines<'c, E>(executor: E, transfer_id: Uuid) -> Result<Vec<TransferLine>>
where
    E: Executor<'c, Database = Sqlite>,
{
    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.product_id, coalesce(p.sku, ''), coalesce(p.name, ''),
                coalesce(sum(CASE WHEN m.kind = 'transfer_out' THEN -m.qty_milli ELSE 0 END), 0),
                coalesce(sum(CASE WHEN m.kind = 'transfer_in' THEN m.qty_milli ELSE 0 END), 0)
         FROM stock_movements m LEFT JOIN products p ON p.id = m.product_id
         WHERE m.ref_id = ? AND m.kind IN ('transfer_out', 'transfer_in')
         GROUP BY m.product_id
         ORDER BY 3, 2, 1",
    )
    .bind(transfer_id.to_string())
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|(product_id, sku, name, sent_milli, received_milli)| {
            let in_transit_milli = sent_milli.checked_sub(received_milli).ok_or(CoreError::Overflow)?;
            Ok(TransferLine {
                product_id: parse_uuid(&product_id)?,
                sku,
                name,
                sent: Qty(sent_milli),
                received: Qty(received_milli),
                in_transit: Qty(in_transit_milli),
            })
        })
        .collect()
}

fn transfer_from_parts(row: TransferRow, lines: Vec<TransferLine>) -> Result<Transfer> {
    let (id, number, from_location_id, to_location_id, hlc) = row;
    Ok(Transfer {
        id: parse_uuid(&id)?,
        number,
        from_location_id: parse_uuid(&from_location_id)?,
        to_location_id: parse_uuid(&to_location_id)?,
        sent_hlc: Hlc::from_i64(hlc).map_err(|_| CoreError::corrupt("transfer HLC"))?,
        lines,
    })
}

impl Store {
    /// Sends goods from one location to another: writes the transfer and a
    /// `transfer_out` movement (negative) per product at the source. The
    /// goods are in transit until [`Store::transfer_in`] records them at the
    /// destination. Negative stock at the source is allowed and flagged.
    pub async fn transfer_out(
        &self,
        session: &Session,
        from_location_id: Uuid,
        to_location_id: Uuid,
        lines: &[ProductQty],
    ) -> Result<Transfer> {
        session.require(Permission::TransferStock)?;
        if from_location_id == to_location_id {
            return Err(CoreError::invalid(
                "destination",
                "a transfer must go to another location",
            ));
        }
        let lines = merge_lines(lines)?;
        let mut write = self.write(session).await?;
        write.require_location(from_location_id, true).await?;
        write.require_location(to_location_id, true).await?;
        for (product_id, _) in &lines {
            write.require_product(*product_id).await?;
        }
        let transfer_id = write.new_id();
        let number = write.next_number(DocKind::Transfer).await?;
        let hlc = write.stamp();
        let user_id = write.user_id.to_string();
        sqlx::query(
            "INSERT INTO transfers (id, number, from_location_id, to_location_id, hlc, user_id)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(transfer_id.to_string())
        .bind(&number)
        .bind(from_location_id.to_string())
        .bind(to_location_id.to_string())
        .bind(hlc.to_i64())
        .bind(user_id)
        .execute(write.conn())
        .await?;
        let movements = lines
            .into_iter()
            .map(|(product_id, qty_milli)| {
                write.movement(
                    MovementKind::TransferOut,
                    product_id,
                    from_location_id,
                    -qty_milli,
                    hlc,
                    Some(transfer_id),
                )
            })
            .collect();
        let header = TransferHeader {
            id: transfer_id,
            from_location_id,
            to_location_id,
            number,
        };
        write.record_stock_moved(hlc, movements, Some(header)).await?;
        write.commit().await?;
        self.transfer(transfer_id).await
    }

    /// Records goods of a transfer arriving at its destination: a
    /// `transfer_in` movement per product. `lines` are what actually
    /// arrived (a part is fine, the rest stays in transit); `None` receives
    /// everything still in transit. Receiving more of a product than is in
    /// transit fails with `invalid_input`.
    pub async fn transfer_in(
        &self,
        session: &Session,
        transfer_id: Uuid,
        lines: Option<&[ProductQty]>,
    ) -> Result<Transfer> {
        session.require(Permission::TransferStock)?;
        let requested = lines.map(merge_lines).transpose()?;
        let mut write = self.write(session).await?;
        let row = transfer_row(write.conn(), transfer_id).await?;
        let current = transfer_lines(write.conn(), transfer_id).await?;
        let transfer = transfer_from_parts(row, current)?;
        write.require_location(transfer.to_location_id, false).await?;

        let arriving: Vec<(Uuid, i64)> = match requested {
            Some(requested) => {
                for (product_id, qty_milli) in &requested {
                    let in_transit = transfer
                        .lines
                        .iter()
                        .find(|line| line.product_id == *product_id)
                        .map_or(0, |line| line.in_transit.milli());
                    if *qty_milli > in_transit {
                        return Err(CoreError::invalid(
                            "quantity",
                            format!(
                                "receiving {} of product {product_id} but {} is in transit on transfer {}",
                                Qty(*qty_milli),
                                Qty(in_transit.max(0)),
                                transfer.number
                            ),
                        ));
                    }
                }
                requested
            }
            None => transfer
                .lines
                .iter()
                .filter(|line| line.in_transit.milli() > 0)
                .map(|line| (line.product_id, line.in_transit.milli()))
                .collect(),
        };
        if arriving.is_empty() {
            return Err(CoreError::invalid(
                "transfer",
                format!("nothing is in transit on transfer {}", transfer.number),
            ));
        }

        let hlc = write.stamp();
        let movements = arriving
            .into_iter()
            .map(|(product_id, qty_milli)| {
                write.movement(
                    MovementKind::TransferIn,
                    product_id,
                    transfer.to_location_id,
                    qty_milli,
                    hlc,
                    Some(transfer_id),
                )
            })
            .collect();
        write
            .record_stock_moved(hlc, movements, Some(transfer.header()))
            .await?;
        write.commit().await?;
        self.transfer(transfer_id).await
    }

    /// One transfer with its sent, received and in-transit quantities.
    pub async fn transfer(&self, transfer_id: Uuid) -> Result<Transfer> {
        let row = transfer_row(self.reader(), transfer_id).await?;
        let lines = transfer_lines(self.reader(), transfer_id).await?;
        transfer_from_parts(row, lines)
    }

    /// Transfers to `location_id` with goods still in transit, oldest first.
    pub async fn open_transfers_to(&self, location_id: Uuid) -> Result<Vec<Transfer>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT t.id FROM transfers t
             WHERE t.to_location_id = ? AND EXISTS (
                 SELECT 1 FROM stock_movements m
                 WHERE m.ref_id = t.id AND m.kind IN ('transfer_out', 'transfer_in')
                 GROUP BY m.product_id HAVING -sum(m.qty_milli) > 0)
             ORDER BY t.hlc, t.id",
        )
        .bind(location_id.to_string())
        .fetch_all(self.reader())
        .await?;
        let mut transfers = Vec::with_capacity(ids.len());
        for id in ids {
            transfers.push(self.transfer(parse_uuid(&id)?).await?);
        }
        Ok(transfers)
    }
}
