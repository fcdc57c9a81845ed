//! Selling: POS sales and their receipts (`pos`), returns against a sale
//! (`returns`), wholesale sales orders (`orders`), and the exact arithmetic
//! they share (`pricing`). This file holds the receipt types and the reads
//! that rebuild a receipt from the ledger.

pub mod orders;
pub mod pos;
pub mod pricing;
pub mod returns;
pub mod shifts;

use stockroom_protocol::ops::PaymentMethod;
use stockroom_protocol::Hlc;
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::{Currency, Money, Qty};
use crate::store::Store;

pub use orders::{OrderLineView, OrderStatus, OrderSummary, SalesOrder};
pub use pos::{QuoteLine, SaleLineRequest, SaleQuote, SaleRequest};
pub use pricing::{Discount, PaymentRequest, SAME_CURRENCY_RATE_MICROS};
pub use returns::{ReturnLineRequest, ReturnReceipt, ReturnRequest, ReturnedLine};
pub use shifts::Shift;

/// A completed sale as printed and shown again later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub sale_id: Uuid,
    pub number: String,
    pub sold_at_ms: u64,
    pub location_id: Uuid,
    pub location_name: String,
    pub customer_id: Option<Uuid>,
    pub customer_name: Option<String>,
    pub cashier_id: Uuid,
    pub currency: Currency,
    pub lines: Vec<ReceiptLine>,
    /// Sum of `qty × unit price` over the lines, before discounts and tax.
    pub subtotal: Money,
    /// Line discounts plus the whole-sale discount.
    pub discount: Money,
    pub tax: Money,
    /// `subtotal − discount + tax`: what the customer pays.
    pub total: Money,
    pub payments: Vec<ReceiptPayment>,
    /// Cash handed back, in the sale's currency.
    pub change: Money,
    /// Refunded by returns so far.
    pub refunded: Money,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptLine {
    pub line_id: Uuid,
    pub line_no: u32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub qty: Qty,
    /// Excluding tax.
    pub unit_price: Money,
    /// The line's discount including its share of the whole-sale discount.
    pub discount: Money,
    pub tax_rate_bp: u32,
    pub tax: Money,
    /// `qty × unit price − discount + tax`.
    pub total: Money,
    /// Returned so far.
    pub returned: Qty,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptPayment {
    pub method: PaymentMethod,
    /// As handed over, in its own currency.
    pub amount: Money,
    /// Sale-currency units per payment-currency unit, times 1,000,000.
    pub rate_micros: i64,
    /// The amount counted towards the sale, in the sale's currency.
    pub counted: Money,
}

/// A line of the recent-sales list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleSummary {
    pub sale_id: Uuid,
    pub number: String,
    pub sold_at_ms: u64,
    pub customer_name: Option<String>,
    pub total: Money,
}

pub(crate) fn parse_method(name: &str) -> Result<PaymentMethod> {
    PaymentMethod::parse(name).ok_or_else(|| CoreError::corrupt(format!("payment method {name:?}")))
}

pub(crate) fn millis_of(hlc: i64) -> Result<u64> {
    Ok(Hlc::from_i64(hlc)
        .map_err(|_| CoreError::corrupt("document HLC"))?
        .millis())
}

/// Reads the payments (or refunds) of document `doc_id`.
pub(crate) async fn payments_of(store: &Store, doc_id: Uuid, currency: Currency) -> Result<Vec<ReceiptPayment>> {
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT method, currency, amount_minor, rate_micros, doc_amount_minor FROM payments
         WHERE doc_id = ? ORDER BY rowid",
    )
    .bind(doc_id.to_string())
    .fetch_all(store.reader())
    .await?;
    rows.into_iter()
        .map(
            |(method, payment_currency, amount_minor, rate_micros, doc_amount_minor)| {
                Ok(ReceiptPayment {
                    method: parse_method(&method)?,
                    amount: Money::new(amount_minor, payment_currency.parse()?),
                    rate_micros,
                    counted: Money::new(doc_amount_minor, currency),
                })
            },
        )
        .collect()
}

#[derive(sqlx::FromRow)]
struct SaleHeaderRow {
    number: String,
    location_id: String,
    location_name: String,
    customer_id: Option<String>,
    customer_name: Option<String>,
    user_id: String,
    currency: String,
    subtotal_minor: i64,
    discount_minor: i64,
    tax_minor: i64,
    total_minor: i64,
    change_minor: i64,
    hlc: i64,
}

#[derive(sqlx::FromRow)]
struct SaleLineRow {
    id: String,
    line_no: i64,
    product_id: String,
    sku: Option<String>,
    name: Option<String>,
    qty_milli: i64,
    unit_price_minor: i64,
    discount_minor: i64,
    tax_rate_bp: i64,
    tax_minor: i64,
    total_minor: i64,
    returned_milli: i64,
}

