//! Recording a POS sale: price the cart, settle the payments, and write the
//! sale, its lines, payments, stock movements and account entries with one
//! `sale.completed` op in one transaction. A sale is a fact: negative
//! stock, a price below cost or a customer over their credit limit raise
//! flags for a manager, never a refusal.

use sqlx::SqliteConnection;
use stockroom_protocol::ops::{
    AccountEntry, AccountEntryKind, MovementKind, Payment, PaymentMethod, SaleCompleted, SaleLine,
};
use stockroom_protocol::Op;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::catalog::price_lists::prices_for_in;
use crate::customers::{balance_in, customer_in, Customer};
use crate::error::{CoreError, Result};
use crate::ledger::ROWS_PER_STATEMENT;
use crate::money::{line_amount, Currency, Money, Qty};
use crate::sales::pricing::{sale_amounts, settle, Discount, LineInput, PaymentRequest, SaleAmounts};
use crate::sales::Receipt;
use crate::store::{DocKind, FlagCode, Store};

/// What the till sends to complete a sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleRequest {
    pub location_id: Uuid,
    /// With a customer, the sale is in the customer's currency and priced
    /// from their price list; without, in the shop's base currency at the
    /// products' own prices.
    pub customer_id: Option<Uuid>,
    pub lines: Vec<SaleLineRequest>,
    /// A discount on the whole sale, spread over the lines.
    pub discount: Option<Discount>,
    pub payments: Vec<PaymentRequest>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaleLineRequest {
    pub product_id: Uuid,
    pub qty: Qty,
    pub discount: Option<Discount>,
}

impl SaleLineRequest {
    /// `qty` of a product at its price, no line discount.
    pub fn new(product_id: Uuid, qty: Qty) -> SaleLineRequest {
        SaleLineRequest {
            product_id,
            qty,
            discount: None,
        }
    }

    pub fn with_discount(self, discount: Discount) -> SaleLineRequest {
        SaleLineRequest {
            discount: Some(discount),
            ..self
        }
    }
}

/// What a sale line needs from its product.
struct ProductFacts {
    cost: Money,
    tax_rate_bp: u32,
}

/// A cart priced for its customer: currency, per-line inputs and amounts.
struct PricedCart {
    customer: Option<Customer>,
    currency: Currency,
    inputs: Vec<LineInput>,
    facts: Vec<ProductFacts>,
    amounts: SaleAmounts,
}

