//! Set-up for the selling tests: a shop with a till location, a cashier,
//! taxed products, and readers for what a write left in the outbox.

use stockroom_core::protocol::ops::{ReturnCompleted, SaleCompleted};
use stockroom_core::protocol::Op;
use stockroom_core::{
    Currency, LocationKind, Money, NewProduct, PaymentMethod, PaymentRequest, Role, SaleLineRequest, SaleRequest,
    Session,
};
use uuid::Uuid;

use crate::support::{eur, TestStore};

pub struct Shop {
    pub test: TestStore,
    pub till: Uuid,
    pub cashier: Session,
}

impl Shop {
    pub async fn new() -> Shop {
        let test = TestStore::new().await;
        let till = test
            .store
            .create_location(&test.owner, "Front shop", LocationKind::Store, None)
            .await
            .expect("create location");
        let cashier = test.user("cara", Role::Cashier).await;
        Shop { test, till, cashier }
    }

    /// A product priced `price_minor` EUR before tax, taxed `tax_rate_bp`,
    /// costing `cost_minor` EUR.
    pub async fn product(&self, sku: &str, price_minor: i64, tax_rate_bp: u32, cost_minor: i64) -> Uuid {
        let product = NewProduct {
            tax_rate_bp,
            cost: eur(cost_minor),
            ..NewProduct::simple(sku, &format!("Product {sku}"), eur(price_minor))
        };
        self.test
            .store
            .create_product(&self.test.owner, &product)
            .await
            .expect("create product")
    }

    /// A walk-in sale at the till.
    pub fn sale(&self, lines: Vec<SaleLineRequest>, payments: Vec<PaymentRequest>) -> SaleRequest {
        SaleRequest {
            location_id: self.till,
            customer_id: None,
            lines,
            discount: None,
            payments,
        }
    }

    pub async fn ops(&self) -> Vec<Op> {
        self.test
            .store
            .outbox_pending(10_000)
            .await
            .expect("outbox")
            .into_iter()
            .map(|envelope| envelope.op)
            .collect()
    }

    pub async fn sale_ops(&self) -> Vec<SaleCompleted> {
        self.ops()
            .await
            .into_iter()
            .filter_map(|op| match op {
                Op::SaleCompleted(sale) => Some(sale),
                _ => None,
            })
            .collect()
    }

    pub async fn return_ops(&self) -> Vec<ReturnCompleted> {
        self.ops()
            .await
            .into_iter()
            .filter_map(|op| match op {
                Op::ReturnCompleted(completed) => Some(completed),
                _ => None,
            })
            .collect()
    }

    /// Row counts of every table a sale or return writes, and the outbox.
    pub async fn ledger_counts(&self) -> Vec<i64> {
        let mut counts = Vec::new();
        for table in [
            "sales",
            "sale_lines",
            "payments",
            "returns",
            "return_lines",
            "stock_movements",
            "account_entries",
            "flags",
            "outbox",
            "doc_counters",
        ] {
            counts.push(self.test.count(&format!("SELECT count(*) FROM {table}")).await);
        }
        counts
    }
}

pub fn usd() -> Currency {
    "USD".parse().unwrap()
}

pub fn jpy() -> Currency {
    "JPY".parse().unwrap()
}

pub fn cash(amount: Money) -> PaymentRequest {
    PaymentRequest::new(PaymentMethod::Cash, amount)
}

pub fn card(amount: Money) -> PaymentRequest {
    PaymentRequest::new(PaymentMethod::Card, amount)
}
