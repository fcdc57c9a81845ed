//! Wholesale sales orders (class A): a salesperson drafts an order for a
//! customer, priced from the customer's price list in their currency, and
//! submits it; the hub confirms or rejects it later. Drafts stay on the
//! device (no op); submitting takes a number and appends one
//! `order.submitted` op. A submitted order can no longer be edited here.
//! Order prices exclude tax, and are taken when a line is added or changed.

use sqlx::SqliteConnection;
use stockroom_protocol::ops::{OrderLine, OrderSubmitted};
use stockroom_protocol::Op;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::catalog::price_lists::price_for_in;
use crate::customers::customer_in;
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::{line_amount, Currency, Money, Qty};
use crate::sales::millis_of;
use crate::store::{DocKind, Store, WriteTx};

/// Where an order is in its life. Only the hub moves an order past
/// `Submitted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Draft,
    Submitted,
    Confirmed,
    Rejected,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 4] = [
        OrderStatus::Draft,
        OrderStatus::Submitted,
        OrderStatus::Confirmed,
        OrderStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Submitted => "submitted",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Rejected => "rejected",
        }
    }

    pub fn parse(name: &str) -> Result<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or_else(|| CoreError::invalid("order status", format!("{name:?} is not an order status")))
    }
}

/// An order with its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesOrder {
    pub id: Uuid,
    /// Given on submission; `None` for a draft.
    pub number: Option<String>,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub salesperson_id: Uuid,
    pub price_list_id: Option<Uuid>,
    pub currency: Currency,
    pub status: OrderStatus,
    /// Sum of the line totals, excluding tax.
    pub total: Money,
    pub note: Option<String>,
    pub created_ms: u64,
    pub submitted_at_ms: Option<u64>,
    pub lines: Vec<OrderLineView>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderLineView {
    pub line_id: Uuid,
    pub line_no: u32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub qty: Qty,
    pub unit_price: Money,
    pub total: Money,
}

/// A line of the order list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderSummary {
    pub id: Uuid,
    pub number: Option<String>,
    pub customer_id: Uuid,
    pub customer_name: String,
    /// Whether this device holds the customer's record: a salesperson's
    /// device keeps its orders of a customer given to someone else, not
    /// the customer.
    pub customer_held: bool,
    pub status: OrderStatus,
    pub total: Money,
    pub n_lines: u32,
    pub created_ms: u64,
}

fn optional_note(note: Option<&str>) -> Option<String> {
    note.map(str::trim).filter(|note| !note.is_empty()).map(str::to_string)
}

fn number_of(stored: String) -> Option<String> {
    Some(stored).filter(|number| !number.is_empty())
}

fn check_qty(qty: Qty) -> Result<()> {
    if qty.milli() <= 0 {
        return Err(CoreError::invalid("quantity", "must be positive"));
    }
    Ok(())
}