/// Prices `request`'s lines (customer's price list and currency, discounts,
/// tax) without writing anything. Shared by quotes and completed sales so
/// the till shows exactly what the sale will record.
async fn price_cart(conn: &mut SqliteConnection, base_currency: Currency, request: &SaleRequest) -> Result<PricedCart> {
    if request.lines.is_empty() {
        return Err(CoreError::invalid("lines", "a sale needs at least one line"));
    }
    let location: Option<String> = sqlx::query_scalar("SELECT id FROM locations WHERE id = ?")
        .bind(request.location_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if location.is_none() {
        return Err(CoreError::not_found("location", request.location_id));
    }
    let customer = match request.customer_id {
        Some(customer_id) => Some(customer_in(&mut *conn, customer_id).await?),
        None => None,
    };
    let currency = customer
        .as_ref()
        .map(|customer| customer.currency)
        .unwrap_or(base_currency);
    let price_list_id = customer.as_ref().and_then(|customer| customer.price_list_id);

    let mut inputs = Vec::with_capacity(request.lines.len());
    let mut facts = Vec::with_capacity(request.lines.len());
    let product_ids: Vec<Uuid> = request.lines.iter().map(|line| line.product_id).collect();
    let prices = prices_for_in(&mut *conn, &product_ids, price_list_id).await?;
    for line in &request.lines {
        let pricing = prices
            .get(&line.product_id)
            .ok_or_else(|| CoreError::not_found("product", line.product_id))?;
        let price = pricing.price;
        if price.currency != currency {
            return Err(CoreError::CurrencyMismatch {
                expected: currency.to_string(),
                found: price.currency.to_string(),
            });
        }
        let tax_rate_bp = u32::try_from(pricing.tax_rate_bp).map_err(|_| CoreError::corrupt("product tax rate"))?;
        inputs.push(LineInput {
            unit_price_minor: price.minor,
            qty: line.qty,
            tax_rate_bp,
            discount: line.discount,
        });
        facts.push(ProductFacts {
            cost: pricing.cost,
            tax_rate_bp,
        });
    }
    let amounts = sale_amounts(currency, &inputs, request.discount)?;
    Ok(PricedCart {
        customer,
        currency,
        inputs,
        facts,
        amounts,
    })
}

/// What the cart costs before payment, for the till's display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleQuote {
    pub currency: Currency,
    /// Per line, in the request's order: (unit price, discount, tax, total).
    pub lines: Vec<QuoteLine>,
    pub subtotal: Money,
    pub discount: Money,
    pub tax: Money,
    pub total: Money,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteLine {
    pub product_id: Uuid,
    pub qty: Qty,
    pub unit_price: Money,
    pub discount: Money,
    pub tax: Money,
    pub total: Money,
}

impl Store {
    /// Prices a cart without recording anything (payments are ignored): the
    /// total the till asks for, computed exactly as `record_sale` will.
    pub async fn quote_sale(&self, session: &Session, request: &SaleRequest) -> Result<SaleQuote> {
        session.require(Permission::Sell)?;
        let base_currency = self.device_info().await?.base_currency;
        let mut conn = self.reader().acquire().await?;
        let priced = price_cart(&mut conn, base_currency, request).await?;
        let currency = priced.currency;
        let money = |minor| Money::new(minor, currency);
        Ok(SaleQuote {
            currency,
            lines: request
                .lines
                .iter()
                .zip(&priced.inputs)
                .zip(&priced.amounts.lines)
                .map(|((line, input), amounts)| QuoteLine {
                    product_id: line.product_id,
                    qty: line.qty,
                    unit_price: money(input.unit_price_minor),
                    discount: money(amounts.discount_minor),
                    tax: money(amounts.tax_minor),
                    total: money(amounts.total_minor),
                })
                .collect(),
            subtotal: money(priced.amounts.subtotal_minor),
            discount: money(priced.amounts.discount_minor),
            tax: money(priced.amounts.tax_minor),
            total: money(priced.amounts.total_minor),
        })
    }

    /// Completes a sale and returns its receipt. Payments, converted into
    /// the sale's currency at their rates, must cover the total (else
    /// `invalid_input` saying what is missing, and nothing is written);
    /// cash beyond the total is given back as change.
    pub async fn record_sale(&self, session: &Session, request: &SaleRequest) -> Result<Receipt> {
        session.require(Permission::Sell)?;
        let mut write = self.write(session).await?;

        let PricedCart {
            customer,
            currency,
            inputs,
            facts,
            amounts,
        } = {
            let base_currency = write.base_currency;
            price_cart(write.conn(), base_currency, request).await?
        };
        let settlement = settle(currency, amounts.total_minor, &request.payments)?;
        let on_account_minor: i64 = settlement
            .payments
            .iter()
            .filter(|payment| payment.method == PaymentMethod::Account)
            .map(|payment| payment.doc_amount_minor)
            .sum();
        if on_account_minor > 0 && customer.is_none() {
            return Err(CoreError::invalid("payment", "a sale on account needs a customer"));
        }

        let sale_id = write.new_id();
        let number = write.next_number(DocKind::Sale).await?;
        let hlc = write.stamp();
        let device = write.device_text.clone();

        let lines: Vec<SaleLine> = request
            .lines
            .iter()
            .zip(&amounts.lines)
            .zip(&facts)
            .enumerate()
            .map(|(index, ((line, line_amounts), product))| SaleLine {
                id: write.new_id(),
                line_no: index as u32 + 1,
                product_id: line.product_id,
                qty_milli: line.qty.milli(),
                unit_price_minor: inputs[index].unit_price_minor,
                discount_minor: line_amounts.discount_minor,
                tax_rate_bp: product.tax_rate_bp,
                tax_minor: line_amounts.tax_minor,
                total_minor: line_amounts.total_minor,
            })
            .collect();
        let payments: Vec<Payment> = settlement
            .payments
            .iter()
            .map(|payment| Payment {
                id: write.new_id(),
                method: payment.method,
                currency: payment.amount.currency.to_string(),
                amount_minor: payment.amount.minor,
                rate_micros: payment.rate_micros,
                doc_amount_minor: payment.doc_amount_minor,
            })
            .collect();
        let movements: Vec<_> = lines
            .iter()
            .map(|line| {
                write.movement(
                    MovementKind::Sale,
                    line.product_id,
                    request.location_id,
                    -line.qty_milli,
                    hlc,
                    Some(sale_id),
                )
            })
            .collect();
        let account_entries: Vec<AccountEntry> = match &customer {
            Some(customer) if on_account_minor > 0 => vec![AccountEntry {
                id: write.new_id(),
                customer_id: customer.id,
                kind: AccountEntryKind::Charge,
                amount_minor: on_account_minor,
                currency: currency.to_string(),
                ref_id: Some(sale_id),
                method: Some(PaymentMethod::Account),
            }],
            _ => Vec::new(),
        };
        let sale = SaleCompleted {
            id: sale_id,
            number,
            location_id: request.location_id,
            customer_id: request.customer_id,
            currency: currency.to_string(),
            subtotal_minor: amounts.subtotal_minor,
            discount_minor: amounts.discount_minor,
            tax_minor: amounts.tax_minor,
            total_minor: amounts.total_minor,
            change_minor: settlement.change_minor,
            lines,
            payments,
            movements,
            account_entries,
        };

        // Flags first where they compare with the state before this sale.
        if let (Some(customer), Some(entry)) = (&customer, sale.account_entries.first()) {
            let balance_before = balance_in(write.conn(), customer).await?;
            let balance_after = balance_before.checked_add(Money::new(entry.amount_minor, currency))?;
            if balance_after.minor > customer.credit_limit.minor {
                write
                    .flag(
                        FlagCode::CreditLimitExceeded,
                        Some(customer.id),
                        format!(
                            "sale {} brings the balance of customer {} to {balance_after}, over the limit of {}",
                            sale.number, customer.id, customer.credit_limit
                        ),
                    )
                    .await?;
            }
        }
        for (line, product) in sale.lines.iter().zip(&facts) {
            if product.cost.currency != currency {
                continue; // priced from a list in another currency: no like-for-like cost
            }
            let net_minor = line.total_minor - line.tax_minor;
            let cost_minor = line_amount(Qty(line.qty_milli), product.cost.minor)?;
            if net_minor < cost_minor {
                write
                    .flag(
                        FlagCode::PriceBelowCost,
                        Some(sale_id),
                        format!(
                            "sale {} line {} sells product {} for {} net, below its cost of {}",
                            sale.number,
                            line.line_no,
                            line.product_id,
                            Money::new(net_minor, currency),
                            Money::new(cost_minor, currency)
                        ),
                    )
                    .await?;
            }
        }

        let user = write.user_id.to_string();
        sqlx::query(
            "INSERT INTO sales (id, number, location_id, customer_id, user_id, currency, subtotal_minor,
                                discount_minor, tax_minor, total_minor, change_minor, hlc, hlc_device)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(sale_id.to_string())
        .bind(&sale.number)
        .bind(sale.location_id.to_string())
        .bind(sale.customer_id.map(|id| id.to_string()))
        .bind(user)
        .bind(&sale.currency)
        .bind(sale.subtotal_minor)
        .bind(sale.discount_minor)
        .bind(sale.tax_minor)
        .bind(sale.total_minor)
        .bind(sale.change_minor)
        .bind(hlc.to_i64())
        .bind(&device)
        .execute(write.conn())
        .await?;
        for lines in sale.lines.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO sale_lines (id, sale_id, line_no, product_id, qty_milli, unit_price_minor,
                                         discount_minor, tax_rate_bp, tax_minor, total_minor)
                 VALUES {}",
                vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; lines.len()].join(", ")
            );
            let mut insert_lines = sqlx::query(&sql);
            for line in lines {
                insert_lines = insert_lines
                    .bind(line.id.to_string())
                    .bind(sale_id.to_string())
                    .bind(i64::from(line.line_no))
                    .bind(line.product_id.to_string())
                    .bind(line.qty_milli)
                    .bind(line.unit_price_minor)
                    .bind(line.discount_minor)
                    .bind(i64::from(line.tax_rate_bp))
                    .bind(line.tax_minor)
                    .bind(line.total_minor);
            }
            insert_lines.execute(write.conn()).await?;
        }
        for payment in &sale.payments {
            write.insert_payment(sale_id, payment, hlc).await?;
        }
        write.record_movements(&sale.movements, &device).await?;
        for entry in &sale.account_entries {
            write.insert_account_entry(entry, hlc).await?;
        }
        write.append_op(hlc, &Op::SaleCompleted(sale)).await?;
        write.commit().await?;
        self.receipt(sale_id).await
    }
}

impl crate::store::WriteTx<'_> {
    /// Appends a payment (or, negative, a refund) of document `doc_id`.
    pub(crate) async fn insert_payment(
        &mut self,
        doc_id: Uuid,
        payment: &Payment,
        hlc: stockroom_protocol::Hlc,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO payments (id, doc_id, method, currency, amount_minor, rate_micros, doc_amount_minor, hlc)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(payment.id.to_string())
        .bind(doc_id.to_string())
        .bind(payment.method.as_str())
        .bind(&payment.currency)
        .bind(payment.amount_minor)
        .bind(payment.rate_micros)
        .bind(payment.doc_amount_minor)
        .bind(hlc.to_i64())
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
