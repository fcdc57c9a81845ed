//! The op: one durable change made on a device, as it travels in the outbox
//! and over the wire. Ledger facts (class L) carry full rows; field-LWW
//! records (class F) carry only the fields that changed; requests (class A)
//! carry what the hub must decide on.
//!
//! Money is integer minor units with an ISO 4217 code; quantities are
//! integer thousandths (`*_milli`). No floats.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Hlc;

/// One op with everything the hub needs to apply it exactly once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpEnvelope {
    pub op_id: Uuid,
    pub device_id: Uuid,
    pub epoch: u32,
    /// Contiguous per `(device_id, epoch)`, starting at 1.
    pub seq: u64,
    pub hlc: Hlc,
    /// The user acting on the device when the op was made.
    pub user_id: Uuid,
    pub type_version: u32,
    pub op: Op,
}

/// The op's payload, tagged by its type name on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Op {
    #[serde(rename = "fields.set")]
    FieldsSet(FieldsSet),
    #[serde(rename = "stock.moved")]
    StockMoved(StockMoved),
    #[serde(rename = "sale.completed")]
    SaleCompleted(SaleCompleted),
    #[serde(rename = "return.completed")]
    ReturnCompleted(ReturnCompleted),
    #[serde(rename = "payment.received")]
    PaymentReceived(AccountEntry),
    #[serde(rename = "order.submitted")]
    OrderSubmitted(OrderSubmitted),
    #[serde(rename = "user.set")]
    UserSet(UserSet),
    #[serde(rename = "order.decided")]
    OrderDecided(OrderDecided),
}

/// The op type without its payload, as stored in the outbox's `op_type` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    FieldsSet,
    StockMoved,
    SaleCompleted,
    ReturnCompleted,
    PaymentReceived,
    OrderSubmitted,
    UserSet,
    OrderDecided,
}

impl OpKind {
    pub const ALL: [OpKind; 8] = [
        OpKind::FieldsSet,
        OpKind::StockMoved,
        OpKind::SaleCompleted,
        OpKind::ReturnCompleted,
        OpKind::PaymentReceived,
        OpKind::OrderSubmitted,
        OpKind::UserSet,
        OpKind::OrderDecided,
    ];

    /// The wire name (the `type` tag).
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::FieldsSet => "fields.set",
            OpKind::StockMoved => "stock.moved",
            OpKind::SaleCompleted => "sale.completed",
            OpKind::ReturnCompleted => "return.completed",
            OpKind::PaymentReceived => "payment.received",
            OpKind::OrderSubmitted => "order.submitted",
            OpKind::UserSet => "user.set",
            OpKind::OrderDecided => "order.decided",
        }
    }

    pub fn parse(name: &str) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The payload version this build writes.
    pub fn current_version(self) -> u32 {
        1
    }
}

impl Op {
    pub fn kind(&self) -> OpKind {
        match self {
            Op::FieldsSet(_) => OpKind::FieldsSet,
            Op::StockMoved(_) => OpKind::StockMoved,
            Op::SaleCompleted(_) => OpKind::SaleCompleted,
            Op::ReturnCompleted(_) => OpKind::ReturnCompleted,
            Op::PaymentReceived(_) => OpKind::PaymentReceived,
            Op::OrderSubmitted(_) => OpKind::OrderSubmitted,
            Op::UserSet(_) => OpKind::UserSet,
            Op::OrderDecided(_) => OpKind::OrderDecided,
        }
    }

    /// The payload alone (the `data` part), as stored in the outbox.
    pub fn payload_json(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut tagged)) => tagged.remove("data").unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }

    /// Rebuilds an op from its outbox columns.
    pub fn from_parts(op_type: &str, payload: serde_json::Value) -> Result<Op, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "type": op_type, "data": payload }))
    }
}

/// Records merged field by field, last writer wins (class F).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Product,
    Category,
    Barcode,
    PriceList,
    PriceListEntry,
    Location,
    Customer,
}

impl Entity {
    /// Every class-F entity.
    pub const ALL: [Entity; 7] = [
        Entity::Product,
        Entity::Category,
        Entity::Barcode,
        Entity::PriceList,
        Entity::PriceListEntry,
        Entity::Location,
        Entity::Customer,
    ];
}

