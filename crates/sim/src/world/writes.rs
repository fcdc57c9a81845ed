//! The simulation's random writes: what a shop's people do on a device
//! between syncs (products, prices, receipts, sales, orders, customers,
//! archiving, counts), each through the device core's own commands.

use anyhow::Context;
use rand::Rng;
use stockroom_core::{
    CustomerPatch, Money, NewCustomer, NewProduct, PaymentMethod, PaymentRequest, ProductPatch, ProductQty, Qty,
    SaleLineRequest, SaleRequest,
};

use stockroom_core::{Role, Session, Store};
use uuid::Uuid;

use super::World;

impl World {
    /// One local write of a random kind, by the device's user; a refusal by
    /// the core (a product this device has not received yet, a write the
    /// user's role may not make) is part of the game. A salesperson takes
    /// orders where others would sell at the till, unless their device is
    /// assigned to their van: only then does it receive a location's stock.
    /// The owner also gives customers to salespersons, which moves them
    /// (and their accounts) between salespersons' devices, whatever orders
    /// name them: a salesperson's orders stay on their devices, the
    /// customer's record goes.
    pub(super) async fn write(&mut self, index: usize) -> anyhow::Result<()> {
        let owner = self.devices[index].session.clone().context("the device's user")?;
        let mut kind = self.rng.gen_range(0..100);
        let no_stock = self.devices[index].role == Role::Salesperson && self.devices[index].assigned.is_none();
        if no_stock && (70..=84).contains(&kind) {
            kind = 85 + kind % 5;
        }
        if (90..=92).contains(&kind) && self.devices[index].role == Role::Owner && !self.customers.is_empty() {
            let customer = self.customers[self.rng.gen_range(0..self.customers.len())];
            return self.move_customer(index, &owner, customer).await;
        }
        let product = (!self.products.is_empty()).then(|| self.products[self.rng.gen_range(0..self.products.len())]);
        let qty = Qty::units(self.rng.gen_range(1..20));
        let price = self.rng.gen_range(50..5_000);
        let device = &self.devices[index];
        let store = device.store.as_ref().context("device open")?;
        // Where the device works: its assigned location, else its own.
        let location = device.assigned.or(device.location).context("location")?;
        let eur = "EUR".parse()?;
        let result = match (kind, product) {
            (0..=24, _) | (_, None) => {
                let sku = format!("SKU-{}", self.products.len());
                store
                    .create_product(
                        &owner,
                        &NewProduct::simple(&sku, &format!("Item {sku}"), Money::new(price, eur)),
                    )
                    .await
                    .map(|id| self.products.push(id))
            }
            (25..=49, Some(product)) => {
                let patch = if kind % 2 == 0 {
                    ProductPatch {
                        price: Some(Money::new(price, eur)),
                        ..ProductPatch::default()
                    }
                } else {
                    ProductPatch {
                        name: Some(format!("Renamed {price}")),
                        ..ProductPatch::default()
                    }
                };
                store.update_product(&owner, product, &patch).await.map(|_| ())
            }
            (50..=69, Some(product)) => store
                .receive_goods(&owner, location, &[ProductQty::new(product, qty)], None)
                .await
                .map(|_| ()),
            (70..=84, Some(product)) => cash_sale(store, &owner, location, product, qty).await,
            (90..=92, Some(_)) => {
                let name = format!("Customer {}", self.customers.len());
                store
                    .create_customer(&owner, &NewCustomer::named(&name, eur))
                    .await
                    .map(|id| self.customers.push(id))
            }
            (93..=94, Some(product)) => {
                // Archived and restored: orders for it are rejected meanwhile.
                let active = kind == 94;
                match (self.customers.is_empty(), kind % 2) {
                    (false, 0) => {
                        let customer = self.customers[self.rng.gen_range(0..self.customers.len())];
                        store.set_customer_active(&owner, customer, active).await
                    }
                    _ => store.set_product_active(&owner, product, active).await,
                }
            }
            (85..=89, Some(product)) => {
                // A customer of the shop's (maybe not on this device yet), or
                // one this device adds for the order.
                let customer = if self.customers.is_empty() || kind % 2 == 0 {
                    let name = format!("Customer {}", self.customers.len());
                    store
                        .create_customer(&owner, &NewCustomer::named(&name, eur))
                        .await
                        .inspect(|id| self.customers.push(*id))
                } else {
                    Ok(self.customers[self.rng.gen_range(0..self.customers.len())])
                };
                let order = match customer {
                    Ok(customer) => store.create_order(&owner, customer, None).await,
                    Err(err) => Err(err),
                };
                match order {
                    Ok(order) => match store.add_order_line(&owner, order, product, qty).await {
                        Ok(_) => store.submit_order(&owner, order).await.map(|_| ()),
                        Err(err) => Err(err),
                    },
                    Err(err) => Err(err),
                }
            }
            (_, Some(product)) => match store.start_count(&owner, location).await {
                Ok(count) => match store.set_count_line(&owner, count, product, qty).await {
                    Ok(()) => store.commit_count(&owner, count).await.map(|_| ()),
                    Err(err) => {
                        store.cancel_count(&owner, count).await?;
                        Err(err)
                    }
                },
                Err(err) => Err(err),
            },
        };
        match result {
            Ok(()) => {}
            Err(err) if matches!(err.code(), "not_found" | "invalid_input" | "conflict" | "forbidden") => {}
            Err(err) => return Err(err).context("local write"),
        }
        self.note_written(index).await
    }

    /// The owner gives `customer` to a salesperson of the run (one with no
    /// device among them), or to no one.
    async fn move_customer(&mut self, index: usize, owner: &Session, customer: Uuid) -> anyhow::Result<()> {
        let to = self.salespersons[self.rng.gen_range(0..self.salespersons.len())];
        let to = to.filter(|_| self.rng.gen_bool(0.8));
        let store = self.devices[index].store.as_ref().context("device open")?;
        let patch = CustomerPatch {
            salesperson_id: Some(to),
            ..CustomerPatch::default()
        };
        match store.edit_customer(owner, customer, &patch).await {
            Ok(()) => {
                self.outcome.customer_moves += 1;
                self.note_written(index).await
            }
            // A customer this device has not received yet.
            Err(err) if err.code() == "not_found" => Ok(()),
            Err(err) => Err(err).context("moving a customer"),
        }
    }
}

/// A cash sale of `qty` of `product` at `location` by `session`, paid
/// exactly, as a till rings one up.
pub async fn cash_sale(
    store: &Store,
    session: &Session,
    location: Uuid,
    product: Uuid,
    qty: Qty,
) -> stockroom_core::Result<()> {
    let request = SaleRequest {
        location_id: location,
        customer_id: None,
        lines: vec![SaleLineRequest {
            product_id: product,
            qty,
            discount: None,
        }],
        discount: None,
        payments: Vec::new(),
    };
    let quote = store.quote_sale(session, &request).await?;
    let paid = SaleRequest {
        payments: vec![PaymentRequest {
            method: PaymentMethod::Cash,
            amount: quote.total,
            rate_micros: None,
        }],
        ..request
    };
    store.record_sale(session, &paid).await.map(|_| ())
}
