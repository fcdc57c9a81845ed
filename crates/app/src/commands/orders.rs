//! Salesperson commands: customers (offline), a customer's catalog at their
//! prices, submitting a wholesale order (queued for the hub, provisional
//! until it answers), order history, and payments collected; and the
//! manager's choice of the salesperson who looks after a customer.

use serde::{Deserialize, Serialize};
use stockroom_core::{Customer, CustomerPatch, CustomerPayment, OrderStatus, OrderSummary, Qty, Role, SalesOrder};
use ts_rs::TS;
use uuid::Uuid;

use crate::dto::{MoneyDto, PaymentMethodDto, ProductDto, QtyLine};
use crate::error::IpcError;
use crate::state::AppState;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListCustomersArgs {
    /// Part of the name or code; empty lists all.
    #[serde(default)]
    pub query: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDto {
    pub id: Uuid,
    pub code: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub price_list_id: Option<Uuid>,
    pub currency: String,
    pub credit_limit: MoneyDto,
    /// What the customer owes (negative: in credit).
    pub balance: MoneyDto,
    pub active: bool,
    /// The salesperson who looks after the customer, if any.
    pub salesperson_id: Option<Uuid>,
}

impl CustomerDto {
    fn new(customer: Customer, balance: stockroom_core::Money) -> CustomerDto {
        CustomerDto {
            id: customer.id,
            code: customer.code,
            name: customer.name,
            phone: customer.phone,
            email: customer.email,
            price_list_id: customer.price_list_id,
            currency: customer.currency.to_string(),
            credit_limit: customer.credit_limit.into(),
            balance: balance.into(),
            active: customer.active,
            salesperson_id: customer.salesperson_id,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCatalogArgs {
    pub customer_id: Uuid,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: u32,
}

/// A product at the customer's price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CatalogLine {
    pub product: ProductDto,
    /// From the customer's price list, else the product's own price.
    pub price: MoneyDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCatalogPage {
    pub total: u64,
    pub offset: u32,
    pub currency: String,
    pub price_list_id: Option<Uuid>,
    pub lines: Vec<CatalogLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmitOrderArgs {
    pub customer_id: Uuid,
    pub lines: Vec<QtyLine>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Where an order stands: `provisional` until the hub confirms or rejects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatusDto {
    Draft,
    Provisional,
    Confirmed,
    Rejected,
}

impl From<OrderStatus> for OrderStatusDto {
    fn from(status: OrderStatus) -> OrderStatusDto {
        match status {
            OrderStatus::Draft => OrderStatusDto::Draft,
            OrderStatus::Submitted => OrderStatusDto::Provisional,
            OrderStatus::Confirmed => OrderStatusDto::Confirmed,
            OrderStatus::Rejected => OrderStatusDto::Rejected,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineDto {
    pub line_id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub qty_milli: i64,
    pub unit_price: MoneyDto,
    pub total: MoneyDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderDto {
    pub id: Uuid,
    pub number: Option<String>,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub status: OrderStatusDto,
    /// Excluding tax.
    pub total: MoneyDto,
    pub note: Option<String>,
    pub created_ms: u64,
    pub lines: Vec<OrderLineDto>,
}

impl From<SalesOrder> for OrderDto {
    fn from(order: SalesOrder) -> OrderDto {
        OrderDto {
            id: order.id,
            number: order.number,
            customer_id: order.customer_id,
            customer_name: order.customer_name,
            status: order.status.into(),
            total: order.total.into(),
            note: order.note,
            created_ms: order.created_ms,
            lines: order
                .lines
                .into_iter()
                .map(|line| OrderLineDto {
                    line_id: line.line_id,
                    product_id: line.product_id,
                    sku: line.sku,
                    name: line.name,
                    qty_milli: line.qty.milli(),
                    unit_price: line.unit_price.into(),
                    total: line.total.into(),
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListOrdersArgs {
    #[serde(default)]
    pub customer_id: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummaryDto {
    pub id: Uuid,
    pub number: Option<String>,
    pub customer_id: Uuid,
    /// The customer's name, or as the order carried it when this device
    /// no longer holds the customer.
    pub customer_name: String,
    /// Whether this device holds the customer (a salesperson's does not
    /// once the customer is given to someone else).
    pub customer_held: bool,
    pub status: OrderStatusDto,
    pub total: MoneyDto,
    pub n_lines: u32,
    pub created_ms: u64,
}

impl From<OrderSummary> for OrderSummaryDto {
    fn from(order: OrderSummary) -> OrderSummaryDto {
        OrderSummaryDto {
            id: order.id,
            number: order.number,
            customer_id: order.customer_id,
            customer_name: order.customer_name,
            customer_held: order.customer_held,
            status: order.status.into(),
            total: order.total.into(),
            n_lines: order.n_lines,
            created_ms: order.created_ms,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordPaymentArgs {
    pub customer_id: Uuid,
    /// In the customer's currency.
    pub amount: MoneyDto,
    pub method: PaymentMethodDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRecorded {
    pub entry_id: Uuid,
    /// What the customer owes now.
    pub balance: MoneyDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AssignCustomerArgs {
    pub customer_id: Uuid,
    /// `None`: looked after by no one.
    pub salesperson_id: Option<Uuid>,
}

/// A salesperson's own customers; everyone else's device lists all it
/// holds. (A salesperson's device also holds, until its next rebuild, a
/// customer given to someone else that one of their draft orders names.)
pub async fn list_customers(state: &AppState, args: ListCustomersArgs) -> Result<Vec<CustomerDto>, IpcError> {
    let session = state.session()?;
    let own_only = (session.role() == Role::Salesperson).then_some(session.user_id());
    let store = state.store();
    let mut found = Vec::new();
    for customer in store.customers(args.query.trim(), false).await? {
        if own_only.is_some_and(|user_id| customer.salesperson_id != Some(user_id)) {
            continue;
        }
        let balance = store.customer_balance(customer.id).await?;
        found.push(CustomerDto::new(customer, balance));
    }
    Ok(found)
}

/// Moves a customer to a salesperson (or to no one): only their devices
/// then hold the customer and its account (owners and managers).
pub async fn assign_customer(state: &AppState, args: AssignCustomerArgs) -> Result<CustomerDto, IpcError> {
    let session = state.session()?;
    let store = state.store();
    let patch = CustomerPatch {
        salesperson_id: Some(args.salesperson_id),
        ..CustomerPatch::default()
    };
    store.edit_customer(&session, args.customer_id, &patch).await?;
    let customer = store.customer(args.customer_id).await?;
    let balance = store.customer_balance(customer.id).await?;
    Ok(CustomerDto::new(customer, balance))
}

pub async fn customer_catalog(state: &AppState, args: CustomerCatalogArgs) -> Result<CustomerCatalogPage, IpcError> {
    let store = state.store();
    let customer = store.customer(args.customer_id).await?;
    let page = store
        .search_product_page(&args.query, args.offset, args.limit.unwrap_or(50))
        .await?;
    let mut lines = Vec::with_capacity(page.products.len());
    for product in page.products {
        let price = store.price_for(product.id, customer.price_list_id).await?;
        lines.push(CatalogLine {
            product: product.into(),
            price: price.into(),
        });
    }
    Ok(CustomerCatalogPage {
        total: page.total,
        offset: args.offset,
        currency: customer.currency.to_string(),
        price_list_id: customer.price_list_id,
        lines,
    })
}

/// Creates the order, adds its lines and submits it, in one write. The hub
/// confirms or rejects it later; until then it is `provisional`.
pub async fn submit_order(state: &AppState, args: SubmitOrderArgs) -> Result<OrderDto, IpcError> {
    let session = state.session()?;
    if args.lines.is_empty() {
        return Err(IpcError::invalid("an order needs at least one line"));
    }
    let lines: Vec<(Uuid, Qty)> = args.lines.iter().map(|line| (line.product_id, line.qty())).collect();
    let order = state
        .store()
        .place_order(&session, args.customer_id, args.note.as_deref(), &lines)
        .await?;
    Ok(order.into())
}

pub async fn list_orders(state: &AppState, args: ListOrdersArgs) -> Result<Vec<OrderSummaryDto>, IpcError> {
    let orders = state.store().orders(None).await?;
    Ok(orders
        .into_iter()
        .filter(|order| {
            args.customer_id
                .is_none_or(|customer_id| order.customer_id == customer_id)
        })
        .map(Into::into)
        .collect())
}

pub async fn record_payment(state: &AppState, args: RecordPaymentArgs) -> Result<PaymentRecorded, IpcError> {
    let session = state.session()?;
    let store = state.store();
    let payment = CustomerPayment {
        amount: args.amount.to_money()?,
        method: args.method.into(),
    };
    let entry_id = store
        .record_customer_payment(&session, args.customer_id, &payment)
        .await?;
    Ok(PaymentRecorded {
        entry_id,
        balance: store.customer_balance(args.customer_id).await?.into(),
    })
}