/// New values for some fields of one record, stamped with the op's HLC.
/// A new record sends every field; an edit sends only what changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldsSet {
    pub entity: Entity,
    pub row_id: Uuid,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    Receive,
    Sale,
    Return,
    TransferOut,
    TransferIn,
    Adjustment,
    /// A counted quantity: a reset point, not a delta.
    Count,
}

impl MovementKind {
    pub const ALL: [MovementKind; 7] = [
        MovementKind::Receive,
        MovementKind::Sale,
        MovementKind::Return,
        MovementKind::TransferOut,
        MovementKind::TransferIn,
        MovementKind::Adjustment,
        MovementKind::Count,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receive => "receive",
            MovementKind::Sale => "sale",
            MovementKind::Return => "return",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::TransferIn => "transfer_in",
            MovementKind::Adjustment => "adjustment",
            MovementKind::Count => "count",
        }
    }

    pub fn parse(name: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// One stock ledger row. For `Count`, `qty_milli` is the counted quantity;
/// for every other kind it is the signed change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub id: Uuid,
    pub kind: MovementKind,
    pub product_id: Uuid,
    pub location_id: Uuid,
    pub qty_milli: i64,
    pub hlc: Hlc,
    /// The sale, return, transfer or count session the movement belongs to.
    pub ref_id: Option<Uuid>,
    pub reason: Option<String>,
}

/// Stock ledger rows written together (receipt, adjustment, transfer leg,
/// committed count).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockMoved {
    pub movements: Vec<Movement>,
    pub transfer: Option<TransferHeader>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferHeader {
    pub id: Uuid,
    pub from_location_id: Uuid,
    pub to_location_id: Uuid,
    pub number: String,
}

/// One line of a sale. Prices exclude tax: `total = qty × unit price −
/// discount + tax`, each rounded to the minor unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    pub id: Uuid,
    pub line_no: u32,
    pub product_id: Uuid,
    pub qty_milli: i64,
    /// Excluding tax.
    pub unit_price_minor: i64,
    /// The line's own discount plus its share of the whole-sale discount.
    pub discount_minor: i64,
    pub tax_rate_bp: u32,
    /// Tax on the line's amount after discounts.
    pub tax_minor: i64,
    /// What the customer pays for the line, tax included.
    pub total_minor: i64,
}

/// Payment method of a sale payment or a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
    Wallet,
    /// Charged to the customer's account (credit sale).
    Account,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 4] = [
        PaymentMethod::Cash,
        PaymentMethod::Card,
        PaymentMethod::Wallet,
        PaymentMethod::Account,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Wallet => "wallet",
            PaymentMethod::Account => "account",
        }
    }

    pub fn parse(name: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL.into_iter().find(|method| method.as_str() == name)
    }
}