/// The draft's currency and price list; `invalid_input` once submitted.
async fn editable_draft(conn: &mut SqliteConnection, order_id: Uuid) -> Result<(Currency, Option<Uuid>)> {
    let row: Option<(String, String, Option<String>)> =
        sqlx::query_as("SELECT status, currency, price_list_id FROM sales_orders WHERE id = ?")
            .bind(order_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let (status, currency, price_list_id) = row.ok_or_else(|| CoreError::not_found("order", order_id))?;
    let status = OrderStatus::parse(&status)?;
    if status != OrderStatus::Draft {
        return Err(CoreError::invalid(
            "order",
            format!("the order is {}; only a draft can be changed", status.as_str()),
        ));
    }
    Ok((currency.parse()?, price_list_id.as_deref().map(parse_uuid).transpose()?))
}

/// The unit price and line total of `qty` of a product on an order.
async fn price_line(
    conn: &mut SqliteConnection,
    product_id: Uuid,
    qty: Qty,
    currency: Currency,
    price_list_id: Option<Uuid>,
) -> Result<(i64, i64)> {
    let price = price_for_in(conn, product_id, price_list_id).await?.price;
    if price.currency != currency {
        return Err(CoreError::CurrencyMismatch {
            expected: currency.to_string(),
            found: price.currency.to_string(),
        });
    }
    Ok((price.minor, line_amount(qty, price.minor)?))
}

async fn refresh_total(conn: &mut SqliteConnection, order_id: Uuid) -> Result<()> {
    sqlx::query(
        "UPDATE sales_orders SET total_minor =
             (SELECT coalesce(sum(total_minor), 0) FROM sales_order_lines WHERE order_id = ?1)
         WHERE id = ?1",
    )
    .bind(order_id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts a draft order for an active customer, in the customer's currency
/// and under their price list, inside `write`.
async fn create_draft_in(
    write: &mut WriteTx<'_>,
    session: &Session,
    customer_id: Uuid,
    note: Option<&str>,
) -> Result<Uuid> {
    let customer = customer_in(write.conn(), customer_id).await?;
    if !customer.active {
        return Err(CoreError::invalid("customer", "is archived"));
    }
    let order_id = write.new_id();
    let now_ms = write.now_ms() as i64;
    sqlx::query(
        "INSERT INTO sales_orders (id, number, customer_id, salesperson_id, price_list_id, currency, status, total_minor, note, created_ms)
         VALUES (?, '', ?, ?, ?, ?, 'draft', 0, ?, ?)",
    )
    .bind(order_id.to_string())
    .bind(customer_id.to_string())
    .bind(session.user_id().to_string())
    .bind(customer.price_list_id.map(|id| id.to_string()))
    .bind(customer.currency.as_str())
    .bind(optional_note(note))
    .bind(now_ms)
    .execute(write.conn())
    .await?;
    Ok(order_id)
}

/// Adds `qty` of a product to a draft at the customer's price, inside
/// `write`. Returns the line's id.
async fn add_line_in(write: &mut WriteTx<'_>, order_id: Uuid, product_id: Uuid, qty: Qty) -> Result<Uuid> {
    check_qty(qty)?;
    let (currency, price_list_id) = editable_draft(write.conn(), order_id).await?;
    let (unit_price_minor, total_minor) = price_line(write.conn(), product_id, qty, currency, price_list_id).await?;
    let line_no: i64 =
        sqlx::query_scalar("SELECT coalesce(max(line_no), 0) + 1 FROM sales_order_lines WHERE order_id = ?")
            .bind(order_id.to_string())
            .fetch_one(write.conn())
            .await?;
    let line_id = write.new_id();
    sqlx::query(
        "INSERT INTO sales_order_lines (id, order_id, line_no, product_id, qty_milli, unit_price_minor, total_minor)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(line_id.to_string())
    .bind(order_id.to_string())
    .bind(line_no)
    .bind(product_id.to_string())
    .bind(qty.milli())
    .bind(unit_price_minor)
    .bind(total_minor)
    .execute(write.conn())
    .await?;
    refresh_total(write.conn(), order_id).await?;
    Ok(line_id)
}

/// Submits a draft inside `write`: it takes its number, becomes `submitted`
/// and one `order.submitted` op carries it.
async fn submit_in(write: &mut WriteTx<'_>, order_id: Uuid) -> Result<()> {
    let (currency, price_list_id) = editable_draft(write.conn(), order_id).await?;
    // The draft keeps its customer's row (a rebuild keeps the customers of
    // drafts); the order carries the name as it is now.
    let header: (String, Option<String>, String, Option<String>) = sqlx::query_as(
        "SELECT o.customer_id, coalesce(c.name, o.customer_name), o.salesperson_id, o.note
         FROM sales_orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
    )
    .bind(order_id.to_string())
    .fetch_one(write.conn())
    .await?;
    let (customer_id, customer_name, salesperson_id, note) = header;
    let rows: Vec<(String, i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, line_no, product_id, qty_milli, unit_price_minor, total_minor
         FROM sales_order_lines WHERE order_id = ? ORDER BY line_no",
    )
    .bind(order_id.to_string())
    .fetch_all(write.conn())
    .await?;
    if rows.is_empty() {
        return Err(CoreError::invalid("order", "an order needs at least one line"));
    }
    let lines = rows
        .into_iter()
        .map(|(id, line_no, product_id, qty_milli, unit_price_minor, total_minor)| {
            Ok(OrderLine {
                id: parse_uuid(&id)?,
                line_no: line_no as u32,
                product_id: parse_uuid(&product_id)?,
                qty_milli,
                unit_price_minor,
                total_minor,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let total_minor = lines
        .iter()
        .try_fold(0i64, |sum, line| sum.checked_add(line.total_minor))
        .ok_or(CoreError::Overflow)?;
    let number = write.next_number(DocKind::Order).await?;
    let hlc = write.stamp();
    sqlx::query(
        "UPDATE sales_orders SET number = ?, status = 'submitted', customer_name = ?, total_minor = ?, submitted_hlc = ?
         WHERE id = ?",
    )
    .bind(&number)
    .bind(customer_name.as_deref())
    .bind(total_minor)
    .bind(hlc.to_i64())
    .bind(order_id.to_string())
    .execute(write.conn())
    .await?;
    let submitted = OrderSubmitted {
        id: order_id,
        number,
        customer_id: parse_uuid(&customer_id)?,
        customer_name,
        salesperson_id: parse_uuid(&salesperson_id)?,
        price_list_id,
        currency: currency.to_string(),
        total_minor,
        note,
        lines,
    };
    write.append_op(hlc, &Op::OrderSubmitted(submitted)).await?;
    Ok(())
}

impl Store {
    /// Starts a draft order for an active customer, in the customer's
    /// currency and under their price list.
    pub async fn create_order(&self, session: &Session, customer_id: Uuid, note: Option<&str>) -> Result<Uuid> {
        session.require(Permission::TakeOrders)?;
        let mut write = self.write(session).await?;
        let order_id = create_draft_in(&mut write, session, customer_id, note).await?;
        write.commit().await?;
        Ok(order_id)
    }

    /// Adds `qty` of a product to a draft at the customer's price. Returns
    /// the line's id.
    pub async fn add_order_line(&self, session: &Session, order_id: Uuid, product_id: Uuid, qty: Qty) -> Result<Uuid> {
        session.require(Permission::TakeOrders)?;
        let mut write = self.write(session).await?;
        let line_id = add_line_in(&mut write, order_id, product_id, qty).await?;
        write.commit().await?;
        Ok(line_id)
    }

    /// Drafts, fills and submits an order in ONE write: either the order is
    /// submitted with every line, or nothing of it is kept (an archived
    /// product or a price in another currency leaves no stray draft).
    pub async fn place_order(
        &self,
        session: &Session,
        customer_id: Uuid,
        note: Option<&str>,
        lines: &[(Uuid, Qty)],
    ) -> Result<SalesOrder> {
        session.require(Permission::TakeOrders)?;
        if lines.is_empty() {
            return Err(CoreError::invalid("order", "an order needs at least one line"));
        }
        let mut write = self.write(session).await?;
        let order_id = create_draft_in(&mut write, session, customer_id, note).await?;
        for (product_id, qty) in lines {
            add_line_in(&mut write, order_id, *product_id, *qty).await?;
        }
        submit_in(&mut write, order_id).await?;
        write.commit().await?;
        self.order(order_id).await
    }

    /// Changes the quantity of a draft's line, re-pricing it at the current
    /// price.
    pub async fn change_order_line(&self, session: &Session, order_id: Uuid, line_id: Uuid, qty: Qty) -> Result<()> {
        session.require(Permission::TakeOrders)?;
        check_qty(qty)?;
        let mut write = self.write(session).await?;
        let (currency, price_list_id) = editable_draft(write.conn(), order_id).await?;
        let product_id: Option<String> =
            sqlx::query_scalar("SELECT product_id FROM sales_order_lines WHERE id = ? AND order_id = ?")
                .bind(line_id.to_string())
                .bind(order_id.to_string())
                .fetch_optional(write.conn())
                .await?;
        let product_id = parse_uuid(&product_id.ok_or_else(|| CoreError::not_found("order line", line_id))?)?;
        let (unit_price_minor, total_minor) =
            price_line(write.conn(), product_id, qty, currency, price_list_id).await?;
        sqlx::query("UPDATE sales_order_lines SET qty_milli = ?, unit_price_minor = ?, total_minor = ? WHERE id = ?")
            .bind(qty.milli())
            .bind(unit_price_minor)
            .bind(total_minor)
            .bind(line_id.to_string())
            .execute(write.conn())
            .await?;
        refresh_total(write.conn(), order_id).await?;
        write.commit().await
    }

    /// Removes a line from a draft; the lines after it move up one number.
    pub async fn remove_order_line(&self, session: &Session, order_id: Uuid, line_id: Uuid) -> Result<()> {
        session.require(Permission::TakeOrders)?;
        let mut write = self.write(session).await?;
        editable_draft(write.conn(), order_id).await?;
        let line_no: Option<i64> =
            sqlx::query_scalar("DELETE FROM sales_order_lines WHERE id = ? AND order_id = ? RETURNING line_no")
                .bind(line_id.to_string())
                .bind(order_id.to_string())
                .fetch_optional(write.conn())
                .await?;
        let line_no = line_no.ok_or_else(|| CoreError::not_found("order line", line_id))?;
        sqlx::query("UPDATE sales_order_lines SET line_no = line_no - 1 WHERE order_id = ? AND line_no > ?")
            .bind(order_id.to_string())
            .bind(line_no)
            .execute(write.conn())
            .await?;
        refresh_total(write.conn(), order_id).await?;
        write.commit().await
    }

    /// Sends a draft to the hub: it takes its number, becomes `submitted`
    /// and one `order.submitted` op carries it. Returns the order.
    pub async fn submit_order(&self, session: &Session, order_id: Uuid) -> Result<SalesOrder> {
        session.require(Permission::TakeOrders)?;
        let mut write = self.write(session).await?;
        submit_in(&mut write, order_id).await?;
        write.commit().await?;
        self.order(order_id).await
    }

    /// One order with its lines.
    pub async fn order(&self, order_id: Uuid) -> Result<SalesOrder> {
        let header: Option<OrderHeaderRow> = sqlx::query_as(
            "SELECT o.number, o.customer_id, coalesce(c.name, o.customer_name) AS customer_name, o.salesperson_id, o.price_list_id, o.currency,
                    o.status, o.total_minor, o.note, o.created_ms, o.submitted_hlc
             FROM sales_orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
        )
        .bind(order_id.to_string())
        .fetch_optional(self.reader())
        .await?;
        let header = header.ok_or_else(|| CoreError::not_found("order", order_id))?;
        let currency: Currency = header.currency.parse()?;
        let rows: Vec<OrderLineRow> = sqlx::query_as(
            "SELECT ol.id, ol.line_no, ol.product_id, p.sku, p.name, ol.qty_milli, ol.unit_price_minor, ol.total_minor
             FROM sales_order_lines ol LEFT JOIN products p ON p.id = ol.product_id
             WHERE ol.order_id = ? ORDER BY ol.line_no",
        )
        .bind(order_id.to_string())
        .fetch_all(self.reader())
        .await?;
        let lines = rows
            .into_iter()
            .map(|row| {
                Ok(OrderLineView {
                    line_id: parse_uuid(&row.id)?,
                    line_no: row.line_no as u32,
                    product_id: parse_uuid(&row.product_id)?,
                    sku: row.sku.unwrap_or_default(),
                    name: row.name.unwrap_or_default(),
                    qty: Qty(row.qty_milli),
                    unit_price: Money::new(row.unit_price_minor, currency),
                    total: Money::new(row.total_minor, currency),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SalesOrder {
            id: order_id,
            number: number_of(header.number),
            customer_id: parse_uuid(&header.customer_id)?,
            customer_name: header.customer_name.unwrap_or_default(),
            salesperson_id: parse_uuid(&header.salesperson_id)?,
            price_list_id: header.price_list_id.as_deref().map(parse_uuid).transpose()?,
            currency,
            status: OrderStatus::parse(&header.status)?,
            total: Money::new(header.total_minor, currency),
            note: header.note,
            created_ms: header.created_ms as u64,
            submitted_at_ms: header.submitted_hlc.map(millis_of).transpose()?,
            lines,
        })
    }

    /// Orders newest first, all of them or those in `status`.
    pub async fn orders(&self, status: Option<OrderStatus>) -> Result<Vec<OrderSummary>> {
        let rows: Vec<OrderSummaryRow> = sqlx::query_as(
            "SELECT o.id, o.number, o.customer_id, coalesce(c.name, o.customer_name) AS customer_name,
                    c.id IS NOT NULL AS customer_held, o.status, o.currency, o.total_minor,
                    (SELECT count(*) FROM sales_order_lines ol WHERE ol.order_id = o.id) AS n_lines, o.created_ms
             FROM sales_orders o LEFT JOIN customers c ON c.id = o.customer_id
             WHERE ?1 IS NULL OR o.status = ?1
             ORDER BY o.created_ms DESC, o.id DESC",
        )
        .bind(status.map(OrderStatus::as_str))
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(OrderSummary {
                    id: parse_uuid(&row.id)?,
                    number: number_of(row.number),
                    customer_id: parse_uuid(&row.customer_id)?,
                    customer_name: row.customer_name.unwrap_or_default(),
                    customer_held: row.customer_held,
                    status: OrderStatus::parse(&row.status)?,
                    total: Money::new(row.total_minor, row.currency.parse()?),
                    n_lines: row.n_lines as u32,
                    created_ms: row.created_ms as u64,
                })
            })
            .collect()
    }
}

#[derive(sqlx::FromRow)]
struct OrderHeaderRow {
    number: String,
    customer_id: String,
    customer_name: Option<String>,
    salesperson_id: String,
    price_list_id: Option<String>,
    currency: String,
    status: String,
    total_minor: i64,
    note: Option<String>,
    created_ms: i64,
    submitted_hlc: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct OrderLineRow {
    id: String,
    line_no: i64,
    product_id: String,
    sku: Option<String>,
    name: Option<String>,
    qty_milli: i64,
    unit_price_minor: i64,
    total_minor: i64,
}

#[derive(sqlx::FromRow)]
struct OrderSummaryRow {
    id: String,
    number: String,
    customer_id: String,
    customer_name: Option<String>,
    customer_held: bool,
    status: String,
    currency: String,
    total_minor: i64,
    n_lines: i64,
    created_ms: i64,
}
