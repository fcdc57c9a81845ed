//! Returns against a completed sale: check the quantities still returnable,
//! refund each line its exact share of the line total, put the goods back
//! at the sale's location, and pay back (negative payment) or credit the
//! customer's account, with one `return.completed` op.

use stockroom_protocol::ops::{
    AccountEntry, AccountEntryKind, MovementKind, Payment, PaymentMethod, ReturnCompleted, ReturnLine,
};
use stockroom_protocol::Op;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::{Currency, Money, Qty};
use crate::sales::pricing::{refund_for, SAME_CURRENCY_RATE_MICROS};
use crate::sales::{millis_of, parse_method};
use crate::store::{DocKind, Store};

/// What the clerk sends to take goods back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnRequest {
    pub sale_id: Uuid,
    pub lines: Vec<ReturnLineRequest>,
    /// How the money goes back. By default the method that took the largest
    /// payment of the sale (card to card, account to account, cash to cash).
    /// `Account` needs a sale with a customer.
    pub refund_method: Option<PaymentMethod>,
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReturnLineRequest {
    pub sale_line_id: Uuid,
    pub qty: Qty,
}

/// A completed return as printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnReceipt {
    pub return_id: Uuid,
    pub number: String,
    pub returned_at_ms: u64,
    pub sale_id: Uuid,
    pub sale_number: String,
    pub location_id: Uuid,
    pub reason: Option<String>,
    pub lines: Vec<ReturnedLine>,
    /// Refunded in all, in the sale's currency.
    pub total: Money,
    /// How it was refunded (`Account`: credited to the customer's account);
    /// `None` when nothing was due.
    pub refund_method: Option<PaymentMethod>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnedLine {
    pub return_line_id: Uuid,
    pub sale_line_id: Uuid,
    pub product_id: Uuid,
    pub name: String,
    pub qty: Qty,
    pub refund: Money,
}

/// A sale line with what has been returned of it so far.
struct ReturnableLine {
    id: Uuid,
    product_id: Uuid,
    qty: Qty,
    total_minor: i64,
    returned: Qty,
    refunded_minor: i64,
}

#[derive(sqlx::FromRow)]
struct ReturnHeaderRow {
    number: String,
    sale_id: String,
    sale_number: String,
    location_id: String,
    currency: String,
    total_minor: i64,
    reason: Option<String>,
    hlc: i64,
}

