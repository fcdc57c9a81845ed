//! Clerk commands: pricing a cart, completing a sale (split payments, two
//! currencies, change due) with its receipt, receipts by number, returns
//! against a receipt, and the shift with its cash-up.

use serde::{Deserialize, Serialize};
use stockroom_core::{
    Discount, LocationKind, PaymentRequest, Receipt, ReturnLineRequest, ReturnReceipt, ReturnRequest, SaleLineRequest,
    SaleQuote, SaleRequest, Shift,
};
use ts_rs::TS;
use uuid::Uuid;

use crate::dto::{MoneyDto, NoArgs, PaymentMethodDto};
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// A discount on a line or on the whole sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum DiscountDto {
    /// A share: 1000 = 10 %.
    Percent { basis_points: u32 },
    /// A fixed amount in the sale's currency.
    Amount { amount: MoneyDto },
}

impl DiscountDto {
    fn to_core(&self) -> Result<Discount, IpcError> {
        Ok(match self {
            DiscountDto::Percent { basis_points } => Discount::BasisPoints(*basis_points),
            DiscountDto::Amount { amount } => Discount::Amount(amount.to_money()?),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    pub product_id: Uuid,
    pub qty_milli: i64,
    #[serde(default)]
    pub discount: Option<DiscountDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDto {
    pub method: PaymentMethodDto,
    /// As handed over, in its own currency.
    pub amount: MoneyDto,
    /// Sale-currency units per unit of the payment's currency × 1,000,000;
    /// required when the currencies differ.
    #[serde(default)]
    pub rate_micros: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SaleArgs {
    /// The open shift's location, else the first store, when left out.
    #[serde(default)]
    pub location_id: Option<Uuid>,
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    pub lines: Vec<CartLine>,
    /// On the whole sale.
    #[serde(default)]
    pub discount: Option<DiscountDto>,
    /// Ignored by `quote_sale`.
    #[serde(default)]
    pub payments: Vec<PaymentDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuoteLineDto {
    pub product_id: Uuid,
    pub qty_milli: i64,
    pub unit_price: MoneyDto,
    pub discount: MoneyDto,
    pub tax: MoneyDto,
    pub total: MoneyDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuoteDto {
    pub currency: String,
    pub lines: Vec<QuoteLineDto>,
    pub subtotal: MoneyDto,
    pub discount: MoneyDto,
    pub tax: MoneyDto,
    pub total: MoneyDto,
}

impl From<SaleQuote> for QuoteDto {
    fn from(quote: SaleQuote) -> QuoteDto {
        QuoteDto {
            currency: quote.currency.to_string(),
            lines: quote
                .lines
                .into_iter()
                .map(|line| QuoteLineDto {
                    product_id: line.product_id,
                    qty_milli: line.qty.milli(),
                    unit_price: line.unit_price.into(),
                    discount: line.discount.into(),
                    tax: line.tax.into(),
                    total: line.total.into(),
                })
                .collect(),
            subtotal: quote.subtotal.into(),
            discount: quote.discount.into(),
            tax: quote.tax.into(),
            total: quote.total.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptLineDto {
    pub line_id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub qty_milli: i64,
    pub unit_price: MoneyDto,
    pub discount: MoneyDto,
    pub tax_rate_bp: u32,
    pub tax: MoneyDto,
    pub total: MoneyDto,
    pub returned_milli: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptPaymentDto {
    pub method: PaymentMethodDto,
    pub amount: MoneyDto,
    pub rate_micros: i64,
    /// Counted towards the sale, in its currency.
    pub counted: MoneyDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptDto {
    pub sale_id: Uuid,
    pub number: String,
    pub sold_at_ms: u64,
    pub location_name: String,
    pub customer_name: Option<String>,
    pub currency: String,
    pub lines: Vec<ReceiptLineDto>,
    pub subtotal: MoneyDto,
    pub discount: MoneyDto,
    pub tax: MoneyDto,
    pub total: MoneyDto,
    pub payments: Vec<ReceiptPaymentDto>,
    /// Cash handed back.
    pub change: MoneyDto,
    pub refunded: MoneyDto,
}

impl From<Receipt> for ReceiptDto {
    fn from(receipt: Receipt) -> ReceiptDto {
        ReceiptDto {
            sale_id: receipt.sale_id,
            number: receipt.number,
            sold_at_ms: receipt.sold_at_ms,
            location_name: receipt.location_name,
            customer_name: receipt.customer_name,
            currency: receipt.currency.to_string(),
            lines: receipt
                .lines
                .into_iter()
                .map(|line| ReceiptLineDto {
                    line_id: line.line_id,
                    product_id: line.product_id,
                    sku: line.sku,
                    name: line.name,
                    qty_milli: line.qty.milli(),
                    unit_price: line.unit_price.into(),
                    discount: line.discount.into(),
                    tax_rate_bp: line.tax_rate_bp,
                    tax: line.tax.into(),
                    total: line.total.into(),
                    returned_milli: line.returned.milli(),
                })
                .collect(),
            subtotal: receipt.subtotal.into(),
            discount: receipt.discount.into(),
            tax: receipt.tax.into(),
            total: receipt.total.into(),
            payments: receipt
                .payments
                .into_iter()
                .map(|payment| ReceiptPaymentDto {
                    method: payment.method.into(),
                    amount: payment.amount.into(),
                    rate_micros: payment.rate_micros,
                    counted: payment.counted.into(),
                })
                .collect(),
            change: receipt.change.into(),
            refunded: receipt.refunded.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GetReceiptArgs {
    /// The printed number, e.g. `D01-000123`.
    pub number: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReturnLineDto {
    pub sale_line_id: Uuid,
    pub qty_milli: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordReturnArgs {
    /// The receipt's number.
    pub number: String,
    pub lines: Vec<ReturnLineDto>,
    /// By default the method that took the largest payment.
    #[serde(default)]
    pub refund_method: Option<PaymentMethodDto>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReturnedLineDto {
    pub sale_line_id: Uuid,
    pub product_id: Uuid,
    pub name: String,
    pub qty_milli: i64,
    pub refund: MoneyDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReturnReceiptDto {
    pub return_id: Uuid,
    pub number: String,
    pub sale_number: String,
    pub returned_at_ms: u64,
    pub lines: Vec<ReturnedLineDto>,
    pub total: MoneyDto,
    pub refund_method: Option<PaymentMethodDto>,
}

impl From<ReturnReceipt> for ReturnReceiptDto {
    fn from(receipt: ReturnReceipt) -> ReturnReceiptDto {
        ReturnReceiptDto {
            return_id: receipt.return_id,
            number: receipt.number,
            sale_number: receipt.sale_number,
            returned_at_ms: receipt.returned_at_ms,
            lines: receipt
                .lines
                .into_iter()
                .map(|line| ReturnedLineDto {
                    sale_line_id: line.sale_line_id,
                    product_id: line.product_id,
                    name: line.name,
                    qty_milli: line.qty.milli(),
                    refund: line.refund.into(),
                })
                .collect(),
            total: receipt.total.into(),
            refund_method: receipt.refund_method.map(PaymentMethodDto::from),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenShiftArgs {
    /// Cash put in the drawer.
    pub float: MoneyDto,
    /// The first store when left out.
    #[serde(default)]
    pub location_id: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CloseShiftArgs {
    pub counted_cash: MoneyDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShiftDto {
    pub id: Uuid,
    pub location_id: Uuid,
    pub float: MoneyDto,
    pub opened_by: Uuid,
    pub opened_ms: u64,
    pub closed_ms: Option<u64>,
    /// Cash the drawer should hold (so far, while open).
    pub expected: MoneyDto,
    pub counted: Option<MoneyDto>,
    /// `counted − expected`: negative when cash is missing.
    pub variance: Option<MoneyDto>,
}

impl From<Shift> for ShiftDto {
    fn from(shift: Shift) -> ShiftDto {
        ShiftDto {
            id: shift.id,
            location_id: shift.location_id,
            float: shift.float.into(),
            opened_by: shift.opened_by,
            opened_ms: shift.opened_ms,
            closed_ms: shift.closed_ms,
            expected: shift.expected.into(),
            counted: shift.counted.map(MoneyDto::from),
            variance: shift.variance.map(MoneyDto::from),
        }
    }
}

/// The till's location: given, the open shift's, the device's assigned
/// location, or the first store.
async fn till_location(state: &AppState, given: Option<Uuid>) -> Result<Uuid, IpcError> {
    if let Some(location_id) = given {
        return Ok(location_id);
    }
    if let Some(shift) = state.store().current_shift().await? {
        return Ok(shift.location_id);
    }
    if let Some(location_id) = super::start::device_location(state).await? {
        return Ok(location_id);
    }
    let locations = state.store().locations().await?;
    locations
        .iter()
        .filter(|location| location.active)
        .find(|location| location.kind == LocationKind::Store)
        .or_else(|| locations.iter().find(|location| location.active))
        .map(|location| location.id)
        .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "this shop has no location to sell from yet"))
}

async fn sale_request(state: &AppState, args: &SaleArgs) -> Result<SaleRequest, IpcError> {
    let mut lines = Vec::with_capacity(args.lines.len());
    for line in &args.lines {
        lines.push(SaleLineRequest {
            product_id: line.product_id,
            qty: stockroom_core::Qty(line.qty_milli),
            discount: line.discount.as_ref().map(DiscountDto::to_core).transpose()?,
        });
    }
    let mut payments = Vec::with_capacity(args.payments.len());
    for payment in &args.payments {
        payments.push(PaymentRequest {
            method: payment.method.into(),
            amount: payment.amount.to_money()?,
            rate_micros: payment.rate_micros,
        });
    }
    Ok(SaleRequest {
        location_id: till_location(state, args.location_id).await?,
        customer_id: args.customer_id,
        lines,
        discount: args.discount.as_ref().map(DiscountDto::to_core).transpose()?,
        payments,
    })
}

pub async fn quote_sale(state: &AppState, args: SaleArgs) -> Result<QuoteDto, IpcError> {
    let session = state.session()?;
    let request = sale_request(state, &args).await?;
    Ok(state.store().quote_sale(&session, &request).await?.into())
}

pub async fn record_sale(state: &AppState, args: SaleArgs) -> Result<ReceiptDto, IpcError> {
    let session = state.session()?;
    let request = sale_request(state, &args).await?;
    Ok(state.store().record_sale(&session, &request).await?.into())
}

pub async fn get_receipt(state: &AppState, args: GetReceiptArgs) -> Result<ReceiptDto, IpcError> {
    let store = state.store();
    let sale_id = store.sale_id_by_number(&args.number).await?;
    Ok(store.receipt(sale_id).await?.into())
}

pub async fn record_return(state: &AppState, args: RecordReturnArgs) -> Result<ReturnReceiptDto, IpcError> {
    let session = state.session()?;
    let store = state.store();
    let request = ReturnRequest {
        sale_id: store.sale_id_by_number(&args.number).await?,
        lines: args
            .lines
            .iter()
            .map(|line| ReturnLineRequest {
                sale_line_id: line.sale_line_id,
                qty: stockroom_core::Qty(line.qty_milli),
            })
            .collect(),
        refund_method: args.refund_method.map(Into::into),
        reason: args.reason,
    };
    Ok(store.record_return(&session, &request).await?.into())
}

pub async fn open_shift(state: &AppState, args: OpenShiftArgs) -> Result<ShiftDto, IpcError> {
    let session = state.session()?;
    let location_id = till_location(state, args.location_id).await?;
    let shift = state
        .store()
        .open_shift(&session, location_id, args.float.to_money()?)
        .await?;
    Ok(shift.into())
}

pub async fn close_shift(state: &AppState, args: CloseShiftArgs) -> Result<ShiftDto, IpcError> {
    let session = state.session()?;
    let shift = state
        .store()
        .close_shift(&session, args.counted_cash.to_money()?)
        .await?;
    Ok(shift.into())
}

pub async fn current_shift(state: &AppState, _args: NoArgs) -> Result<Option<ShiftDto>, IpcError> {
    Ok(state.store().current_shift().await?.map(ShiftDto::from))
}