/// A payment (or, negative, a refund) in its own currency, with the exchange
/// rate used to convert it into the document's currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: Uuid,
    pub method: PaymentMethod,
    pub currency: String,
    pub amount_minor: i64,
    /// Document-currency units per payment-currency unit, times 1,000,000.
    pub rate_micros: i64,
    /// The amount in the document's currency (what the rate gave, rounded).
    pub doc_amount_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleCompleted {
    pub id: Uuid,
    pub number: String,
    pub location_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub currency: String,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub change_minor: i64,
    pub lines: Vec<SaleLine>,
    pub payments: Vec<Payment>,
    pub movements: Vec<Movement>,
    pub account_entries: Vec<AccountEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    pub id: Uuid,
    pub sale_line_id: Uuid,
    pub product_id: Uuid,
    pub qty_milli: i64,
    pub refund_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnCompleted {
    pub id: Uuid,
    pub number: String,
    pub sale_id: Uuid,
    pub location_id: Uuid,
    pub currency: String,
    pub total_minor: i64,
    pub reason: Option<String>,
    pub lines: Vec<ReturnLine>,
    pub refunds: Vec<Payment>,
    pub movements: Vec<Movement>,
    pub account_entries: Vec<AccountEntry>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountEntryKind {
    /// A sale charged to the account (raises the balance owed).
    Charge,
    /// Money received from the customer (lowers the balance owed).
    Payment,
    /// A return credited to the account.
    Credit,
}

impl AccountEntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountEntryKind::Charge => "charge",
            AccountEntryKind::Payment => "payment",
            AccountEntryKind::Credit => "credit",
        }
    }

    pub fn parse(name: &str) -> Option<AccountEntryKind> {
        [
            AccountEntryKind::Charge,
            AccountEntryKind::Payment,
            AccountEntryKind::Credit,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// One customer-account ledger row; the balance owed is their signed sum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: AccountEntryKind,
    /// Signed: positive raises what the customer owes.
    pub amount_minor: i64,
    pub currency: String,
    pub ref_id: Option<Uuid>,
    pub method: Option<PaymentMethod>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub id: Uuid,
    pub line_no: u32,
    pub product_id: Uuid,
    pub qty_milli: i64,
    pub unit_price_minor: i64,
    pub total_minor: i64,
}

/// A wholesale order sent for the hub's confirmation (class A request).
/// It stands alone: a device may hold an order whose customer it does not
/// (a customer given to another salesperson after the order), so the order
/// carries the customer's name as it was taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSubmitted {
    pub id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    /// The customer's name when the order was sent; absent from orders of
    /// builds before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    pub salesperson_id: Uuid,
    pub price_list_id: Option<Uuid>,
    pub currency: String,
    pub total_minor: i64,
    pub note: Option<String>,
    pub lines: Vec<OrderLine>,
}

/// A user record change requested by a device (class A: the hub decides).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSet {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
}

/// The hub's answer to a submitted order (class A), made by the hub alone
/// and carried to every device through the feed right after the order.
/// Devices never send it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDecided {
    pub order_id: Uuid,
    pub status: OrderDecision,
    /// Why a rejected order was rejected; `None` when confirmed.
    pub reason: Option<OrderRejectReason>,
}

/// What the hub decided about an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderDecision {
    Confirmed,
    Rejected,
}

impl OrderDecision {
    /// The order status a device records.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderDecision::Confirmed => "confirmed",
            OrderDecision::Rejected => "rejected",
        }
    }
}

/// Why the hub rejected an order: stable codes for the inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderRejectReason {
    /// The hub holds no such customer.
    UnknownCustomer,
    /// The customer was deactivated.
    CustomerInactive,
    /// The order is not in the customer's currency.
    WrongCurrency,
    /// A line names a product the hub does not hold.
    UnknownProduct,
    /// A line names a deactivated (archived) product.
    ProductInactive,
}

impl OrderRejectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderRejectReason::UnknownCustomer => "unknown_customer",
            OrderRejectReason::CustomerInactive => "customer_inactive",
            OrderRejectReason::WrongCurrency => "wrong_currency",
            OrderRejectReason::UnknownProduct => "unknown_product",
            OrderRejectReason::ProductInactive => "product_inactive",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_survives_outbox_columns() {
        let op = Op::UserSet(UserSet {
            id: Uuid::from_u128(7),
            username: "ana".into(),
            display_name: "Ana".into(),
            role: "cashier".into(),
            active: true,
        });
        let back = Op::from_parts(op.kind().as_str(), op.payload_json()).unwrap();
        assert_eq!(back, op);
    }

    #[test]
    fn op_kind_names_parse_back() {
        for kind in OpKind::ALL {
            assert_eq!(OpKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(OpKind::parse("sale.deleted"), None);
    }

    #[test]
    fn wire_shape_is_tagged() {
        let op = Op::PaymentReceived(AccountEntry {
            id: Uuid::from_u128(1),
            customer_id: Uuid::from_u128(2),
            kind: AccountEntryKind::Payment,
            amount_minor: -500,
            currency: "EUR".into(),
            ref_id: None,
            method: Some(PaymentMethod::Cash),
        });
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(json["type"], "payment.received");
        assert_eq!(json["data"]["amount_minor"], -500);
        assert_eq!(json["data"]["method"], "cash");
    }
}