impl Store {
    /// The receipt of a sale, rebuilt from the ledger (for reprints and
    /// returns): lines with product names, totals, payments, change.
    pub async fn receipt(&self, sale_id: Uuid) -> Result<Receipt> {
        let header: Option<SaleHeaderRow> = sqlx::query_as(
            "SELECT s.number, s.location_id, coalesce(l.name, '') AS location_name, s.customer_id,
                    c.name AS customer_name, s.user_id, s.currency, s.subtotal_minor, s.discount_minor,
                    s.tax_minor, s.total_minor, s.change_minor, s.hlc
             FROM sales s
             LEFT JOIN locations l ON l.id = s.location_id
             LEFT JOIN customers c ON c.id = s.customer_id
             WHERE s.id = ?",
        )
        .bind(sale_id.to_string())
        .fetch_optional(self.reader())
        .await?;
        let header = header.ok_or_else(|| CoreError::not_found("sale", sale_id))?;
        let currency: Currency = header.currency.parse()?;

        let line_rows: Vec<SaleLineRow> = sqlx::query_as(
            "SELECT sl.id, sl.line_no, sl.product_id, p.sku, p.name, sl.qty_milli, sl.unit_price_minor,
                    sl.discount_minor, sl.tax_rate_bp, sl.tax_minor, sl.total_minor,
                    coalesce((SELECT sum(rl.qty_milli) FROM return_lines rl WHERE rl.sale_line_id = sl.id), 0)
                        AS returned_milli
             FROM sale_lines sl LEFT JOIN products p ON p.id = sl.product_id
             WHERE sl.sale_id = ? ORDER BY sl.line_no",
        )
        .bind(sale_id.to_string())
        .fetch_all(self.reader())
        .await?;
        let lines = line_rows
            .into_iter()
            .map(|row| {
                Ok(ReceiptLine {
                    line_id: parse_uuid(&row.id)?,
                    line_no: row.line_no as u32,
                    product_id: parse_uuid(&row.product_id)?,
                    sku: row.sku.unwrap_or_default(),
                    name: row.name.unwrap_or_default(),
                    qty: Qty(row.qty_milli),
                    unit_price: Money::new(row.unit_price_minor, currency),
                    discount: Money::new(row.discount_minor, currency),
                    tax_rate_bp: row.tax_rate_bp as u32,
                    tax: Money::new(row.tax_minor, currency),
                    total: Money::new(row.total_minor, currency),
                    returned: Qty(row.returned_milli),
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let refunded_minor: i64 =
            sqlx::query_scalar("SELECT coalesce(sum(total_minor), 0) FROM returns WHERE sale_id = ?")
                .bind(sale_id.to_string())
                .fetch_one(self.reader())
                .await?;

        Ok(Receipt {
            sale_id,
            number: header.number,
            sold_at_ms: millis_of(header.hlc)?,
            location_id: parse_uuid(&header.location_id)?,
            location_name: header.location_name,
            customer_id: header.customer_id.as_deref().map(parse_uuid).transpose()?,
            customer_name: header.customer_name,
            cashier_id: parse_uuid(&header.user_id)?,
            currency,
            lines,
            subtotal: Money::new(header.subtotal_minor, currency),
            discount: Money::new(header.discount_minor, currency),
            tax: Money::new(header.tax_minor, currency),
            total: Money::new(header.total_minor, currency),
            payments: payments_of(self, sale_id, currency).await?,
            change: Money::new(header.change_minor, currency),
            refunded: Money::new(refunded_minor, currency),
        })
    }

    /// The latest `limit` sales on this device, newest first.
    pub async fn recent_sales(&self, limit: u32) -> Result<Vec<SaleSummary>> {
        let rows: Vec<(String, String, i64, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT s.id, s.number, s.hlc, c.name, s.currency, s.total_minor
             FROM sales s LEFT JOIN customers c ON c.id = s.customer_id
             ORDER BY s.hlc DESC, s.id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(id, number, hlc, customer_name, currency, total_minor)| {
                Ok(SaleSummary {
                    sale_id: parse_uuid(&id)?,
                    number,
                    sold_at_ms: millis_of(hlc)?,
                    customer_name,
                    total: Money::new(total_minor, currency.parse()?),
                })
            })
            .collect()
    }

    /// The sale with human number `number` (as typed from a receipt).
    pub async fn sale_id_by_number(&self, number: &str) -> Result<Uuid> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM sales WHERE number = ?")
            .bind(number.trim())
            .fetch_optional(self.reader())
            .await?;
        parse_uuid(&id.ok_or_else(|| CoreError::not_found("sale", number.trim()))?)
    }
}