impl Store {
    /// Takes goods of a sale back and refunds them. Each line may return at
    /// most what was sold minus what was already returned (else
    /// `invalid_input`); returning everything refunds exactly the sale's
    /// total.
    pub async fn record_return(&self, session: &Session, request: &ReturnRequest) -> Result<ReturnReceipt> {
        session.require(Permission::Refund)?;
        if request.lines.is_empty() {
            return Err(CoreError::invalid("lines", "a return needs at least one line"));
        }
        let mut write = self.write(session).await?;
        let sale: Option<(String, String, Option<String>, String)> =
            sqlx::query_as("SELECT number, location_id, customer_id, currency FROM sales WHERE id = ?")
                .bind(request.sale_id.to_string())
                .fetch_optional(write.conn())
                .await?;
        let (sale_number, location_id, customer_id, currency) =
            sale.ok_or_else(|| CoreError::not_found("sale", request.sale_id))?;
        let location_id = parse_uuid(&location_id)?;
        let customer_id = customer_id.as_deref().map(parse_uuid).transpose()?;
        let currency: Currency = currency.parse()?;

        let rows: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT sl.id, sl.product_id, sl.qty_milli, sl.total_minor,
                    coalesce(sum(rl.qty_milli), 0), coalesce(sum(rl.refund_minor), 0)
             FROM sale_lines sl LEFT JOIN return_lines rl ON rl.sale_line_id = sl.id
             WHERE sl.sale_id = ? GROUP BY sl.id ORDER BY sl.line_no",
        )
        .bind(request.sale_id.to_string())
        .fetch_all(write.conn())
        .await?;
        let sale_lines = rows
            .into_iter()
            .map(|(id, product_id, qty, total_minor, returned, refunded_minor)| {
                Ok(ReturnableLine {
                    id: parse_uuid(&id)?,
                    product_id: parse_uuid(&product_id)?,
                    qty: Qty(qty),
                    total_minor,
                    returned: Qty(returned),
                    refunded_minor,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        // The same sale line twice in one request counts as one, in order of first mention.
        let mut wanted: Vec<(Uuid, Qty)> = Vec::new();
        for line in &request.lines {
            if line.qty.milli() <= 0 {
                return Err(CoreError::invalid("return quantity", "must be positive"));
            }
            match wanted.iter_mut().find(|(id, _)| *id == line.sale_line_id) {
                Some((_, qty)) => qty.0 = qty.0.checked_add(line.qty.0).ok_or(CoreError::Overflow)?,
                None => wanted.push((line.sale_line_id, line.qty)),
            }
        }

        let return_id = write.new_id();
        let mut lines = Vec::with_capacity(wanted.len());
        for (sale_line_id, qty) in wanted {
            let sold = sale_lines.iter().find(|line| line.id == sale_line_id).ok_or_else(|| {
                CoreError::invalid(
                    "sale line",
                    format!("{sale_line_id} is not a line of sale {sale_number}"),
                )
            })?;
            let refund_minor = refund_for(sold.total_minor, sold.qty, sold.returned, sold.refunded_minor, qty)?;
            lines.push(ReturnLine {
                id: write.new_id(),
                sale_line_id,
                product_id: sold.product_id,
                qty_milli: qty.milli(),
                refund_minor,
            });
        }
        let total_minor = lines
            .iter()
            .try_fold(0i64, |sum, line| sum.checked_add(line.refund_minor))
            .ok_or(CoreError::Overflow)?;

        // By default the money goes back the way most of it came in: a card
        // sale to the card, an account sale to the account, cash to cash.
        let main_method: Option<String> = sqlx::query_scalar(
            "SELECT method FROM payments WHERE doc_id = ? AND doc_amount_minor > 0
             ORDER BY doc_amount_minor DESC, method LIMIT 1",
        )
        .bind(request.sale_id.to_string())
        .fetch_optional(write.conn())
        .await?;
        let method = match (request.refund_method, main_method) {
            (Some(method), _) => method,
            (None, Some(name)) => crate::sales::parse_method(&name)?,
            (None, None) => PaymentMethod::Cash,
        };
        let mut refunds = Vec::new();
        let mut account_entries = Vec::new();
        if method == PaymentMethod::Account {
            let customer_id = customer_id.ok_or_else(|| {
                CoreError::invalid(
                    "refund method",
                    "only a sale with a customer can be credited to an account",
                )
            })?;
            if total_minor > 0 {
                account_entries.push(AccountEntry {
                    id: write.new_id(),
                    customer_id,
                    kind: AccountEntryKind::Credit,
                    amount_minor: -total_minor,
                    currency: currency.to_string(),
                    ref_id: Some(return_id),
                    method: Some(PaymentMethod::Account),
                });
            }
        } else if total_minor > 0 {
            refunds.push(Payment {
                id: write.new_id(),
                method,
                currency: currency.to_string(),
                amount_minor: -total_minor,
                rate_micros: SAME_CURRENCY_RATE_MICROS,
                doc_amount_minor: -total_minor,
            });
        }

        let number = write.next_number(DocKind::Return).await?;
        let hlc = write.stamp();
        let device = write.device_text.clone();
        let movements: Vec<_> = lines
            .iter()
            .map(|line| {
                write.movement(
                    MovementKind::Return,
                    line.product_id,
                    location_id,
                    line.qty_milli,
                    hlc,
                    Some(return_id),
                )
            })
            .collect();
        let reason = request
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|reason| !reason.is_empty())
            .map(str::to_string);
        let completed = ReturnCompleted {
            id: return_id,
            number,
            sale_id: request.sale_id,
            location_id,
            currency: currency.to_string(),
            total_minor,
            reason,
            lines,
            refunds,
            movements,
            account_entries,
        };

        let user = write.user_id.to_string();
        sqlx::query(
            "INSERT INTO returns (id, number, sale_id, location_id, user_id, currency, total_minor, reason, hlc, hlc_device)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(return_id.to_string())
        .bind(&completed.number)
        .bind(request.sale_id.to_string())
        .bind(location_id.to_string())
        .bind(user)
        .bind(&completed.currency)
        .bind(total_minor)
        .bind(completed.reason.as_deref())
        .bind(hlc.to_i64())
        .bind(&device)
        .execute(write.conn())
        .await?;
        for line in &completed.lines {
            sqlx::query(
                "INSERT INTO return_lines (id, return_id, sale_line_id, product_id, qty_milli, refund_minor)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(line.id.to_string())
            .bind(return_id.to_string())
            .bind(line.sale_line_id.to_string())
            .bind(line.product_id.to_string())
            .bind(line.qty_milli)
            .bind(line.refund_minor)
            .execute(write.conn())
            .await?;
        }
        for refund in &completed.refunds {
            write.insert_payment(return_id, refund, hlc).await?;
        }
        write.record_movements(&completed.movements, &device).await?;
        for entry in &completed.account_entries {
            write.insert_account_entry(entry, hlc).await?;
        }
        write.append_op(hlc, &Op::ReturnCompleted(completed)).await?;
        write.commit().await?;
        self.return_receipt(return_id).await
    }

    /// A return as printed, rebuilt from the ledger.
    pub async fn return_receipt(&self, return_id: Uuid) -> Result<ReturnReceipt> {
        let header: Option<ReturnHeaderRow> = sqlx::query_as(
            "SELECT r.number, r.sale_id, coalesce(s.number, '') AS sale_number, r.location_id, r.currency,
                    r.total_minor, r.reason, r.hlc
             FROM returns r LEFT JOIN sales s ON s.id = r.sale_id WHERE r.id = ?",
        )
        .bind(return_id.to_string())
        .fetch_optional(self.reader())
        .await?;
        let header = header.ok_or_else(|| CoreError::not_found("return", return_id))?;
        let currency: Currency = header.currency.parse()?;
        let rows: Vec<(String, String, String, Option<String>, i64, i64)> = sqlx::query_as(
            "SELECT rl.id, rl.sale_line_id, rl.product_id, p.name, rl.qty_milli, rl.refund_minor
             FROM return_lines rl
             JOIN sale_lines sl ON sl.id = rl.sale_line_id
             LEFT JOIN products p ON p.id = rl.product_id
             WHERE rl.return_id = ? ORDER BY sl.line_no, rl.id",
        )
        .bind(return_id.to_string())
        .fetch_all(self.reader())
        .await?;
        let lines = rows
            .into_iter()
            .map(|(id, sale_line_id, product_id, name, qty, refund)| {
                Ok(ReturnedLine {
                    return_line_id: parse_uuid(&id)?,
                    sale_line_id: parse_uuid(&sale_line_id)?,
                    product_id: parse_uuid(&product_id)?,
                    name: name.unwrap_or_default(),
                    qty: Qty(qty),
                    refund: Money::new(refund, currency),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let refund_method = {
            let paid_back: Option<String> = sqlx::query_scalar("SELECT method FROM payments WHERE doc_id = ? LIMIT 1")
                .bind(return_id.to_string())
                .fetch_optional(self.reader())
                .await?;
            let credited: Option<String> =
                sqlx::query_scalar("SELECT id FROM account_entries WHERE ref_id = ? AND kind = 'credit' LIMIT 1")
                    .bind(return_id.to_string())
                    .fetch_optional(self.reader())
                    .await?;
            match (paid_back, credited) {
                (Some(method), _) => Some(parse_method(&method)?),
                (None, Some(_)) => Some(PaymentMethod::Account),
                (None, None) => None,
            }
        };
        Ok(ReturnReceipt {
            return_id,
            number: header.number,
            returned_at_ms: millis_of(header.hlc)?,
            sale_id: parse_uuid(&header.sale_id)?,
            sale_number: header.sale_number,
            location_id: parse_uuid(&header.location_id)?,
            reason: header.reason,
            lines,
            total: Money::new(header.total_minor, currency),
            refund_method,
        })
    }
}
